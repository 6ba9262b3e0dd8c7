export { PositionsScreen as default } from "../../src/screens/Positions";
