import { useState, type FormEvent } from "react";
import { beginTotp, confirmTotp, signOut, stepUp, type TotpSetup } from "../api/auth";
import { ApiError, asProblem, describe } from "../api/problem";
import { useApi } from "../context";
import { QrCode } from "../components/QrCode";

/**
 * An admin without a second factor cannot call /v1/admin: enrol TOTP (the app shows the
 * otpauth URI and its QR code), confirm it with a first code, keep the recovery codes, and
 * prove it once more with the next code (step-up), which opens the console.
 */
export function Enrol() {
  const api = useApi();
  const [setup, setSetup] = useState<TotpSetup | null>(null);
  const [recovery, setRecovery] = useState<string[] | null>(null);
  const [code, setCode] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (caught) {
      setError(describe(caught instanceof ApiError ? caught.problem : asProblem(caught)));
    } finally {
      setBusy(false);
    }
  };

  const start = () => run(async () => setSetup(await beginTotp(api)));
  const confirm = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      setRecovery(await confirmTotp(api, code));
      setCode("");
    });
  };
  const prove = (event: FormEvent) => {
    event.preventDefault();
    void run(async () => {
      await stepUp(api, code);
      setCode("");
    });
  };

  return (
    <main id="main" className="signin enrol">
      <h1>Set up your second factor</h1>
      {!setup && (
        <>
          <p>
            Admin functions need a second factor. Add this account to an authenticator app
            (any TOTP app) to continue.
          </p>
          <div className="actions">
            <button type="button" className="primary" onClick={() => void start()} disabled={busy}>
              Set up an authenticator app
            </button>
            <button type="button" onClick={() => void signOut(api)}>
              Sign out
            </button>
          </div>
        </>
      )}
      {setup && !recovery && (
        <form onSubmit={confirm} aria-label="Confirm the authenticator">
          <h2>1. Scan or type the key</h2>
          <QrCode svg={setup.qr_svg} label="QR code of the authenticator key" />
          <p>Or add it by hand with this address:</p>
          <p className="mono break" data-testid="otpauth-uri">
            {setup.otpauth_uri}
          </p>
          <h2>2. Enter the code the app shows</h2>
          <label htmlFor="totp-code">Code</label>
          <input
            id="totp-code"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            minLength={6}
            maxLength={8}
            value={code}
            onChange={(event) => setCode(event.target.value)}
          />
          <button type="submit" className="primary" disabled={busy}>
            Confirm
          </button>
        </form>
      )}
      {recovery && (
        <form onSubmit={prove} aria-label="Prove the second factor">
          <h2>3. Keep your recovery codes</h2>
          <p>Each works once, instead of a code, if you lose the app. They are not shown again.</p>
          <ul className="recovery mono" aria-label="Recovery codes">
            {recovery.map((value) => (
              <li key={value}>{value}</li>
            ))}
          </ul>
          <h2>4. Prove it once more</h2>
          <p>Wait for the app's next code and enter it to open the console.</p>
          <label htmlFor="next-code">Next code</label>
          <input
            id="next-code"
            inputMode="numeric"
            autoComplete="one-time-code"
            required
            minLength={6}
            maxLength={8}
            value={code}
            onChange={(event) => setCode(event.target.value)}
          />
          <button type="submit" className="primary" disabled={busy}>
            Open the console
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
