export { DashboardScreen as default } from "../../src/screens/Dashboard";
