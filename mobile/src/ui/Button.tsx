import { ActivityIndicator, Pressable, StyleSheet, type StyleProp, type ViewStyle } from "react-native";
import { Text } from "./Text";
import { MIN_TOUCH, usePalette } from "./theme";

type Kind = "primary" | "secondary" | "danger";

export function Button({
  title,
  onPress,
  kind = "primary",
  disabled = false,
  busy = false,
  accessibilityLabel,
  accessibilityHint,
  style,
  testID,
}: {
  title: string;
  onPress: () => void;
  kind?: Kind;
  disabled?: boolean;
  busy?: boolean;
  accessibilityLabel?: string;
  accessibilityHint?: string;
  style?: StyleProp<ViewStyle>;
  testID?: string;
}) {
  const palette = usePalette();
  const inactive = disabled || busy;
  const background =
    kind === "primary" ? palette.primary : kind === "danger" ? palette.danger : "transparent";
  const foreground =
    kind === "primary" ? palette.onPrimary : kind === "danger" ? palette.onDanger : palette.primary;
  return (
    <Pressable
      accessibilityRole="button"
      accessibilityLabel={accessibilityLabel ?? title}
      accessibilityHint={accessibilityHint}
      accessibilityState={{ disabled: inactive, busy }}
      disabled={inactive}
      onPress={onPress}
      testID={testID}
      hitSlop={4}
      style={({ pressed }) => [
        styles.button,
        {
          backgroundColor: background,
          borderColor: kind === "secondary" ? palette.primary : background,
          opacity: inactive ? 0.55 : pressed ? 0.8 : 1,
        },
        style,
      ]}
    >
      {busy ? (
        <ActivityIndicator color={foreground} accessibilityLabel="Working" />
      ) : (
        <Text style={[styles.label, { color: foreground }]}>{title}</Text>
      )}
    </Pressable>
  );
}

const styles = StyleSheet.create({
  button: {
    minHeight: MIN_TOUCH,
    minWidth: MIN_TOUCH,
    paddingHorizontal: 16,
    paddingVertical: 10,
    borderRadius: 10,
    borderWidth: 2,
    alignItems: "center",
    justifyContent: "center",
  },
  label: { fontWeight: "700" },
});
