/**
 * The signed-in admin's tokens, held in this module's memory only: never localStorage,
 * sessionStorage or a cookie, so a script injected elsewhere or a shared disk cannot read them.
 * A reload therefore means signing in again, which is what an admin console should ask for.
 */

export const IDLE_LIMIT_MS = 15 * 60 * 1000;

export type SignedOutReason = "signed_out" | "idle" | "expired" | "not_admin";

type Listener = () => void;

export class Session {
  private access: string | null = null;
  private refreshToken: string | null = null;
  private listeners = new Set<Listener>();
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  lastReason: SignedOutReason | null = null;

  constructor(private readonly idleLimitMs: number = IDLE_LIMIT_MS) {}

  get accessToken(): string | null {
    return this.access;
  }

  get refresh(): string | null {
    return this.refreshToken;
  }

  get signedIn(): boolean {
    return this.access !== null;
  }

  start(access: string, refresh: string): void {
    this.access = access;
    this.refreshToken = refresh;
    this.lastReason = null;
    this.touch();
    this.emit();
  }

  /** A new access token of the same session (after a step-up or a refresh). */
  renew(access: string, refresh?: string): void {
    this.access = access;
    if (refresh !== undefined) this.refreshToken = refresh;
    this.emit();
  }

  end(reason: SignedOutReason): void {
    const was = this.signedIn;
    this.access = null;
    this.refreshToken = null;
    this.lastReason = reason;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (was) this.emit();
  }

  /** Activity: restarts the idle countdown (15 minutes without input signs out). */
  touch(): void {
    if (this.access === null) return;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.onIdle?.(), this.idleLimitMs);
  }

  /** What an idle timeout does (the client ends the server-side session too). */
  onIdle: (() => void) | null = null;

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}
