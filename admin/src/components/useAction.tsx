/**
 * Every action on the platform goes through here: a confirmation, then the call; when the API
 * answers `step_up_required`, a fresh second-factor code (POST /v1/auth/step-up) and the call
 * again; a refusal shows the API's problem `detail`.
 */
import { useState, type FormEvent, type ReactNode } from "react";
import { ApiError, asProblem, describe, type Problem } from "../api/problem";
import { stepUp } from "../api/auth";
import { useApi } from "../context";
import { Dialog } from "./Dialog";

export interface ActionSpec<T> {
  title: string;
  body?: ReactNode;
  confirmLabel: string;
  danger?: boolean;
  perform: () => Promise<T>;
  success: (result: T) => string;
  onDone?: (result: T) => void;
}

type Phase =
  | { kind: "idle" }
  | { kind: "confirm" }
  | { kind: "working" }
  | { kind: "step_up"; error?: string; busy?: boolean };

type Notice = { ok: boolean; text: string } | null;

export function useAction() {
  const api = useApi();
  const [spec, setSpec] = useState<ActionSpec<unknown> | null>(null);
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const [notice, setNotice] = useState<Notice>(null);
  const [code, setCode] = useState("");

  const close = () => {
    setPhase({ kind: "idle" });
    setSpec(null);
    setCode("");
  };

  const refused = (problem: Problem) => {
    setNotice({ ok: false, text: `Refused: ${describe(problem)}` });
    close();
  };

  const attempt = async (current: ActionSpec<unknown>) => {
    setPhase({ kind: "working" });
    try {
      const result = await current.perform();
      setNotice({ ok: true, text: current.success(result) });
      close();
      current.onDone?.(result);
    } catch (error) {
      const problem = error instanceof ApiError ? error.problem : asProblem(error);
      if (problem.code === "step_up_required") setPhase({ kind: "step_up" });
      else refused(problem);
    }
  };

  const start = <T,>(next: ActionSpec<T>) => {
    setNotice(null);
    setSpec(next as ActionSpec<unknown>);
    setPhase({ kind: "confirm" });
  };

  const submitStepUp = async (event: FormEvent) => {
    event.preventDefault();
    if (!spec) return;
    setPhase({ kind: "step_up", busy: true });
    try {
      await stepUp(api, code);
    } catch (error) {
      const problem = error instanceof ApiError ? error.problem : asProblem(error);
      setPhase({ kind: "step_up", error: describe(problem) });
      return;
    }
    setCode("");
    await attempt(spec);
  };

  let dialog: ReactNode = null;
  if (spec && (phase.kind === "confirm" || phase.kind === "working")) {
    dialog = (
      <Dialog title={spec.title} onCancel={close}>
        {spec.body}
        <div className="actions">
          <button type="button" data-cancel onClick={close} disabled={phase.kind === "working"}>
            Cancel
          </button>
          <button
            type="button"
            className={spec.danger ? "danger" : "primary"}
            onClick={() => void attempt(spec)}
            disabled={phase.kind === "working"}
          >
            {phase.kind === "working" ? "Working…" : spec.confirmLabel}
          </button>
        </div>
      </Dialog>
    );
  } else if (spec && phase.kind === "step_up") {
    dialog = (
      <Dialog title="Confirm it is you" onCancel={close}>
        <form onSubmit={(event) => void submitStepUp(event)}>
          <p>
            “{spec.title}” needs a fresh proof of your second factor. Enter the current code from
            your authenticator app.
          </p>
          <label htmlFor="step-up-code">Authenticator code</label>
          <input
            id="step-up-code"
            name="code"
            inputMode="numeric"
            autoComplete="one-time-code"
            pattern="[0-9 ]{6,8}"
            required
            value={code}
            onChange={(event) => setCode(event.target.value)}
            aria-describedby={phase.error ? "step-up-error" : undefined}
          />
          {phase.error && (
            <p id="step-up-error" className="field-error" role="alert">
              {phase.error}
            </p>
          )}
          <div className="actions">
            <button type="button" data-cancel onClick={close}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={phase.busy}>
              {phase.busy ? "Checking…" : "Confirm and continue"}
            </button>
          </div>
        </form>
      </Dialog>
    );
  }

  const noticeElement = notice ? (
    <p className={notice.ok ? "notice notice-ok" : "notice notice-error"} role={notice.ok ? "status" : "alert"}>
      {notice.text}
    </p>
  ) : null;

  return { start, element: (
    <>
      {noticeElement}
      {dialog}
    </>
  ), busy: phase.kind !== "idle" };
}
