import { useState, type FormEvent } from "react";
import { finishSecondFactor, signIn } from "../api/auth";
import { ApiError, asProblem, describe } from "../api/problem";
import { useApi } from "../context";

const REASONS: Record<string, string> = {
  idle: "You were signed out after 15 minutes without activity.",
  expired: "Your session ended. Sign in again.",
  not_admin: "This panel is for admins; that account is not one.",
};

export function SignIn() {
  const api = useApi();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [challenge, setChallenge] = useState<string | null>(null);
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const reason = api.session.lastReason ? REASONS[api.session.lastReason] : undefined;

  const fail = (caught: unknown) =>
    setError(describe(caught instanceof ApiError ? caught.problem : asProblem(caught)));

  const submitPassword = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const outcome = await signIn(api, email.trim(), password);
      if (outcome.kind === "second_factor") {
        setChallenge(outcome.challengeId);
        setPassword("");
      } else {
        setPassword("");
      }
    } catch (caught) {
      fail(caught);
    } finally {
      setBusy(false);
    }
  };

  const submitCode = async (event: FormEvent) => {
    event.preventDefault();
    if (!challenge) return;
    setBusy(true);
    setError(null);
    try {
      await finishSecondFactor(api, challenge, code);
    } catch (caught) {
      if (caught instanceof ApiError && caught.status === 401 && caught.code !== "invalid_second_factor") {
        setChallenge(null);
      }
      fail(caught);
    } finally {
      setBusy(false);
      setCode("");
    }
  };

  return (
    <main id="main" className="signin">
      <h1>NIJA admin</h1>
      {reason && !error && (
        <p className={reason === REASONS.not_admin ? "notice notice-error" : "notice"} role="status">
          {reason}
        </p>
      )}
      {challenge === null ? (
        <form onSubmit={(event) => void submitPassword(event)} aria-label="Sign in">
          <h2>Sign in</h2>
          <label htmlFor="email">Email</label>
          <input
            id="email"
            type="email"
            autoComplete="username"
            required
            maxLength={320}
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
          <label htmlFor="password">Password</label>
          <input
            id="password"
            type="password"
            autoComplete="current-password"
            required
            maxLength={128}
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
      ) : (
        <form onSubmit={(event) => void submitCode(event)} aria-label="Second factor">
          <h2>Second factor</h2>
          <p>Enter the code from your authenticator app, or one of your recovery codes.</p>
          <label htmlFor="code">Code</label>
          <input
            id="code"
            autoComplete="one-time-code"
            required
            minLength={6}
            maxLength={32}
            value={code}
            onChange={(event) => setCode(event.target.value)}
          />
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Checking…" : "Continue"}
          </button>
        </form>
      )}
      {error && (
        <p className="notice notice-error" role="alert">
          {error}
        </p>
      )}
    </main>
  );
}
