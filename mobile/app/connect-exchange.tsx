import { useRouter } from "expo-router";
import { ConnectExchange } from "../src/screens/ConnectExchange";

export default function ConnectExchangeRoute() {
  const router = useRouter();
  return <ConnectExchange onDone={() => router.back()} />;
}
