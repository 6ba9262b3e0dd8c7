import createClient from "openapi-fetch";
import type { Session } from "../auth/session";
import type { paths } from "./schema";

export type Api = ReturnType<typeof createApi>;

async function problemCode(response: Response): Promise<string | null> {
  try {
    const body = (await response.clone().json()) as { code?: unknown };
    return typeof body.code === "string" ? body.code : null;
  } catch {
    return null;
  }
}

/**
 * Every authenticated call goes through here: the bearer token is added, a 401 renews the
 * session once and retries, and a 403 `step_up_required` asks the trader for their second
 * factor (biometric signature or TOTP) once and retries. `globalThis.fetch` is looked up per
 * call, so a fake installed after creation (tests) is used.
 */
export function authedFetch(session: Session) {
  return async function send(request: Request): Promise<Response> {
    const retry = request.clone();
    const again = request.clone();
    const token = await session.accessToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    let response = await globalThis.fetch(request);
    if (response.status === 401 && token && (await session.refresh())) {
      const fresh = await session.accessToken();
      if (fresh) retry.headers.set("Authorization", `Bearer ${fresh}`);
      response = await globalThis.fetch(retry);
    }
    if (response.status === 403 && (await problemCode(response)) === "step_up_required") {
      if (await session.stepUp()) {
        const proved = await session.accessToken();
        if (proved) again.headers.set("Authorization", `Bearer ${proved}`);
        response = await globalThis.fetch(again);
      }
    }
    return response;
  };
}

export function createApi(session: Session) {
  return createClient<paths>({ baseUrl: session.baseUrl, fetch: authedFetch(session) });
}

/** Calls that need no token (sign-up, sign-in, device login). */
export function createPublicApi(baseUrl: string) {
  return createClient<paths>({ baseUrl, fetch: (request) => globalThis.fetch(request) });
}
