/**
 * The live notification stream (GET /api/v1/notifications/stream, Server-Sent Events).
 *
 * Read with fetch and a ReadableStream reader rather than EventSource, which cannot
 * send the Authorization header. Events: `notification` (id = its sequence number,
 * data `{"notification": NotificationOut, "unread_count": n}`), `unread` (data
 * `{"unread_count": n}`, on connect and whenever the count changes) and the comment
 * `: ping` every 15 s.
 *
 * - A dropped stream (network error, server restart, the stream ending) is opened again
 *   after a backoff of 1 s, 2 s, 4 s, 8 s, then 15 s at most, with `Last-Event-ID` set
 *   to the last notification received: the server then sends only newer ones, so none
 *   is lost and none repeated. The backoff starts again from 1 s once a connection has
 *   delivered something.
 * - No byte for 45 s (three heartbeats missed) means a dead connection: it is dropped
 *   and opened again.
 * - A 401 is an expired access token: it is refreshed once (shared with the API client)
 *   and the stream opened again at once; when the refresh fails — or the new token is
 *   refused too — the session has ended.
 * - A stream that dropped before any notification came has no position to resume from:
 *   opened again it starts now, and onResync tells the lists to read themselves anew.
 * - A 403 (an account without an inbox) ends it: asking again would not change that.
 * - `stop()` (signing out) ends the stream and any pending reconnection.
 */
import type { Schemas } from "../api/client";
import { SseParser, type SseItem } from "./sse";

export type LiveNotification = Schemas["NotificationOut"];
export type LiveState = "stopped" | "connecting" | "open" | "down";

export const STREAM_URL = "/api/v1/notifications/stream";
export const HEARTBEAT_TIMEOUT_MS = 45_000;
const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];

/** The wait before reconnection attempt `attempt` (0-based): 1 s, 2 s, 4 s, 8 s, then 15 s,
 *  each shortened by up to a fifth at random so that many browsers do not return at once. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = BACKOFF_MS[Math.min(Math.max(attempt, 0), BACKOFF_MS.length - 1)];
  return Math.round(base * (1 - 0.2 * random()));
}

export interface LiveHandlers {
  /** a new notification, with my unread count after it; `id` is the event id */
  onNotification(notification: LiveNotification, unreadCount: number | null, id: string): void;
  /** my unread count (on connect, and when it changed, e.g. read in another window) */
  onUnread(unreadCount: number): void;
  onState?(state: LiveState): void;
  /** the stream was opened again without a position to resume from (it dropped before
   *  any notification came): what was written meanwhile is not sent — lists read anew */
  onResync?(): void;
}

export interface LiveDeps {
  fetch: typeof fetch;
  /** the current access token */
  accessToken(): string | null;
  /** one refresh of the token pair; false when it failed */
  refresh(): Promise<boolean>;
  /** the session has ended (the refresh failed) */
  expired(): void;
  url: string;
  heartbeatTimeoutMs: number;
  /** the wait before reconnection attempt n (0-based) */
  delay(attempt: number): number;
}

type Outcome = "unauthorized" | "forbidden" | "ended" | "failed";

export class LiveConnection {
  /** the id of the last event received: sent as Last-Event-ID when reconnecting */
  lastEventId: string;
  state: LiveState = "stopped";
  private stopped = true;
  private attempt = 0;
  private controller: AbortController | null = null;
  private wake: (() => void) | null = null;
  private skipWait = false;
  private openedBefore = false;
  private running: Promise<void> | null = null;
  private readonly deps: LiveDeps;

  constructor(
    private readonly handlers: LiveHandlers,
    deps: Partial<LiveDeps> & Pick<LiveDeps, "accessToken" | "refresh" | "expired">,
    lastEventId = "",
  ) {
    this.deps = {
      fetch: (...args) => globalThis.fetch(...args),
      url: STREAM_URL,
      heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS,
      delay: (attempt) => backoffDelay(attempt),
      ...deps,
    };
    this.lastEventId = lastEventId;
  }

