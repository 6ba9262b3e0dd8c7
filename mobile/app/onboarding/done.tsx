export { OnboardingDoneScreen as default } from "../../src/screens/Onboarding";
