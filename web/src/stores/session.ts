/** The signed-in user (GET /me), sign-in and sign-out, the unread notification count. */
import { defineStore } from "pinia";
import { computed, ref } from "vue";
import { api, unwrap, type Schemas } from "../api/client";
import { tokens } from "../api/tokens";

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

  async function refreshUnread() {
    const page = await unwrap(
      api.GET("/api/v1/notifications", { params: { query: { limit: 1 } } }),
    );
    unread.value = page.unread_count;
  }

  async function logout() {
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
    me.value = null;
    expiredNotice.value = true;
  }

  return { me, unread, roles, signedIn, expiredNotice, hasRole, login, loadMe, refreshUnread, logout, expire };
});
