export { WelcomeScreen as default } from "../src/screens/Welcome";
