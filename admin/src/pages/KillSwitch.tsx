import { useState } from "react";
import { admin, type AdminRouting, type KillSwitchView } from "../api/admin";
import { useApi } from "../context";
import { useLoad } from "../hooks";
import { useAction } from "../components/useAction";
import { DataView } from "../components/DataView";

interface Change {
  view: KillSwitchView;
  at: Date;
}

/** The global kill switch: engage (optionally closing every position) or release, with a reason. */
export function KillSwitch() {
  const api = useApi();
  const calls = admin(api);
  const state = useLoad<AdminRouting>(() => calls.routing(1), [], 10_000);
  const action = useAction();
  const [reason, setReason] = useState("");
  const [closeAll, setCloseAll] = useState(false);
  const [last, setLast] = useState<Change | null>(null);

  const set = (active: boolean) =>
    action.start({
      title: active ? "Engage the global kill switch?" : "Release the global kill switch?",
      body: active ? (
        <p>
          Every new order of every user is refused and every bot pauses.
          {closeAll && " Every open order is cancelled and every position closed at market."}
          {reason.trim() && ` Reason: “${reason.trim()}”.`}
        </p>
      ) : (
        <p>Orders are accepted again. Bots stay paused until their owners start them.</p>
      ),
      confirmLabel: active ? "Engage kill switch" : "Release kill switch",
      danger: active,
      perform: () =>
        calls.killSwitch({
          scope: "global",
          active,
          reason: reason.trim() || null,
          close_all_positions: active && closeAll,
        }),
      success: (view) => {
        const result = view as KillSwitchView;
        const unwound = result.positions_closing || result.orders_cancelled
          ? ` ${result.orders_cancelled} orders cancelled, ${result.positions_closing} positions closing.`
          : "";
        return (result.active ? "Global kill switch engaged." : "Global kill switch released.") + unwound;
      },
      onDone: (view) => {
        setLast({ view: view as KillSwitchView, at: new Date() });
        setReason("");
        setCloseAll(false);
        state.reload();
      },
    });

  return (
    <main id="main" tabIndex={-1}>
      <h1>Kill switch</h1>
      {action.element}
      <DataView result={state} what="the kill switch">
        {(routing) =>
          routing.global_kill_switch ? (
            <p className="banner banner-bad" role="status">
              The global kill switch is <strong>ENGAGED</strong>: no order is placed for anyone.
            </p>
          ) : (
            <p className="banner banner-good" role="status">
              The global kill switch is <strong>released</strong>: trading is on.
            </p>
          )
        }
      </DataView>
      {last && (
        <p className="hint">
          Last change from this console: {last.view.active ? "engaged" : "released"} by{" "}
          {last.view.set_by} at {last.at.toLocaleTimeString("en-GB")}.
        </p>
      )}
      <form
        className="card"
        aria-label="Global kill switch"
        onSubmit={(event) => event.preventDefault()}
      >
        <label htmlFor="ks-reason">Reason (kept with the switch)</label>
        <textarea
          id="ks-reason"
          maxLength={500}
          value={reason}
          onChange={(event) => setReason(event.target.value)}
        />
        <div className="check">
          <input
            id="ks-close-all"
            type="checkbox"
            checked={closeAll}
            onChange={(event) => setCloseAll(event.target.checked)}
          />
          <label htmlFor="ks-close-all">
            Also cancel every open order and close every position at market
          </label>
        </div>
        <div className="actions">
          <button type="button" className="danger" onClick={() => set(true)} disabled={action.busy}>
            Engage…
          </button>
          <button type="button" onClick={() => set(false)} disabled={action.busy}>
            Release…
          </button>
        </div>
      </form>
    </main>
  );
}
