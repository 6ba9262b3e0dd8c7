export { ActivityScreen as default } from "../../src/screens/Activity";
