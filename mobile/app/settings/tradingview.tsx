export { TradingViewScreen as default } from "../../src/screens/settings/TradingView";
