import { useState } from "react";
import { Platform } from "react-native";
import { messageOf, unwrap } from "../../api/errors";
import { useAction, useNotifications } from "../../api/queries";
import { dateTime } from "../../lib/format";
import { registerForPush, type PushOutcome } from "../../push/register";
import { useApi, useServices } from "../../services";
import { Button } from "../../ui/Button";
import { Banner, Card, Screen } from "../../ui/parts";
import { QueryState } from "../../ui/QueryState";
import { Text } from "../../ui/Text";
import { PriceAlerts, PushPreferences } from "./NotificationPrefs";

export function NotificationsScreen() {
  const api = useApi();
  const services = useServices();
  const notifications = useNotifications();
  const [push, setPush] = useState<PushOutcome | null>(null);
  const [pushError, setPushError] = useState<string | null>(null);
  const readAll = useAction(() => unwrap(api.POST("/v1/notifications/read-all")), [["notifications"]]);
  const read = useAction((id: string) => unwrap(api.POST("/v1/notifications/{notification_id}/read", { params: { path: { notification_id: id } } })), [["notifications"]]);
  const enablePush = async () => {
    setPushError(null);
    try {
      setPush(await registerForPush(services));
    } catch (failure) {
      setPushError(messageOf(failure));
    }
  };
  return (
    <Screen testID="settings-notifications" refreshing={notifications.isRefetching} onRefresh={() => void notifications.refetch()}>
      <Card label="Push notifications">
        <Text variant="heading">Push on this phone</Text>
        {Platform.OS === "web" ? (
          <Text variant="muted">Push notifications come to the phone app; here you see them in the list below.</Text>
        ) : (
          <Button title="Turn on push notifications" onPress={() => void enablePush()} />
        )}
        {push === "registered" ? <Text accessibilityLiveRegion="polite">This phone gets push notifications.</Text> : null}
        {push === "denied" ? <Banner text="Notifications are off for NIJA in this phone's settings." /> : null}
        {pushError ? <Banner tone="danger" text={pushError} /> : null}
      </Card>
      <PushPreferences />
      <PriceAlerts />
      <Text variant="heading">Notifications</Text>
      <QueryState query={notifications} what="notifications" isEmpty={(list) => list.items.length === 0} empty={<Text variant="muted">No notifications yet.</Text>}>
        {(list) => (
          <>
            <Text variant="muted">{list.unread} unread</Text>
            {list.unread > 0 ? (
              <Button kind="secondary" title="Mark all read" busy={readAll.isPending} onPress={() => readAll.mutate(undefined)} />
            ) : null}
            {list.items.map((n) => (
              <Card key={n.id} label={`${n.read_at ? "" : "Unread: "}${n.title}`}>
                <Text style={{ fontWeight: n.read_at ? "400" : "700" }}>{n.read_at ? "" : "● "}{n.title}</Text>
                <Text>{n.body}</Text>
                <Text variant="muted">{dateTime(n.created_at)}</Text>
                {n.read_at ? null : <Button kind="secondary" title="Mark read" accessibilityLabel={`Mark ${n.title} read`} onPress={() => read.mutate(n.id)} />}
              </Card>
            ))}
          </>
        )}
      </QueryState>
    </Screen>
  );
}
