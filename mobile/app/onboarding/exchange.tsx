export { OnboardingExchangeScreen as default } from "../../src/screens/Onboarding";
