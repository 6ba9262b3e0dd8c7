export { NotificationsScreen as default } from "../../src/screens/settings/Notifications";
