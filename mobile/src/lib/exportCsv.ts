import { File, Paths } from "expo-file-system";
import * as Sharing from "expo-sharing";
import { Platform } from "react-native";
import { authedFetch } from "../api/client";
import { offlineError, problemOf } from "../api/errors";
import type { Session } from "../auth/session";

/**
 * The activity CSV: a download on the web, the share sheet on phones (saved to the cache
 * first, so Files, Mail or a tax tool can take it).
 */
export async function exportActivityCsv(session: Session, query: Record<string, string>): Promise<string> {
  const url = new URL(`${session.baseUrl}/v1/dashboard/activity/export`);
  url.searchParams.set("format", "csv");
  for (const [key, value] of Object.entries(query)) if (value) url.searchParams.set(key, value);
  let response: Response;
  try {
    response = await authedFetch(session)(new Request(url.toString()));
  } catch (cause) {
    throw offlineError(cause);
  }
  const text = await response.text();
  if (!response.ok) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    throw problemOf(response.status, body);
  }
  const name = `nija-activity-${new Date().toISOString().slice(0, 10)}.csv`;
  if (Platform.OS === "web") {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    return name;
  }
  const file = new File(Paths.cache, name);
  file.create({ overwrite: true });
  file.write(text);
  await Sharing.shareAsync(file.uri, { mimeType: "text/csv", UTI: "public.comma-separated-values-text", dialogTitle: "Export activity" });
  return name;
}
