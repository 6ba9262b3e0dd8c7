export const percent = (value: number | null | undefined): string =>
  value === null || value === undefined || Number.isNaN(value) ? "–" : `${(value * 100).toFixed(1)} %`;

export const ms = (value: number | null | undefined): string =>
  value === null || value === undefined ? "–" : `${value.toFixed(value < 10 ? 1 : 0)} ms`;

export const when = (iso: string | null | undefined): string => {
  if (!iso) return "–";
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString("en-GB", { timeZone: "UTC" }) + " UTC";
};
