import type { ReactNode } from "react";
import {
  Pressable,
  RefreshControl,
  ScrollView,
  StyleSheet,
  Switch,
  View,
  type StyleProp,
  type ViewStyle,
} from "react-native";
import { dec, sign, type Dec } from "../lib/decimal";
import { pct, signedUsd } from "../lib/format";
import { Text } from "./Text";
import { MIN_TOUCH, usePalette } from "./theme";

export function Screen({
  children,
  refreshing,
  onRefresh,
  testID,
}: {
  children: ReactNode;
  refreshing?: boolean;
  onRefresh?: () => void;
  testID?: string;
}) {
  const palette = usePalette();
  return (
    <ScrollView
      testID={testID}
      style={{ backgroundColor: palette.background }}
      contentContainerStyle={styles.screen}
      keyboardShouldPersistTaps="handled"
      refreshControl={
        onRefresh ? (
          <RefreshControl
            refreshing={!!refreshing}
            onRefresh={onRefresh}
            accessibilityLabel="Pull to refresh"
          />
        ) : undefined
      }
    >
      {children}
    </ScrollView>
  );
}

export function Card({
  children,
  style,
  label,
}: {
  children: ReactNode;
  style?: StyleProp<ViewStyle>;
  label?: string;
}) {
  const palette = usePalette();
  return (
    <View
      accessibilityLabel={label}
      style={[styles.card, { backgroundColor: palette.card, borderColor: palette.border }, style]}
    >
      {children}
    </View>
  );
}

/** A label and its value on one line, read as one phrase by screen readers. */
export function Row({ label, value, testID }: { label: string; value: ReactNode; testID?: string }) {
  return (
    <View
      style={styles.row}
      accessible
      accessibilityLabel={typeof value === "string" ? `${label}: ${value}` : undefined}
      testID={testID}
    >
      <Text variant="muted">{label}</Text>
      {typeof value === "string" ? <Text style={styles.value}>{value}</Text> : value}
    </View>
  );
}

/** "gain" / "loss" / "flat": said aloud and shown, never colour alone. */
export function direction(value: Dec): "gain" | "loss" | "flat" {
  const s = sign(value);
  return s > 0 ? "gain" : s < 0 ? "loss" : "flat";
}

export function Pnl({
  value,
  percent,
  big = false,
  label = "P&L",
}: {
  value: string | Dec | null | undefined;
  percent?: number | string | null;
  big?: boolean;
  label?: string;
}) {
  const palette = usePalette();
  if (value === null || value === undefined) {
    return <Text accessibilityLabel={`${label}: not available`}>—</Text>;
  }
  const amount = typeof value === "bigint" ? value : dec(value);
  const way = direction(amount);
  const arrow = way === "gain" ? "▲" : way === "loss" ? "▼" : "■";
  const colour = way === "gain" ? palette.gain : way === "loss" ? palette.loss : palette.text;
  const percentText = percent === undefined || percent === null ? "" : ` (${pct(percent)})`;
  const text = `${arrow} ${signedUsd(amount)}${percentText} ${way}`;
  return (
    <Text
      variant={big ? "figure" : "body"}
      accessibilityLabel={`${label}: ${way} of ${signedUsd(amount).replace(/^[+−]/, "")}${percentText}`}
      style={{ color: colour, fontWeight: "700" }}
    >
      {text}
    </Text>
  );
}

export function Toggle({
  label,
  value,
  onChange,
  disabled,
  hint,
}: {
  label: string;
  value: boolean;
  onChange: (value: boolean) => void;
  disabled?: boolean;
  hint?: string;
}) {
  return (
    <View style={[styles.row, { minHeight: MIN_TOUCH }]}>
      <View style={{ flex: 1 }}>
        <Text>{label}</Text>
        {hint ? <Text variant="muted">{hint}</Text> : null}
      </View>
      <Switch
        accessibilityLabel={label}
        accessibilityRole="switch"
        accessibilityState={{ checked: value, disabled }}
        value={value}
        onValueChange={onChange}
        disabled={disabled}
      />
    </View>
  );
}

