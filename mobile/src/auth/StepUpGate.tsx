import { useEffect, useRef, useState, type ReactNode } from "react";
import { Modal, StyleSheet, View } from "react-native";
import { messageOf } from "../api/errors";
import { useServices } from "../services";
import { Button } from "../ui/Button";
import { Field } from "../ui/Field";
import { Text } from "../ui/Text";
import { usePalette } from "../ui/theme";
import { hasDeviceKey, stepUpWithCode, stepUpWithDevice } from "./flows";

/**
 * Answers the server's 403 `step_up_required` (adding a key, going live, lifting a pause): the
 * device signature after biometrics when this phone has a key, else a TOTP code. The request
 * that was refused is retried once the proof is accepted (`api/client.ts`).
 */
export function StepUpGate({ children }: { children: ReactNode }) {
  const services = useServices();
  const palette = usePalette();
  const [open, setOpen] = useState(false);
  const [device, setDevice] = useState(false);
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const pending = useRef<((ok: boolean) => void) | null>(null);

  useEffect(() => {
    services.session.setStepUpHandler(
      () =>
        new Promise<boolean>((resolve) => {
          pending.current?.(false);
          pending.current = resolve;
          setCode("");
          setError(null);
          void hasDeviceKey().then(setDevice);
          setOpen(true);
        }),
    );
    return () => services.session.setStepUpHandler(null);
  }, [services]);

  const finish = (ok: boolean) => {
    pending.current?.(ok);
    pending.current = null;
    setOpen(false);
  };
  const prove = async (how: "device" | "code") => {
    setBusy(true);
    setError(null);
    try {
      if (how === "device") {
        if (await stepUpWithDevice(services)) finish(true);
        else setError("Not confirmed. Try again or use a code.");
      } else {
        await stepUpWithCode(services, code);
        finish(true);
      }
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      {children}
      <Modal visible={open} transparent animationType="fade" onRequestClose={() => finish(false)}>
        <View style={styles.scrim}>
          <View accessibilityViewIsModal style={[styles.dialog, { backgroundColor: palette.card }]}>
            <Text variant="heading">Confirm it's you</Text>
            <Text>This action needs your second factor again.</Text>
            {device ? (
              <Button title="Confirm with biometrics" busy={busy} onPress={() => void prove("device")} />
            ) : null}
            <Field
              label="Authenticator code"
              value={code}
              onChangeText={setCode}
              keyboardType="number-pad"
              autoComplete="one-time-code"
              error={error}
            />
            <View style={styles.actions}>
              <Button kind="secondary" title="Cancel" onPress={() => finish(false)} />
              <Button title="Confirm" disabled={code.trim().length < 6} busy={busy} onPress={() => void prove("code")} />
            </View>
          </View>
        </View>
      </Modal>
    </>
  );
}

const styles = StyleSheet.create({
  scrim: { flex: 1, backgroundColor: "rgba(0,0,0,0.5)", justifyContent: "center", padding: 24 },
  dialog: { borderRadius: 14, padding: 20, gap: 12, maxWidth: 480, width: "100%", alignSelf: "center" },
  actions: { flexDirection: "row", justifyContent: "flex-end", gap: 8 },
});
