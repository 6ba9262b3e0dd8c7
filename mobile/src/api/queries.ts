import { useMutation, useQuery, useQueryClient, type QueryKey } from "@tanstack/react-query";
import { useApi } from "../services";
import { unwrap } from "./errors";
import type { components } from "./schema";

export type Schemas = components["schemas"];
export type Bot = Schemas["BotView"];
export type Credential = Schemas["CredentialOut"];
export type TradingSettings = Schemas["TradingSettingsView"];
export type Profile = Schemas["ProfileOut"];

export function useBot() {
  const api = useApi();
  return useQuery({ queryKey: ["bot"], queryFn: () => unwrap(api.GET("/v1/bot")) });
}

export function useCredentials() {
  const api = useApi();
  return useQuery({ queryKey: ["credentials"], queryFn: () => unwrap(api.GET("/v1/credentials")) });
}

/** One credential, polled every second while the venue's verdict is pending. */
export function useCredential(id: string | undefined) {
  const api = useApi();
  return useQuery({
    queryKey: ["credentials", id],
    enabled: !!id,
    refetchInterval: (query) =>
      !query.state.data || query.state.data.verification === "pending" ? 1000 : false,
    queryFn: () =>
      unwrap(api.GET("/v1/credentials/{credential_id}", { params: { path: { credential_id: id! } } })),
  });
}

export function useNotifications() {
  const api = useApi();
  return useQuery({
    queryKey: ["notifications"],
    queryFn: () => unwrap(api.GET("/v1/notifications", { params: { query: { limit: 50 } } })),
  });
}

export function useProfile() {
  const api = useApi();
  return useQuery({ queryKey: ["profile"], queryFn: () => unwrap(api.GET("/v1/settings/profile")) });
}

export function useTradingSettings() {
  const api = useApi();
  return useQuery({ queryKey: ["trading"], queryFn: () => unwrap(api.GET("/v1/settings/trading")) });
}

export function useSessions() {
  const api = useApi();
  return useQuery({ queryKey: ["sessions"], queryFn: () => unwrap(api.GET("/v1/auth/sessions")) });
}

export function useDevices() {
  const api = useApi();
  return useQuery({ queryKey: ["devices"], queryFn: () => unwrap(api.GET("/v1/auth/devices")) });
}

export function useHooks() {
  const api = useApi();
  return useQuery({
    queryKey: ["hooks"],
    queryFn: () => unwrap(api.GET("/v1/webhooks/tradingview")),
  });
}

export function useVenues() {
  const api = useApi();
  return useQuery({
    queryKey: ["venues"],
    staleTime: 10 * 60_000,
    queryFn: () => unwrap(api.GET("/v1/venues")),
  });
}

/** A mutation that refreshes the listed queries once it succeeds. */
export function useAction<TArgs, TResult>(
  action: (args: TArgs) => Promise<TResult>,
  refresh: QueryKey[] = [],
) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: action,
    onSuccess: () => {
      refresh.forEach((queryKey) => void client.invalidateQueries({ queryKey }));
    },
  });
}
