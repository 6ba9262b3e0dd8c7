import { useEffect, useRef } from "react";
import type { Api } from "./api/client";
import { claims, signOut } from "./api/auth";
import { ApiContext, useSession } from "./context";
import { Link, match, navigate, useLocation } from "./router";
import { SignIn } from "./pages/SignIn";
import { Enrol } from "./pages/Enrol";
import { Overview } from "./pages/Overview";
import { Users } from "./pages/Users";
import { UserDetail } from "./pages/UserDetail";
import { KillSwitch } from "./pages/KillSwitch";
import { Venues } from "./pages/Venues";
import { Routing } from "./pages/Routing";
import { Audit } from "./pages/Audit";

const NAV = [
  ["/", "Overview"],
  ["/users", "Users"],
  ["/kill-switch", "Kill switch"],
  ["/venues", "Venues"],
  ["/routing", "Routing"],
  ["/audit", "Audit"],
] as const;

export function App({ api }: { api: Api }) {
  return (
    <ApiContext.Provider value={api}>
      <Shell />
    </ApiContext.Provider>
  );
}

function Shell() {
  const { api, token, signedIn } = useSession();

  useEffect(() => {
    api.session.onIdle = () => void signOut(api, "idle");
    const touch = () => api.session.touch();
    const events = ["keydown", "pointerdown", "wheel", "touchstart"] as const;
    for (const name of events) document.addEventListener(name, touch, { passive: true });
    return () => {
      for (const name of events) document.removeEventListener(name, touch);
    };
  }, [api]);

  const { role, sf } = claims(token);
  const admitted = signedIn && role === "admin";
  useEffect(() => {
    // Only admins stay: anyone else's session is ended at once.
    if (signedIn && role !== "admin") void signOut(api, "not_admin");
  }, [api, signedIn, role]);

  if (!admitted) return <SignIn />;
  if (!sf) return <Enrol />;
  return <Console />;
}

function Console() {
  const { api } = useSession();
  const { path } = useLocation();
  const first = useRef(true);
  useEffect(() => {
    // A new page takes the focus, so keyboard and screen-reader users start at its content.
    if (first.current) first.current = false;
    else document.getElementById("main")?.focus();
  }, [path]);
  const userMatch = match("/users/:id", path);
  let page;
  if (path === "/" || path === "/sign-in" || path === "/enrol") page = <Overview />;
  else if (path === "/users") page = <Users />;
  else if (userMatch) page = <UserDetail id={userMatch.id ?? ""} />;
  else if (path === "/kill-switch") page = <KillSwitch />;
  else if (path === "/venues") page = <Venues />;
  else if (path === "/routing") page = <Routing />;
  else if (path === "/audit") page = <Audit />;
  else
    page = (
      <main id="main" tabIndex={-1}>
        <h1>Not found</h1>
        <p>
          There is no page at this address. <Link to="/">Go to the overview.</Link>
        </p>
      </main>
    );
  return (
    <div className="layout">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">NIJA admin</span>
        <nav aria-label="Sections">
          <ul>
            {NAV.map(([to, label]) => {
              const here = to === "/" ? path === "/" : path === to || path.startsWith(`${to}/`);
              return (
                <li key={to}>
                  <Link to={to} aria-current={here ? "page" : undefined}>
                    {label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <button
          type="button"
          className="signout"
          onClick={() => {
            void signOut(api);
            navigate("/", { replace: true });
          }}
        >
          Sign out
        </button>
      </header>
      {page}
    </div>
  );
}
