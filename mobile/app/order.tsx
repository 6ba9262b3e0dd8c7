export { NewOrderScreen as default } from "../src/screens/NewOrder";
