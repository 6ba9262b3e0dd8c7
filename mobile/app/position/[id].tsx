export { PositionDetailScreen as default } from "../../src/screens/PositionDetail";
