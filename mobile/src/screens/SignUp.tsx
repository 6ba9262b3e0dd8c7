import { useState } from "react";
import { messageOf } from "../api/errors";
import { signUp } from "../auth/flows";
import { useServices } from "../services";
import { Button } from "../ui/Button";
import { Field } from "../ui/Field";
import { Screen } from "../ui/parts";
import { Text } from "../ui/Text";

const MIN_PASSWORD = 12;

export function SignUpScreen() {
  const services = useServices();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const mismatch = repeat.length > 0 && repeat !== password;
  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      await signUp(services, email.trim(), password);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Screen testID="sign-up">
      <Text variant="title">Create your account</Text>
      <Field label="Email" value={email} onChangeText={setEmail} keyboardType="email-address" autoComplete="email" textContentType="emailAddress" />
      <Field
        label="Password"
        value={password}
        onChangeText={setPassword}
        secret
        autoComplete="new-password"
        hint={`At least ${MIN_PASSWORD} characters, not a common one.`}
      />
      <Field
        label="Repeat password"
        value={repeat}
        onChangeText={setRepeat}
        secret
        autoComplete="new-password"
        error={mismatch ? "The passwords differ." : null}
      />
      {error ? <Text accessibilityRole="alert">{error}</Text> : null}
      <Button
        title="Create account"
        busy={busy}
        disabled={!email.includes("@") || password.length < MIN_PASSWORD || password !== repeat}
        onPress={() => void submit()}
      />
    </Screen>
  );
}
