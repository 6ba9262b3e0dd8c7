/**
 * The typed API client: every call goes through openapi-fetch with the types generated from
 * docs/openapi.json (src/api/schema.d.ts), the bearer token added from memory, an expired
 * access token renewed once with the refresh token, and errors turned into `ApiError`.
 */
import createClient from "openapi-fetch";
import type { paths } from "./schema";
import { ApiError, asProblem } from "./problem";
import { Session } from "./session";

export type Fetch = (input: Request) => Promise<Response>;

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

const RENEWABLE = new Set(["token_expired"]);

export function createApi(session: Session, baseFetch: Fetch = (r) => fetch(r), baseUrl = "") {
  let renewing: Promise<boolean> | null = null;

  async function renew(): Promise<boolean> {
    const refresh = session.refresh;
    if (!refresh) return false;
    const response = await baseFetch(
      new Request(`${baseUrl || location.origin}/v1/auth/refresh`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: refresh }),
      }),
    );
    if (!response.ok) {
      session.end("expired");
      return false;
    }
    const tokens = (await response.json()) as TokenPair;
    session.renew(tokens.access_token, tokens.refresh_token);
    return true;
  }

  async function withToken(request: Request): Promise<Response> {
    const retry = request.clone();
    const token = session.accessToken;
    if (token) request.headers.set("authorization", `Bearer ${token}`);
    const response = await baseFetch(request);
    if (response.status !== 401 || !token) return response;
    const code = await response
      .clone()
      .json()
      .then((body: { code?: string }) => body.code ?? "")
      .catch(() => "");
    if (!RENEWABLE.has(code)) {
      if (code === "token_revoked") session.end("expired");
      return response;
    }
    renewing ??= renew().finally(() => (renewing = null));
    if (!(await renewing)) return response;
    retry.headers.set("authorization", `Bearer ${session.accessToken ?? ""}`);
    return baseFetch(retry);
  }

  const client = createClient<paths>({ baseUrl, fetch: withToken });
  return { client, session, renew };
}

export type Api = ReturnType<typeof createApi>;
export type Client = Api["client"];

/** The data of an openapi-fetch answer, or an `ApiError` carrying the problem. */
export async function must<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (error) {
    throw new ApiError(asProblem(error));
  }
  if (result.error !== undefined || !result.response.ok) {
    throw new ApiError(asProblem(result.error, result.response));
  }
  return result.data as T;
}