  /** Open the stream (and keep it open until stop()). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.attempt = 0;
    this.running = this.run();
  }

  /** Close the stream; no reconnection follows. Resolves once the loop has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.controller?.abort();
    this.wake?.();
    this.setState("stopped");
    await this.running;
  }

  /** Drop the connection (the browser went offline: it is likely dead, and a dead one
   *  would take the heartbeat's timeout to notice); it is opened again after the backoff. */
  drop(): void {
    if (this.stopped) return;
    this.controller?.abort();
  }

  /** Open the stream again now, without waiting out the backoff (the browser is back
   *  online); a connection still open is dropped and resumed from the last event. */
  reconnectNow(): void {
    if (this.stopped) return;
    this.attempt = 0;
    this.skipWait = true;
    this.controller?.abort();
    this.wake?.();
  }

  private setState(state: LiveState): void {
    if (this.state === state || (this.stopped && state !== "stopped")) return;
    this.state = state;
    this.call(() => this.handlers.onState?.(state));
  }

  /** A handler's failure does not drop the stream. */
  private call(handler: () => void): void {
    try {
      handler();
    } catch (exc) {
      console.error(exc);
    }
  }

  private async run(): Promise<void> {
    let refreshed = false; // a refresh already answered the last 401
    while (!this.stopped) {
      const outcome = await this.connectOnce();
      if (this.stopped) break;
      if (outcome === "forbidden") {
        // not mine to have (no inbox for this account): asking again will not change it
        this.stopped = true;
        this.setState("stopped");
        break;
      }
      if (outcome === "unauthorized") {
        if (!refreshed && (await this.deps.refresh())) {
          refreshed = true;
          continue;
        }
        if (this.stopped) break;
        this.stopped = true;
        this.setState("stopped");
        this.deps.expired();
        break;
      }
      if (outcome === "ended") refreshed = false; // the token was taken
      this.setState("down");
      if (!this.skipWait) {
        const wait = this.deps.delay(this.attempt);
        this.attempt++;
        await this.sleep(wait);
      }
      this.skipWait = false;
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped || this.skipWait) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private async connectOnce(): Promise<Outcome> {
    const controller = new AbortController();
    this.controller = controller;
    this.setState("connecting");
    const headers: Record<string, string> = { Accept: "text/event-stream" };
    const token = this.deps.accessToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (this.lastEventId) headers["Last-Event-ID"] = this.lastEventId;
    let response: Response;
    try {
      response = await this.deps.fetch(this.deps.url, { headers, signal: controller.signal, cache: "no-store" });
    } catch {
      return "failed";
    }
    if (response.status === 401 || response.status === 403) {
      void response.body?.cancel().catch(() => undefined);
      return response.status === 401 ? "unauthorized" : "forbidden";
    }
    if (response.status === 422) this.lastEventId = ""; // bad_last_event_id: start from now
    const type = response.headers.get("Content-Type") ?? "";
    if (!response.ok || !response.body || !type.includes("text/event-stream")) {
      void response.body?.cancel().catch(() => undefined);
      return "failed";
    }
    this.setState("open");
    if (this.openedBefore && !this.lastEventId) this.call(() => this.handlers.onResync?.());
    this.openedBefore = true;
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser(this.lastEventId);
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => controller.abort(), this.deps.heartbeatTimeoutMs);
    };
    arm();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.stopped) break;
        arm();
        for (const item of parser.feed(decoder.decode(value, { stream: true }))) this.handle(item);
      }
    } catch {
      /* dropped: aborted, the network, the heartbeat missed */
    } finally {
      clearTimeout(watchdog);
      parser.end();
      void reader.cancel().catch(() => undefined);
    }
    return "ended";
  }

  private handle(item: SseItem): void {
    if (item.kind !== "event" || this.stopped) return;
    let data: { notification?: LiveNotification; unread_count?: number };
    try {
      data = JSON.parse(item.data);
    } catch {
      console.warn("notification stream: not JSON", item.data);
      return;
    }
    // something arrived on this connection: the next drop backs off from 1 s again
    this.attempt = 0;
    if (item.id) this.lastEventId = item.id;
    const count = typeof data.unread_count === "number" ? data.unread_count : null;
    const notification = data.notification;
    if (item.event === "notification" && notification) {
      this.call(() => this.handlers.onNotification(notification, count, item.id));
    } else if (item.event === "unread" && count !== null) {
      this.call(() => this.handlers.onUnread(count));
    }
  }
}
