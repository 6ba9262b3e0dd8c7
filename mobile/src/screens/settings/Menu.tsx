import { useRouter } from "expo-router";
import { useProfile } from "../../api/queries";
import { capitalise } from "../../lib/format";
import { useServices } from "../../services";
import { Button } from "../../ui/Button";
import { useConfirm } from "../../ui/Confirm";
import { Card, LinkRow, Row, Screen } from "../../ui/parts";
import { QueryState } from "../../ui/QueryState";
import { Text } from "../../ui/Text";

export const SECTIONS = [
  { path: "/settings/profile", title: "Profile", detail: "Name, time zone, tier" },
  { path: "/settings/trading", title: "Trading", detail: "Bot, risk, limits, paper or live" },
  { path: "/settings/exchanges", title: "Exchanges", detail: "Add, verify, rotate, revoke keys" },
  { path: "/settings/tradingview", title: "TradingView", detail: "Webhook URL and secret" },
  { path: "/settings/notifications", title: "Notifications", detail: "Push per type, price alerts" },
  { path: "/settings/security", title: "Security", detail: "Biometrics, 2FA, password, sessions" },
] as const;

export function SettingsScreen() {
  const router = useRouter();
  const { session } = useServices();
  const confirm = useConfirm();
  const profile = useProfile();
  const signOut = async () => {
    if (await confirm({ title: "Sign out?", message: "You will need your password (or biometrics) to come back.", confirm: "Sign out" })) {
      await session.signOut();
    }
  };
  return (
    <Screen testID="settings">
      <QueryState query={profile} what="your profile">
        {(p) => (
          <Card label="Account">
            <Text variant="heading">{p.display_name || p.email}</Text>
            <Row label="Email" value={p.email} />
            <Row label="Tier" value={capitalise(p.tier)} />
          </Card>
        )}
      </QueryState>
      {SECTIONS.map((section) => (
        <LinkRow key={section.path} title={section.title} detail={section.detail} onPress={() => router.push(section.path)} />
      ))}
      <Button kind="danger" title="Sign out" onPress={() => void signOut()} />
    </Screen>
  );
}
