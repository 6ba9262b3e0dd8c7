/** The admin API calls the pages make, typed from the OpenAPI snapshot. */
import type { components } from "./schema";
import { must, type Api } from "./client";

type S = components["schemas"];
export type AdminUser = S["AdminUserOut"];
export type AdminUserDetail = S["AdminUserDetail"];
export type UserPage = S["UserPage"];
export type Tier = S["TierRequest"]["tier"];
export type VenueHealth = S["VenueHealthView"];
export type VenueFaults = S["VenueFaultsBody"];
export type AdminRouting = S["AdminRouting"];
export type AuditPage = S["AuditPage"];
export type AuditEntry = S["AuditEntryOut"];
export type ChainReport = S["ChainReportOut"];
export type KillSwitchView = S["KillSwitchView"];
export type KillSwitches = S["AdminKillSwitches"];
export type KillSwitchEntry = S["KillSwitchEntry"];
export type AdminOverview = S["AdminOverview"];
export type Decision = S["DecisionSummary"];
export type Candidate = S["CandidateView"];
export type Order = S["OrderView"];
export type Position = S["PositionView"];
export type Credential = S["CredentialOut"];
export type Bot = S["BotView"];
export type SignInSession = S["SessionOut"];
export type SignInDevice = S["DeviceOut"];
export type PushDevice = S["DeviceView"];

export const TIERS: Tier[] = ["basic", "pro", "enterprise"];

export interface UserQuery {
  q?: string;
  status?: "active" | "suspended";
  tier?: Tier;
  limit: number;
  offset: number;
}

export const admin = (api: Api) => ({
  users: (query: UserQuery) =>
    must(
      api.client.GET("/v1/admin/users", {
        params: {
          query: {
            limit: query.limit,
            offset: query.offset,
            ...(query.q ? { q: query.q } : {}),
            ...(query.status ? { status: query.status } : {}),
            ...(query.tier ? { tier: query.tier } : {}),
          },
        },
      }),
    ) as Promise<UserPage>,
  user: (id: string) =>
    must(api.client.GET("/v1/admin/users/{user_id}", { params: { path: { user_id: id } } })),
  suspend: (id: string, reason: string) =>
    must(
      api.client.POST("/v1/admin/users/{user_id}/suspend", {
        params: { path: { user_id: id } },
        body: { reason },
      }),
    ),
  reinstate: (id: string) =>
    must(
      api.client.POST("/v1/admin/users/{user_id}/reinstate", { params: { path: { user_id: id } } }),
    ),
  changeTier: (id: string, tier: Tier) =>
    must(
      api.client.PUT("/v1/admin/users/{user_id}/tier", {
        params: { path: { user_id: id } },
        body: { tier },
      }),
    ),
  resumeTrading: (id: string) =>
    must(
      api.client.POST("/v1/admin/users/{user_id}/trading/resume", {
        params: { path: { user_id: id } },
      }),
    ),
  userOrders: (id: string, limit = 20) =>
    must(
      api.client.GET("/v1/admin/users/{user_id}/orders", {
        params: { path: { user_id: id }, query: { limit } },
      }),
    ),
  userPositions: (id: string) =>
    must(
      api.client.GET("/v1/admin/users/{user_id}/positions", { params: { path: { user_id: id } } }),
    ),
  userCredentials: (id: string) =>
    must(
      api.client.GET("/v1/admin/users/{user_id}/credentials", {
        params: { path: { user_id: id } },
      }),
    ),
  userBot: (id: string) =>
    must(api.client.GET("/v1/admin/users/{user_id}/bot", { params: { path: { user_id: id } } })),
  userSessions: (id: string) =>
    must(
      api.client.GET("/v1/admin/users/{user_id}/sessions", { params: { path: { user_id: id } } }),
    ),
  revokeSession: (id: string, sessionId: string) =>
    must(
      api.client.DELETE("/v1/admin/users/{user_id}/sessions/{session_id}", {
        params: { path: { user_id: id, session_id: sessionId } },
      }),
    ),
  userDevices: (id: string) =>
    must(
      api.client.GET("/v1/admin/users/{user_id}/devices", { params: { path: { user_id: id } } }),
    ),
  revokeDevice: (id: string, deviceId: string) =>
    must(
      api.client.DELETE("/v1/admin/users/{user_id}/devices/{device_id}", {
        params: { path: { user_id: id, device_id: deviceId } },
      }),
    ),
  userPushDevices: (id: string) =>
    must(
      api.client.GET("/v1/admin/users/{user_id}/push-devices", {
        params: { path: { user_id: id } },
      }),
    ),
  revokePushDevice: (id: string, device: string) =>
    must(
      api.client.DELETE("/v1/admin/users/{user_id}/push-devices/{device}", {
        params: { path: { user_id: id, device } },
      }),
    ),
  overview: () => must(api.client.GET("/v1/admin/overview")),
  killSwitches: () => must(api.client.GET("/v1/admin/kill-switch")),
  killSwitch: (body: S["KillSwitchRequest"]) =>
    must(api.client.POST("/v1/admin/kill-switch", { body })),
  routing: (limit = 50) =>
    must(api.client.GET("/v1/admin/routing", { params: { query: { limit } } })),
  venues: () => must(api.client.GET("/v1/admin/venues")),
  resetBreaker: (venue: string) =>
    must(
      api.client.POST("/v1/admin/venues/{venue}/breaker/reset", { params: { path: { venue } } }),
    ),
  setFaults: (venue: string, body: VenueFaults) =>
    must(
      api.client.POST("/v1/admin/venues/{venue}/faults", { params: { path: { venue } }, body }),
    ),
  audit: (query: {
    user_id?: string;
    action?: string;
    since?: string;
    until?: string;
    before?: number;
    limit?: number;
  }) => must(api.client.GET("/v1/admin/audit", { params: { query } })),
  verifyAudit: () => must(api.client.POST("/v1/admin/audit/verify")),
});
