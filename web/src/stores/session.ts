/**
 * The signed-in user (GET /me), sign-in and sign-out, the unread notification count
 * (the bell's badge) and the live notification stream that keeps it current.
 *
 * While the stream is open the badge follows its `unread` events within a second, and
 * every new notification is handed to the listeners of onLiveNotification (the layout's
 * toast, the 通知 page's list) once — a notification seen before is not handed on again.
 */
import { defineStore } from "pinia";
import { computed, ref } from "vue";
import { api, refreshOnce, sessionExpired, unwrap, type Schemas } from "../api/client";
import { tokens } from "../api/tokens";
import { LiveConnection, type LiveNotification, type LiveState } from "../lib/liveNotifications";

export const ROLE_LABELS: Record<string, string> = {
  platform_admin: "平台管理员",
  tenant_admin: "租户管理员",
  registrar: "文书",
  handler: "承办人",
  division_head: "处室负责人",
  office_leader: "厅领导",
  gov_leader: "省政府领导",
  secretary: "秘书",
  supplier: "供应商",
  ops: "运维",
  auditor: "审计员",
};

export const useSession = defineStore("session", () => {
  const me = ref<Schemas["MeOut"] | null>(null);
  const unread = ref(0);
  const expiredNotice = ref(false);
  /** the live stream: "open" while notifications arrive as they are written */
  const live = ref<LiveState>("stopped");

  const roles = computed(() => me.value?.roles ?? []);
  const signedIn = computed(() => me.value !== null);

  function hasRole(...wanted: string[]): boolean {
    return wanted.some((role) => roles.value.includes(role as never));
  }

  async function login(tenant: string | null, username: string, password: string) {
    const pair = await unwrap(
      api.POST("/api/v1/auth/login", { body: { tenant: tenant || null, username, password } }),
    );
    tokens.set(pair.access_token, pair.refresh_token);
    expiredNotice.value = false;
    await loadMe();
  }

  async function loadMe() {
    me.value = await unwrap(api.GET("/api/v1/me"));
  }

  /** the stream position of my newest notification when last read: where a stream opened
   *  afterwards starts, so that nothing written in between is missed */
  let newestSeq: number | null = null;

  async function refreshUnread() {
    const page = await unwrap(
      api.GET("/api/v1/notifications", { params: { query: { limit: 1 } } }),
    );
    unread.value = page.unread_count;
    newestSeq = page.items[0]?.seq ?? 0;
  }

  // -- the live stream ---------------------------------------------------------------------------

  type Listener = (notification: LiveNotification) => void;
  const listeners = new Set<Listener>();
  const resyncListeners = new Set<() => void>();
  const seen = new Set<string>(); // notifications already handed on (bounded)
  let connection: LiveConnection | null = null;

  function handOn(notification: LiveNotification) {
    if (seen.has(notification.id)) return;
    seen.add(notification.id);
    if (seen.size > 500) seen.delete(seen.values().next().value as string);
    for (const listener of [...listeners]) {
      try {
        listener(notification);
      } catch (exc) {
        console.error(exc);
      }
    }
  }

  /** Open the live stream (idempotent); it stays open, reconnecting, until stopLive(). */
  function startLive() {
    if (connection) return;
    connection = new LiveConnection(
      {
        onNotification(notification, unreadCount) {
          if (unreadCount !== null) unread.value = unreadCount;
          handOn(notification);
        },
        onUnread(unreadCount) {
          unread.value = unreadCount;
        },
        onState(state) {
          live.value = state;
        },
        onResync() {
          for (const listener of [...resyncListeners]) listener();
        },
      },
      { accessToken: () => tokens.access, refresh: refreshOnce, expired: sessionExpired },
      newestSeq === null ? "" : String(newestSeq),
    );
    connection.start();
  }

  function stopLive() {
    const closing = connection;
    connection = null;
    live.value = "stopped";
    seen.clear();
    newestSeq = null;
    void closing?.stop();
  }

  /** Reconnect at once (the browser is back online), resuming from the last event. */
  function reconnectLive() {
    connection?.reconnectNow();
  }

  /** Drop the stream (the browser went offline); it reconnects with its backoff. */
  function dropLive() {
    connection?.drop();
  }

  /** Call `listener` with each new notification the stream brings; returns the unsubscribe. */
  function onLiveNotification(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** Call `listener` when the stream could not resume (lists should be read anew). */
  function onLiveResync(listener: () => void): () => void {
    resyncListeners.add(listener);
    return () => resyncListeners.delete(listener);
  }

  async function logout() {
    stopLive();
    const refreshToken = tokens.refresh;
    tokens.clear();
    me.value = null;
    if (refreshToken) {
      try {
        await api.POST("/api/v1/auth/logout", { body: { refresh_token: refreshToken } });
      } catch {
        /* signed out locally in any case */
      }
    }
  }

  function expire() {
    stopLive();
    me.value = null;
    expiredNotice.value = true;
  }

  return {
    me,
    unread,
    live,
    roles,
    signedIn,
    expiredNotice,
    hasRole,
    login,
    loadMe,
    refreshUnread,
    startLive,
    stopLive,
    reconnectLive,
    dropLive,
    onLiveNotification,
    onLiveResync,
    logout,
    expire,
  };
});
