export { TradingScreen as default } from "../../src/screens/settings/Trading";
