import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useMemo, useSyncExternalStore, type ReactNode } from "react";
import { createApi, createPublicApi, type Api } from "./api/client";
import { Session, type SessionState } from "./auth/session";
import { apiBaseUrl, socketUrl } from "./config";
import { applyLive } from "./live/apply";
import { LiveSocket, Revisions, type LiveStatus } from "./live/socket";

export type Services = {
  session: Session;
  api: Api;
  publicApi: ReturnType<typeof createPublicApi>;
  queryClient: QueryClient;
  live: LiveSocket;
};

export function newQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // The last data stays on screen while offline; its age is shown (`QueryState`).
        retry: (count, error) => count < 2 && (error as { status?: number }).status === 0,
        staleTime: 15_000,
        gcTime: 24 * 60 * 60_000,
      },
      mutations: { retry: false },
    },
  });
}

export function createServices(options: { baseUrl?: string; queryClient?: QueryClient } = {}): Services {
  const baseUrl = options.baseUrl ?? apiBaseUrl();
  const session = new Session(baseUrl);
  const queryClient = options.queryClient ?? newQueryClient();
  const revisions = new Revisions();
  const live = new LiveSocket(socketUrl(baseUrl), session, {
    onMessage: (message) => applyLive(queryClient, revisions, message),
    onReconnect: () => void queryClient.invalidateQueries(),
  });
  return {
    session,
    api: createApi(session),
    publicApi: createPublicApi(baseUrl),
    queryClient,
    live,
  };
}

const ServicesContext = createContext<Services | null>(null);

export function ServicesProvider({ services, children }: { services: Services; children: ReactNode }) {
  const { session, live, queryClient } = services;
  const state = useSyncExternalStore(session.subscribe, session.getState);
  useEffect(() => {
    if (state.status === "signedIn") live.start();
    if (state.status === "signedOut") {
      live.stop();
      queryClient.clear(); // nothing of one trader is left for the next
    }
  }, [state.status, live, queryClient]);
  const value = useMemo(() => services, [services]);
  return (
    <ServicesContext.Provider value={value}>
      <QueryClientProvider client={queryClient}>{children}</QueryClientProvider>
    </ServicesContext.Provider>
  );
}

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error("useServices outside ServicesProvider");
  return services;
}

export const useApi = (): Api => useServices().api;

export function useSessionState(): SessionState {
  const { session } = useServices();
  return useSyncExternalStore(session.subscribe, session.getState);
}

export function useLiveStatus(): LiveStatus {
  const { live } = useServices();
  return useSyncExternalStore(live.subscribe, live.getStatus);
}
