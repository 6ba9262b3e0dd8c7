import type { ReactNode } from "react";
import { ActivityIndicator, View } from "react-native";
import { messageOf } from "../api/errors";
import { age } from "../lib/format";
import { Button } from "./Button";
import { Card } from "./parts";
import { Text } from "./Text";
import { usePalette } from "./theme";

export type QueryLike<T> = {
  data: T | undefined;
  error: unknown;
  isPending: boolean;
  isFetching: boolean;
  dataUpdatedAt: number;
  refetch: () => unknown;
};

/**
 * The four states every screen shows: loading, error with retry, empty, and data. When a
 * refetch fails but earlier data exists (offline), the data stays with a banner saying how old
 * it is and a retry.
 */
export function QueryState<T>({
  query,
  what,
  empty,
  isEmpty,
  children,
}: {
  query: QueryLike<T>;
  what: string;
  empty?: ReactNode;
  isEmpty?: (data: T) => boolean;
  children: (data: T) => ReactNode;
}) {
  const palette = usePalette();
  if (query.isPending && query.data === undefined) {
    return (
      <View accessibilityLabel={`Loading ${what}`} style={{ padding: 24, alignItems: "center" }}>
        <ActivityIndicator color={palette.primary} />
        <Text variant="muted">Loading {what}…</Text>
      </View>
    );
  }
  if (query.data === undefined) {
    return (
      <Card label={`Could not load ${what}`}>
        <Text accessibilityRole="alert" style={{ color: palette.danger }}>
          Could not load {what}: {messageOf(query.error)}
        </Text>
        <Button title="Retry" accessibilityLabel={`Retry loading ${what}`} onPress={() => void query.refetch()} />
      </Card>
    );
  }
  const stale = query.error ? (
    <Card label="Offline">
      <Text accessibilityRole="alert" style={{ color: palette.warning }}>
        Offline — showing {what} from {age(query.dataUpdatedAt)}. {messageOf(query.error)}
      </Text>
      <Button
        kind="secondary"
        title="Retry"
        busy={query.isFetching}
        accessibilityLabel={`Retry loading ${what}`}
        onPress={() => void query.refetch()}
      />
    </Card>
  ) : null;
  const body = isEmpty?.(query.data) ? (empty ?? <Text variant="muted">Nothing here yet.</Text>) : children(query.data);
  return (
    <>
      {stale}
      {body}
    </>
  );
}
