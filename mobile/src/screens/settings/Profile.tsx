import { useEffect, useState } from "react";
import { messageOf, unwrap } from "../../api/errors";
import { useAction, useProfile } from "../../api/queries";
import { capitalise } from "../../lib/format";
import { useApi } from "../../services";
import { Button } from "../../ui/Button";
import { Field } from "../../ui/Field";
import { Banner, Card, Row, Screen } from "../../ui/parts";
import { QueryState } from "../../ui/QueryState";
import { Text } from "../../ui/Text";

export function ProfileScreen() {
  const api = useApi();
  const profile = useProfile();
  const [name, setName] = useState("");
  const [timezone, setTimezone] = useState("");
  const [locale, setLocale] = useState("");
  useEffect(() => {
    if (profile.data) {
      setName(profile.data.display_name);
      setTimezone(profile.data.timezone);
      setLocale(profile.data.locale);
    }
  }, [profile.data]);
  const save = useAction(
    () => unwrap(api.PATCH("/v1/settings/profile", { body: { display_name: name.trim(), timezone: timezone.trim(), locale: locale.trim() } })),
    [["profile"]],
  );
  return (
    <Screen testID="settings-profile">
      <QueryState query={profile} what="your profile">
        {(p) => (
          <>
            <Card label="Account">
              <Row label="Email" value={p.email} />
              <Row label="Tier" value={capitalise(p.tier)} />
              <Row label="Two-factor" value={p.two_factor_enabled ? "On" : "Off"} />
            </Card>
            <Field label="Display name" value={name} onChangeText={setName} maxLength={80} />
            <Field label="Time zone" value={timezone} onChangeText={setTimezone} hint="IANA name, e.g. Europe/Paris: days and the daily summary follow it." />
            <Field label="Locale" value={locale} onChangeText={setLocale} hint="e.g. en-US" />
            {save.error ? <Banner tone="danger" text={messageOf(save.error)} /> : null}
            {save.isSuccess ? <Text accessibilityLiveRegion="polite">Saved.</Text> : null}
            <Button title="Save" busy={save.isPending} onPress={() => save.mutate(undefined)} />
          </>
        )}
      </QueryState>
    </Screen>
  );
}
