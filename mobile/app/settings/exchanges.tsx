export { ExchangesScreen as default } from "../../src/screens/settings/Exchanges";
