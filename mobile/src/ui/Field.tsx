import { useState } from "react";
import { StyleSheet, TextInput, View, type TextInputProps } from "react-native";
import { Button } from "./Button";
import { Text } from "./Text";
import { BODY_SIZE, MIN_TOUCH, usePalette } from "./theme";

/** A labelled input; `secret` masks it with a show/hide toggle. */
export function Field({
  label,
  value,
  onChangeText,
  secret = false,
  error,
  hint,
  ...props
}: Omit<TextInputProps, "secureTextEntry"> & {
  label: string;
  value: string;
  onChangeText: (text: string) => void;
  secret?: boolean;
  error?: string | null;
  hint?: string;
}) {
  const palette = usePalette();
  const [shown, setShown] = useState(false);
  return (
    <View style={styles.wrap}>
      <Text style={styles.label} nativeID={`label-${label}`}>
        {label}
      </Text>
      <View style={styles.row}>
        <TextInput
          accessibilityLabel={label}
          accessibilityHint={hint}
          value={value}
          onChangeText={onChangeText}
          secureTextEntry={secret && !shown}
          autoCapitalize="none"
          autoCorrect={false}
          placeholderTextColor={palette.muted}
          style={[
            styles.input,
            {
              color: palette.text,
              backgroundColor: palette.card,
              borderColor: error ? palette.danger : palette.border,
            },
          ]}
          {...props}
        />
        {secret ? (
          <Button
            kind="secondary"
            title={shown ? "Hide" : "Show"}
            accessibilityLabel={`${shown ? "Hide" : "Show"} ${label}`}
            onPress={() => setShown(!shown)}
            style={styles.toggle}
          />
        ) : null}
      </View>
      {hint ? <Text variant="muted">{hint}</Text> : null}
      {error ? (
        <Text accessibilityRole="alert" style={{ color: palette.danger }}>
          {error}
        </Text>
      ) : null}
    </View>
  );
}

const styles = StyleSheet.create({
  wrap: { gap: 4, marginBottom: 12 },
  label: { fontWeight: "600" },
  row: { flexDirection: "row", gap: 8, alignItems: "center" },
  input: {
    flex: 1,
    minHeight: MIN_TOUCH,
    borderWidth: 1,
    borderRadius: 8,
    paddingHorizontal: 12,
    fontSize: BODY_SIZE,
  },
  toggle: { paddingHorizontal: 10 },
});
