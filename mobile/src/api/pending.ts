import { authedFetch } from "./client";
import { offlineError, problemOf } from "./errors";
import type { Session } from "../auth/session";

/**
 * Calls to endpoints the committed OpenAPI snapshot does not describe yet (the dashboard's read
 * side and push devices, written against their issue's shapes). Each moves to the typed client
 * once the snapshot has it.
 */
export async function rawCall<T>(
  session: Session,
  method: "GET" | "POST" | "DELETE" | "PUT" | "PATCH",
  path: string,
  options: { query?: Record<string, string | number | undefined>; body?: unknown } = {},
): Promise<T> {
  const url = new URL(session.baseUrl + path);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (value !== undefined && value !== "") url.searchParams.set(key, String(value));
  }
  const request = new Request(url.toString(), {
    method,
    headers: options.body === undefined ? {} : { "Content-Type": "application/json" },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  let response: Response;
  try {
    response = await authedFetch(session)(request);
  } catch (cause) {
    throw offlineError(cause);
  }
  const text = await response.text();
  const body = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) throw problemOf(response.status, body);
  return body as T;
}
