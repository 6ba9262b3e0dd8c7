import type { Session } from "../auth/session";

export type LiveStatus = "idle" | "connecting" | "live" | "reconnecting";
export type LiveMessage = { type: string; [field: string]: unknown };

type Handlers = {
  onMessage: (message: LiveMessage) => void;
  /** After a reconnect: whatever happened while the socket was down must be fetched again. */
  onReconnect: () => void;
};

const PING_MS = 25_000;
const MAX_BACKOFF_MS = 30_000;

/**
 * One WebSocket to `/v1/ws` per signed-in app: the token goes in the first message (never the
 * URL), a renewed token is sent again on the open socket, a dropped socket reconnects with
 * jittered exponential backoff and then asks for a refetch, a 4401 close renews the session
 * before reconnecting, a 4403 (suspended) signs out.
 */
export class LiveSocket {
  status: LiveStatus = "idle";
  private socket: WebSocket | null = null;
  private attempts = 0;
  private everOpened = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private stopped = true;
  private unsubscribeToken: (() => void) | null = null;
  private listeners = new Set<() => void>();

  constructor(
    private readonly url: string,
    private readonly session: Session,
    private readonly handlers: Handlers,
    private readonly random: () => number = Math.random,
  ) {}

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getStatus = (): LiveStatus => this.status;

  private setStatus(status: LiveStatus): void {
    this.status = status;
    this.listeners.forEach((listener) => listener());
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unsubscribeToken = this.session.onToken((token) => {
      if (this.socket?.readyState === 1) this.send({ type: "auth", token });
    });
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribeToken?.();
    this.unsubscribeToken = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.retryTimer = null;
    this.pingTimer = null;
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "signed out");
    this.attempts = 0;
    this.everOpened = false;
    this.setStatus("idle");
  }

  /** Delay before attempt n: 1 s, 2 s, 4 s ... capped at 30 s, each between half and all of it. */
  backoff(attempt: number): number {
    const ceiling = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt);
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  private send(message: object): void {
    this.socket?.send(JSON.stringify(message));
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const token = await this.session.accessToken();
    if (this.stopped) return;
    if (!token) {
      this.scheduleRetry();
      return;
    }
    this.setStatus(this.everOpened ? "reconnecting" : "connecting");
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => this.send({ type: "auth", token });
    socket.onmessage = (event) => this.receive(String(event.data));
    socket.onclose = (event) => this.closed(socket, event.code);
    socket.onerror = () => undefined; // a close follows
  }

  private receive(raw: string): void {
    let message: LiveMessage;
    try {
      message = JSON.parse(raw) as LiveMessage;
    } catch {
      return;
    }
    if (message.type === "auth.ok") {
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.attempts = 0;
      this.setStatus("live");
      if (this.pingTimer) clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.send({ type: "ping" }), PING_MS);
      if (reconnected) this.handlers.onReconnect();
      return;
    }
    if (message.type === "pong" || message.type === "error") return;
    this.handlers.onMessage(message);
  }

  private closed(socket: WebSocket, code: number): void {
    if (socket !== this.socket) return;
    this.socket = null;
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.pingTimer = null;
    if (this.stopped) return;
    if (code === 4403) {
      void this.session.signOut("Your account is suspended.");
      return;
    }
    this.setStatus("reconnecting");
    if (code === 4401) {
      void this.session.refresh().then((ok) => (ok ? this.scheduleRetry() : undefined));
      return;
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    const delay = this.backoff(this.attempts++);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }
}

/**
 * Pushes of one item can arrive out of order (several topics): keep, per key, the highest
 * revision seen, and ignore anything older.
 */
export class Revisions {
  private seen = new Map<string, number>();

  accept(key: string, revision: number | undefined | null): boolean {
    if (revision === undefined || revision === null) return true;
    const known = this.seen.get(key);
    if (known !== undefined && known >= revision) return false;
    this.seen.set(key, revision);
    return true;
  }

  clear(): void {
    this.seen.clear();
  }
}
