import createClient from "openapi-fetch";
import type { components, paths } from "../api/schema";
import { DEFAULT_IDLE_MINUTES, REFRESH_MARGIN_SECONDS } from "../config";
import { onboardingStore, prefsStore, refreshTokenStore } from "./storage";

export type Tokens = components["schemas"]["TokenResponse"];
export type SessionStatus = "restoring" | "signedOut" | "signedIn";
export type SessionState = { status: SessionStatus; reason?: string; onboarding?: boolean };
/** Proves the second factor again (device signature or TOTP); true when a new token was set. */
export type StepUpHandler = () => Promise<boolean>;

/**
 * The signed-in session: the access token in memory only, the refresh token in the store
 * (SecureStore on phones, this tab's sessionStorage on the web), renewed before the access
 * token expires, and ended after `idleMinutes` without a touch.
 */
export class Session {
  private access: string | null = null;
  private accessExpiresAt = 0;
  private refreshToken: string | null = null;
  private refreshing: Promise<boolean> | null = null;
  private refreshTimer: ReturnType<typeof setTimeout> | null = null;
  private idleTimer: ReturnType<typeof setInterval> | null = null;
  private lastActivity = Date.now();
  private listeners = new Set<() => void>();
  private tokenListeners = new Set<(token: string) => void>();
  private stepUpHandler: StepUpHandler | null = null;
  private restoring: Promise<void> | null = null;
  idleMinutes = DEFAULT_IDLE_MINUTES;
  state: SessionState = { status: "restoring" };
  private readonly raw;

  constructor(
    readonly baseUrl: string,
    private readonly now: () => number = Date.now,
  ) {
    this.raw = createClient<paths>({ baseUrl, fetch: (r) => globalThis.fetch(r) });
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getState = (): SessionState => this.state;

  /** Called with every new access token (the live socket renews its auth with it). */
  onToken(listener: (token: string) => void): () => void {
    this.tokenListeners.add(listener);
    return () => this.tokenListeners.delete(listener);
  }

  private set(state: SessionState): void {
    this.state = state;
    this.listeners.forEach((listener) => listener());
  }

  /** On start: a stored refresh token signs back in; none (or a dead one) means signed out.
   * Once per session: a root layout mounted again asks again, and must not sign in anew. */
  restore(): Promise<void> {
    this.restoring ??= this.load();
    return this.restoring;
  }

  private async load(): Promise<void> {
    const prefs = await prefsStore.get();
    if (prefs.idleMinutes) this.idleMinutes = prefs.idleMinutes;
    this.refreshToken = await refreshTokenStore.get();
    if (!this.refreshToken) {
      this.set({ status: "signedOut" });
      return;
    }
    if (!(await this.refresh())) this.set({ status: "signedOut" });
  }

  /** New tokens; `onboarding` routes a new account through the onboarding screens first. */
  async accept(tokens: Tokens, options: { onboarding?: boolean } = {}): Promise<void> {
    this.refreshToken = tokens.refresh_token;
    await refreshTokenStore.set(tokens.refresh_token);
    this.setAccess(tokens.access_token, tokens.expires_in);
    this.lastActivity = this.now();
    this.startIdleWatch();
    if (this.state.status === "signedIn") return;
    if (options.onboarding) await onboardingStore.set(true);
    const onboarding = options.onboarding ?? (await onboardingStore.get());
    // Another accept (a renewal) may have signed in while the store answered.
    if (this.getState().status !== "signedIn") this.set({ status: "signedIn", onboarding });
  }

  finishOnboarding(): void {
    void onboardingStore.set(false);
    if (this.state.status === "signedIn") this.set({ status: "signedIn", onboarding: false });
  }

  /** A step-up answers a fresh access token of the same session. */
  replaceAccess(token: string, expiresIn: number): void {
    this.setAccess(token, expiresIn);
  }

  private setAccess(token: string, expiresIn: number): void {
    this.access = token;
    this.accessExpiresAt = this.now() + expiresIn * 1000;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    const due = Math.max(1, expiresIn - REFRESH_MARGIN_SECONDS) * 1000;
    this.refreshTimer = setTimeout(() => void this.refresh(), due);
    this.tokenListeners.forEach((listener) => listener(token));
  }

  /** The access token, renewed first when it is within the margin of expiring. */
  async accessToken(): Promise<string | null> {
    if (this.access && this.accessExpiresAt - this.now() > REFRESH_MARGIN_SECONDS * 1000) {
      return this.access;
    }
    if (!this.refreshToken) return this.access;
    return (await this.refresh()) ? this.access : null;
  }

  /** Rotate the refresh token (one at a time: a spent token presented twice ends the session). */
  refresh(): Promise<boolean> {
    if (!this.refreshing) {
      this.refreshing = this.doRefresh().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  private async doRefresh(): Promise<boolean> {
    const token = this.refreshToken;
    if (!token) return false;
    let response: Response;
    let data: Tokens | undefined;
    try {
      ({ data, response } = await this.raw.POST("/v1/auth/refresh", {
        body: { refresh_token: token },
      }));
    } catch {
      return false; // offline: keep the session, try again on the next call
    }
    if (response.ok && data) {
      await this.accept(data);
      return true;
    }
    if (response.status === 401 || response.status === 403) {
      await this.end("Your session ended. Sign in again.");
    }
    return false;
  }

  setStepUpHandler(handler: StepUpHandler | null): void {
    this.stepUpHandler = handler;
  }

  async stepUp(): Promise<boolean> {
    return this.stepUpHandler ? this.stepUpHandler() : false;
  }

  /** Sign out: the server forgets the refresh token, this app forgets both tokens. */
  async signOut(reason?: string): Promise<void> {
    const token = this.refreshToken;
    if (token) {
      try {
        await this.raw.POST("/v1/auth/logout", { body: { refresh_token: token } });
      } catch {
        // offline: the token is dropped here anyway and expires on the server
      }
    }
    await this.end(reason);
  }

  private async end(reason?: string): Promise<void> {
    this.access = null;
    this.refreshToken = null;
    this.accessExpiresAt = 0;
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.refreshTimer = null;
    this.idleTimer = null;
    await refreshTokenStore.set(null);
    await onboardingStore.set(false);
    this.set({ status: "signedOut", reason });
  }

  /** Any touch or key press counts as activity. */
  touch = (): void => {
    this.lastActivity = this.now();
  };

  async setIdleMinutes(minutes: number): Promise<void> {
    this.idleMinutes = minutes;
    await prefsStore.update({ idleMinutes: minutes });
  }

  /** Checked on a timer and whenever the app comes back to the foreground. */
  checkIdle = (): void => {
    if (this.state.status !== "signedIn") return;
    if (this.now() - this.lastActivity >= this.idleMinutes * 60_000) {
      void this.signOut(`Signed out after ${this.idleMinutes} minutes without activity.`);
    }
  };

  private startIdleWatch(): void {
    if (this.idleTimer) return;
    this.idleTimer = setInterval(this.checkIdle, 15_000);
  }

  /** Stop timers (tests, and the app unmounting). */
  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    if (this.idleTimer) clearInterval(this.idleTimer);
    this.refreshTimer = null;
    this.idleTimer = null;
  }
}
