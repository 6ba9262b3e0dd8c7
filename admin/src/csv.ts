import type { AuditEntry } from "./api/admin";

const COLUMNS = [
  "id",
  "at",
  "user_id",
  "actor_id",
  "action",
  "venue",
  "credential_id",
  "details",
  "prev_hash",
  "hash",
] as const;

/** One CSV cell: quoted, and a leading formula character neutralised so a spreadsheet shows
 * the text instead of running it (CSV injection). */
export function cell(value: unknown): string {
  let text = value === null || value === undefined ? "" : typeof value === "object" ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export function auditCsv(entries: AuditEntry[]): string {
  const lines = [COLUMNS.join(",")];
  for (const entry of entries) lines.push(COLUMNS.map((column) => cell(entry[column])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}
