/** Sign-in, the second factor, TOTP enrolment, step-up and sign-out, over the typed client. */
import type { components } from "./schema";
import { ApiError, asProblem } from "./problem";
import { must, type Api } from "./client";
import type { SignedOutReason } from "./session";

export type TotpSetup = components["schemas"]["TotpSetupResponse"];

export type SignInOutcome =
  | { kind: "signed_in" }
  | { kind: "second_factor"; challengeId: string };

export async function signIn(api: Api, email: string, password: string): Promise<SignInOutcome> {
  const { data, error, response } = await api.client.POST("/v1/auth/login", {
    body: { email, password },
  });
  if (data) {
    api.session.start(data.access_token, data.refresh_token);
    return { kind: "signed_in" };
  }
  const problem = asProblem(error, response);
  if (problem.code === "second_factor_required" && problem.challenge_id) {
    return { kind: "second_factor", challengeId: problem.challenge_id };
  }
  throw new ApiError(problem);
}

export async function finishSecondFactor(api: Api, challengeId: string, code: string) {
  const tokens = await must(
    api.client.POST("/v1/auth/login/second-factor", {
      body: { challenge_id: challengeId, code: code.trim() },
    }),
  );
  api.session.start(tokens.access_token, tokens.refresh_token);
}

export function beginTotp(api: Api): Promise<TotpSetup> {
  return must(api.client.POST("/v1/auth/2fa/totp"));
}

export async function confirmTotp(api: Api, code: string): Promise<string[]> {
  const answer = await must(
    api.client.POST("/v1/auth/2fa/totp/confirm", { body: { code: code.trim() } }),
  );
  return answer.recovery_codes;
}

/** A fresh second-factor proof: the access token it returns opens step-up-guarded actions
 * for the next five minutes. */
export async function stepUp(api: Api, code: string): Promise<void> {
  const answer = await must(api.client.POST("/v1/auth/step-up", { body: { code: code.trim() } }));
  api.session.renew(answer.access_token);
}

/** Ends the session on the server (its refresh token) and forgets the tokens here. */
export async function signOut(api: Api, reason: SignedOutReason = "signed_out") {
  const refresh = api.session.refresh;
  api.session.end(reason);
  if (refresh) {
    await api.client
      .POST("/v1/auth/logout", { body: { refresh_token: refresh } })
      .catch(() => undefined);
  }
}

export interface Claims {
  role?: string;
  /** A second factor is enrolled. */
  sf?: boolean;
}

/** The claims of an access token. The token is the server's; reading it here only picks the
 * screen to show (enrol, or the console), the API still decides every call. */
export function claims(token: string | null): Claims {
  if (!token) return {};
  try {
    const payload = token.split(".")[1] ?? "";
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    return JSON.parse(json) as Claims;
  } catch {
    return {};
  }
}
