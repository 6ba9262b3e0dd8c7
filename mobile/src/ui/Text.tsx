import { Text as RNText, type TextProps, StyleSheet } from "react-native";
import { BODY_SIZE, usePalette } from "./theme";

type Variant = "body" | "title" | "heading" | "muted" | "figure";

const sizes: Record<Variant, number> = {
  body: BODY_SIZE,
  muted: BODY_SIZE,
  heading: 20,
  title: 26,
  figure: 28,
};

export function Text({
  variant = "body",
  style,
  ...props
}: TextProps & { variant?: Variant }) {
  const palette = usePalette();
  const heading = variant === "title" || variant === "heading";
  return (
    <RNText
      accessibilityRole={heading ? "header" : undefined}
      {...props}
      style={[
        styles.base,
        {
          color: variant === "muted" ? palette.muted : palette.text,
          fontSize: sizes[variant],
          fontWeight: heading || variant === "figure" ? "700" : "400",
        },
        style,
      ]}
    />
  );
}

const styles = StyleSheet.create({ base: { lineHeight: undefined } });
