export { SignUpScreen as default } from "../src/screens/SignUp";
