import { useState, type FormEvent } from "react";
import { admin, type AuditEntry, type AuditPage, type ChainReport } from "../api/admin";
import { ApiError, asProblem, describe } from "../api/problem";
import { useApi } from "../context";
import { useLoad } from "../hooks";
import { DataView } from "../components/DataView";
import { UserRef } from "../components/UserRef";
import { auditCsv } from "../csv";
import { when } from "../format";

const PAGE = 50;
export const EXPORT_LIMIT = 10_000;

interface Filters {
  user_id: string;
  action: string;
  since: string;
  until: string;
}
const NONE: Filters = { user_id: "", action: "", since: "", until: "" };

/** A datetime-local value read as UTC, as the API's RFC 3339 time. */
function utc(local: string): string | undefined {
  return local ? `${local.length === 16 ? `${local}:00` : local}Z` : undefined;
}

function query(filters: Filters) {
  return {
    ...(filters.user_id.trim() ? { user_id: filters.user_id.trim() } : {}),
    ...(filters.action.trim() ? { action: filters.action.trim() } : {}),
    ...(utc(filters.since) ? { since: utc(filters.since) } : {}),
    ...(utc(filters.until) ? { until: utc(filters.until) } : {}),
  };
}

/** The audit log: filter, page back in time, verify the hash chain, export CSV. */
export function Audit() {
  const api = useApi();
  const calls = admin(api);
  const [draft, setDraft] = useState<Filters>(NONE);
  const [filters, setFilters] = useState<Filters>(NONE);
  const [cursor, setCursor] = useState<number[]>([]);
  const before = cursor[cursor.length - 1];
  const page = useLoad<AuditPage>(
    () => calls.audit({ ...query(filters), limit: PAGE, ...(before ? { before } : {}) }),
    [filters, before],
  );
  const [report, setReport] = useState<ChainReport | null>(null);
  const [busy, setBusy] = useState<"verify" | "export" | null>(null);
  const [error, setError] = useState<string | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCursor([]);
    setFilters(draft);
  };
  const guard = async (what: "verify" | "export", work: () => Promise<void>) => {
    setBusy(what);
    setError(null);
    try {
      await work();
    } catch (caught) {
      setError(describe(caught instanceof ApiError ? caught.problem : asProblem(caught)));
    } finally {
      setBusy(null);
    }
  };
  const verify = () => guard("verify", async () => setReport(await calls.verifyAudit()));
  const exportCsv = () =>
    guard("export", async () => {
      const entries: AuditEntry[] = [];
      let older: number | null | undefined;
      do {
        const next = await calls.audit({
          ...query(filters),
          limit: 500,
          ...(older ? { before: older } : {}),
        });
        entries.push(...next.items);
        older = next.next_before;
      } while (older && entries.length < EXPORT_LIMIT);
      const blob = new Blob([auditCsv(entries.slice(0, EXPORT_LIMIT))], { type: "text/csv" });
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = `nija-audit-${new Date().toISOString().slice(0, 19).replace(/:/g, "")}.csv`;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    });

  const field = (name: keyof Filters) => ({
    id: `audit-${name}`,
    value: draft[name],
    onChange: (event: { target: { value: string } }) =>
      setDraft({ ...draft, [name]: event.target.value }),
  });

  return (
    <main id="main" tabIndex={-1}>
      <h1>Audit</h1>
      <form className="filters" role="search" aria-label="Filter the audit log" onSubmit={submit}>
        <div>
          <label htmlFor="audit-user_id">User id</label>
          <input maxLength={64} pattern="[A-Za-z0-9_\-]+" {...field("user_id")} />
        </div>
        <div>
          <label htmlFor="audit-action">Action</label>
          <input maxLength={32} pattern="[A-Za-z0-9_\-]+" {...field("action")} />
        </div>
        <div>
          <label htmlFor="audit-since">From (UTC)</label>
          <input type="datetime-local" {...field("since")} />
        </div>
        <div>
          <label htmlFor="audit-until">Before (UTC)</label>
          <input type="datetime-local" {...field("until")} />
        </div>
        <button type="submit" className="primary">
          Filter
        </button>
      </form>
      <div className="actions">
        <button type="button" onClick={() => void verify()} disabled={busy !== null}>
          {busy === "verify" ? "Verifying…" : "Verify the chain"}
        </button>
        <button type="button" onClick={() => void exportCsv()} disabled={busy !== null}>
          {busy === "export" ? "Exporting…" : "Export CSV"}
        </button>
      </div>
      {error && (
        <p className="notice notice-error" role="alert">
          {error}
        </p>
      )}
      {report && <ChainResult report={report} />}
      <DataView
        result={page}
        what="audit entries"
        isEmpty={(data) => data.items.length === 0}
        empty="No audit entry matches."
      >
        {(data) => (
          <>
            <AuditTable entries={data.items} broken={report?.first_broken_id ?? null} />
            <nav className="pager" aria-label="Audit pages">
              <button
                type="button"
                disabled={cursor.length === 0}
                onClick={() => setCursor(cursor.slice(0, -1))}
              >
                Newer
              </button>
              <button
                type="button"
                disabled={!data.next_before}
                onClick={() => data.next_before && setCursor([...cursor, data.next_before])}
              >
                Older
              </button>
            </nav>
          </>
        )}
      </DataView>
    </main>
  );
}

function ChainResult({ report }: { report: ChainReport }) {
  if (report.ok) {
    return (
      <p className="banner banner-good" role="status">
        The chain holds: {report.checked} entries checked, every link intact.
      </p>
    );
  }
  return (
    <div className="banner banner-bad" role="alert">
      <p>
        The chain is broken at entry <strong>#{report.first_broken_id}</strong>
        {report.reason ? `: ${report.reason}` : ""}. {report.checked} entries before it hold.
      </p>
    </div>
  );
}

export function AuditTable({
  entries,
  broken = null,
}: {
  entries: AuditEntry[];
  broken?: number | null;
}) {
  return (
    <table>
      <caption className="sr-only">Audit entries, newest first</caption>
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">When</th>
          <th scope="col">Action</th>
          <th scope="col">User</th>
          <th scope="col">By</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => (
          <tr key={entry.id} className={entry.id === broken ? "broken" : undefined}>
            <td>
              {entry.id}
              {entry.id === broken && <span className="badge badge-bad"> first broken link</span>}
            </td>
            <td>{when(entry.at)}</td>
            <td>{entry.action}</td>
            <td>
              <UserRef id={entry.user_id} />
            </td>
            <td>
              <UserRef id={entry.actor_id} />
            </td>
            <td className="details">
              {[entry.venue, ...Object.entries(entry.details).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)]
                .filter(Boolean)
                .join("; ") || "–"}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
