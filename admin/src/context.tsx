import { createContext, useContext, useSyncExternalStore } from "react";
import type { Api } from "./api/client";

export const ApiContext = createContext<Api | null>(null);

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error("useApi outside <ApiContext.Provider>");
  return api;
}

/** Re-renders when the session signs in, renews or ends. */
export function useSession() {
  const api = useApi();
  const token = useSyncExternalStore(
    (listener) => api.session.subscribe(listener),
    () => api.session.accessToken,
  );
  return { api, token, signedIn: token !== null };
}
