export { OnboardingBiometricsScreen as default } from "../../src/screens/Onboarding";
