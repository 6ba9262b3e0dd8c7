import { createContext, useCallback, useContext, useRef, useState, type ReactNode } from "react";
import { Modal, StyleSheet, View } from "react-native";
import { Button } from "./Button";
import { Text } from "./Text";
import { usePalette } from "./theme";

type Ask = { title: string; message: string; confirm: string; destructive?: boolean };
type Confirm = (ask: Ask) => Promise<boolean>;

const ConfirmContext = createContext<Confirm>(async () => false);

/** Confirmation before money moves (pause, resume, close, revoke): the same on phones and web. */
export function ConfirmProvider({ children }: { children: ReactNode }) {
  const palette = usePalette();
  const [ask, setAsk] = useState<Ask | null>(null);
  const resolver = useRef<((ok: boolean) => void) | null>(null);
  const confirm = useCallback<Confirm>(
    (next) =>
      new Promise<boolean>((resolve) => {
        resolver.current?.(false);
        resolver.current = resolve;
        setAsk(next);
      }),
    [],
  );
  const answer = (ok: boolean) => {
    resolver.current?.(ok);
    resolver.current = null;
    setAsk(null);
  };
  return (
    <ConfirmContext.Provider value={confirm}>
      {children}
      <Modal visible={ask !== null} transparent animationType="fade" onRequestClose={() => answer(false)}>
        <View style={styles.scrim}>
          <View
            accessibilityViewIsModal
            accessibilityRole="alert"
            style={[styles.dialog, { backgroundColor: palette.card, borderColor: palette.border }]}
          >
            <Text variant="heading">{ask?.title ?? ""}</Text>
            <Text>{ask?.message ?? ""}</Text>
            <View style={styles.actions}>
              <Button kind="secondary" title="Cancel" onPress={() => answer(false)} />
              <Button
                kind={ask?.destructive ? "danger" : "primary"}
                title={ask?.confirm ?? "OK"}
                onPress={() => answer(true)}
                testID="confirm-yes"
              />
            </View>
          </View>
        </View>
      </Modal>
    </ConfirmContext.Provider>
  );
}

export const useConfirm = (): Confirm => useContext(ConfirmContext);

const styles = StyleSheet.create({
  scrim: { flex: 1, backgroundColor: "rgba(0,0,0,0.5)", justifyContent: "center", padding: 24 },
  dialog: { borderRadius: 14, borderWidth: 1, padding: 20, gap: 12, maxWidth: 480, width: "100%", alignSelf: "center" },
  actions: { flexDirection: "row", justifyContent: "flex-end", gap: 8 },
});
