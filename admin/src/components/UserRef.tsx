import { useEffect, useState } from "react";
import { admin } from "../api/admin";
import type { Api } from "../api/client";
import { useApi } from "../context";
import { Link } from "../router";

// One lookup per account and console session: pages refresh, and every call counts against
// the admin's per-minute API budget.
const emails = new WeakMap<Api, Map<string, Promise<string | null>>>();

function emailOf(api: Api, id: string): Promise<string | null> {
  let known = emails.get(api);
  if (!known) emails.set(api, (known = new Map()));
  let email = known.get(id);
  if (!email) {
    email = admin(api)
      .user(id)
      .then(
        (detail) => detail.user.email,
        () => null,
      );
    known.set(id, email);
  }
  return email;
}

const ACCOUNT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A link to an account's page: its email when `named` (looked up once), else its short id.
 * Anything that is not an account id (`global`, `execution`, `admin`) is shown as it is. */
export function UserRef({ id, named = false }: { id: string | null | undefined; named?: boolean }) {
  const api = useApi();
  const [email, setEmail] = useState<string | null>(null);
  const account = !!id && ACCOUNT.test(id);
  useEffect(() => {
    if (!named || !account || !id) return;
    let live = true;
    void emailOf(api, id).then((found) => live && setEmail(found));
    return () => {
      live = false;
    };
  }, [api, id, named, account]);
  if (!id) return <>–</>;
  if (!account) return <>{id}</>;
  return (
    <Link to={`/users/${id}`} className={email ? undefined : "mono"}>
      {email ?? id.slice(0, 8)}
    </Link>
  );
}
