export { SignInScreen as default } from "../src/screens/SignIn";
