export { SettingsScreen as default } from "../../src/screens/settings/Menu";
