import { useState, type FormEvent } from "react";
import { admin, TIERS, type Tier, type UserPage } from "../api/admin";
import { useApi } from "../context";
import { useLoad } from "../hooks";
import { DataView } from "../components/DataView";
import { Link, navigate, useLocation } from "../router";
import { when } from "../format";

export const PAGE_SIZE = 25;
type Status = "" | "active" | "suspended";
type TierFilter = "" | Tier;

interface Query {
  q: string;
  status: Status;
  tier: TierFilter;
  offset: number;
}

/** Accounts, searched, filtered and paged by the server (the address keeps the query). */
export function Users() {
  const api = useApi();
  const { search } = useLocation();
  const q = search.get("q") ?? "";
  const status = (search.get("status") ?? "") as Status;
  const tierParam = search.get("tier") ?? "";
  const tier: TierFilter = (TIERS as string[]).includes(tierParam) ? (tierParam as Tier) : "";
  const offset = Math.max(0, Number(search.get("offset") ?? 0) || 0);
  const [draftQ, setDraftQ] = useState(q);
  const [draftStatus, setDraftStatus] = useState<Status>(status);
  const [draftTier, setDraftTier] = useState<TierFilter>(tier);
  const result = useLoad<UserPage>(
    () =>
      admin(api).users({
        q: q || undefined,
        status: status || undefined,
        tier: tier || undefined,
        limit: PAGE_SIZE,
        offset,
      }),
    [q, status, tier, offset],
  );

  const go = (next: Query) => {
    const params = new URLSearchParams();
    if (next.q) params.set("q", next.q);
    if (next.status) params.set("status", next.status);
    if (next.tier) params.set("tier", next.tier);
    if (next.offset) params.set("offset", String(next.offset));
    const query = params.toString();
    navigate(`/users${query ? `?${query}` : ""}`);
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    go({ q: draftQ.trim(), status: draftStatus, tier: draftTier, offset: 0 });
  };

  return (
    <main id="main" tabIndex={-1}>
      <h1>Users</h1>
      <form className="filters" role="search" aria-label="Find users" onSubmit={submit}>
        <div>
          <label htmlFor="user-q">Email or name contains</label>
          <input
            id="user-q"
            type="search"
            maxLength={254}
            value={draftQ}
            onChange={(event) => setDraftQ(event.target.value)}
          />
        </div>
        <div>
          <label htmlFor="user-status">Status</label>
          <select
            id="user-status"
            value={draftStatus}
            onChange={(event) => setDraftStatus(event.target.value as Status)}
          >
            <option value="">Any</option>
            <option value="active">Active</option>
            <option value="suspended">Suspended</option>
          </select>
        </div>
        <div>
          <label htmlFor="user-tier">Tier</label>
          <select
            id="user-tier"
            value={draftTier}
            onChange={(event) => setDraftTier(event.target.value as TierFilter)}
          >
            <option value="">Any</option>
            {TIERS.map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      <DataView
        result={result}
        what="users"
        isEmpty={(page) => page.items.length === 0}
        empty="No user matches."
      >
        {(page) => (
          <>
            <table>
              <caption className="sr-only">Users, page {Math.floor(offset / PAGE_SIZE) + 1}</caption>
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Tier</th>
                  <th scope="col">Status</th>
                  <th scope="col">2FA</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {page.items.map((user) => (
                  <tr key={user.id}>
                    <th scope="row">
                      <Link to={`/users/${user.id}`}>{user.email}</Link>
                    </th>
                    <td>{user.role}</td>
                    <td>{user.tier}</td>
                    <td>
                      <span className={`badge badge-${user.status === "active" ? "good" : "bad"}`}>
                        {user.status}
                      </span>
                    </td>
                    <td>{user.two_factor_enabled ? "yes" : "no"}</td>
                    <td>{when(user.created_at)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <nav className="pager" aria-label="Pages">
              <span role="status">
                {page.offset + 1}–{page.offset + page.items.length} of {page.total}
              </span>
              <button
                type="button"
                disabled={page.offset === 0}
                onClick={() => go({ q, status, tier, offset: Math.max(0, offset - PAGE_SIZE) })}
              >
                Previous
              </button>
              <button
                type="button"
                disabled={page.offset + page.items.length >= page.total}
                onClick={() => go({ q, status, tier, offset: offset + PAGE_SIZE })}
              >
                Next
              </button>
            </nav>
          </>
        )}
      </DataView>
    </main>
  );
}
