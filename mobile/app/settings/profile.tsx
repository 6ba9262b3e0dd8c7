export { ProfileScreen as default } from "../../src/screens/settings/Profile";
