/**
 * Where a tapped notification goes: its `url` (`nija://position/ID`, `nija://activity`, ...)
 * mapped onto the app's routes, else its `position_id`, else by type.
 */
export function deepLinkPath(data: Record<string, unknown> | undefined | null): string | null {
  if (!data) return null;
  const url = typeof data.url === "string" ? data.url : "";
  const path = url.replace(/^nija:\/\/\/?/, "").replace(/^\/+/, "").split("?")[0] ?? "";
  const [head, id] = path.split("/");
  if ((head === "position" || head === "positions") && id) return `/position/${encodeURIComponent(id)}`;
  if (head === "positions") return "/positions";
  if (head === "activity") return "/activity";
  if (head === "settings") return id ? `/settings/${encodeURIComponent(id)}` : "/settings";
  if (head === "dashboard" || head === "") {
    if (typeof data.position_id === "string") return `/position/${encodeURIComponent(data.position_id)}`;
    return head === "dashboard" ? "/" : null;
  }
  return null;
}
