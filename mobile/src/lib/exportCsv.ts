import { File, Paths } from "expo-file-system";
import * as Sharing from "expo-sharing";
import { Platform } from "react-native";
import type { Api } from "../api/client";
import { unwrap } from "../api/errors";
import type { ExportQuery } from "../api/readside";

/**
 * The activity CSV: a download on the web, the share sheet on phones (saved to the cache
 * first, so Files, Mail or a tax tool can take it).
 */
export async function exportActivityCsv(api: Api, query: Omit<ExportQuery, "format">): Promise<string> {
  const text = await unwrap(
    api.GET("/v1/dashboard/activity/export", { params: { query: { ...query, format: "csv" } }, parseAs: "text" }),
  );
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
