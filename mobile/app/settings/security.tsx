export { SecurityScreen as default } from "../../src/screens/settings/Security";