/** One choice out of a few (ranges, filters, risk level). */
export function Segmented<T extends string>({
  label,
  options,
  value,
  onChange,
}: {
  label: string;
  options: readonly { value: T; label: string }[];
  value: T;
  onChange: (value: T) => void;
}) {
  const palette = usePalette();
  return (
    <View accessibilityRole="radiogroup" accessibilityLabel={label} style={styles.segments}>
      {options.map((option) => {
        const selected = option.value === value;
        return (
          <Pressable
            key={option.value}
            accessibilityRole="radio"
            accessibilityLabel={`${label}: ${option.label}`}
            accessibilityState={{ selected, checked: selected }}
            onPress={() => onChange(option.value)}
            style={[
              styles.segment,
              {
                borderColor: palette.primary,
                backgroundColor: selected ? palette.primary : "transparent",
              },
            ]}
          >
            <Text style={{ color: selected ? palette.onPrimary : palette.primary, fontWeight: "600" }}>
              {option.label}
            </Text>
          </Pressable>
        );
      })}
    </View>
  );
}

/** A pressable list row leading to another screen. */
export function LinkRow({
  title,
  detail,
  onPress,
  testID,
}: {
  title: string;
  detail?: string;
  onPress: () => void;
  testID?: string;
}) {
  const palette = usePalette();
  return (
    <Pressable
      accessibilityRole="button"
      accessibilityLabel={detail ? `${title}, ${detail}` : title}
      onPress={onPress}
      testID={testID}
      style={({ pressed }) => [
        styles.link,
        { borderColor: palette.border, backgroundColor: pressed ? palette.background : palette.card },
      ]}
    >
      <View style={{ flex: 1 }}>
        <Text style={{ fontWeight: "600" }}>{title}</Text>
        {detail ? <Text variant="muted">{detail}</Text> : null}
      </View>
      <Text variant="muted" accessibilityElementsHidden importantForAccessibility="no">
        ›
      </Text>
    </Pressable>
  );
}

export function Tag({ text, tone = "neutral" }: { text: string; tone?: "gain" | "loss" | "neutral" }) {
  const palette = usePalette();
  const colour = tone === "gain" ? palette.gain : tone === "loss" ? palette.loss : palette.muted;
  return (
    <View style={[styles.tag, { borderColor: colour }]}>
      <Text style={{ color: colour, fontWeight: "700" }}>{text}</Text>
    </View>
  );
}

export function Banner({ text, tone = "warning" }: { text: string; tone?: "warning" | "danger" }) {
  const palette = usePalette();
  const colour = tone === "danger" ? palette.danger : palette.warning;
  return (
    <View accessibilityRole="alert" style={[styles.banner, { borderColor: colour }]}>
      <Text style={{ color: colour }}>{text}</Text>
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { padding: 16, gap: 12, paddingBottom: 48, maxWidth: 720, width: "100%", alignSelf: "center" },
  card: { borderWidth: 1, borderRadius: 12, padding: 14, gap: 6 },
  row: { flexDirection: "row", justifyContent: "space-between", alignItems: "center", gap: 8 },
  value: { fontWeight: "600", flexShrink: 1, textAlign: "right" },
  segments: { flexDirection: "row", flexWrap: "wrap", gap: 6 },
  segment: {
    minHeight: MIN_TOUCH,
    minWidth: MIN_TOUCH,
    paddingHorizontal: 12,
    borderRadius: 8,
    borderWidth: 2,
    alignItems: "center",
    justifyContent: "center",
  },
  link: {
    minHeight: 56,
    flexDirection: "row",
    alignItems: "center",
    borderWidth: 1,
    borderRadius: 12,
    paddingHorizontal: 14,
    paddingVertical: 8,
  },
  tag: { borderWidth: 1, borderRadius: 6, paddingHorizontal: 6, alignSelf: "flex-start" },
  banner: { borderWidth: 2, borderRadius: 10, padding: 10 },
});

