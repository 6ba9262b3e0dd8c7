export { PriceAlertScreen as default } from "../src/screens/settings/NotificationPrefs";
