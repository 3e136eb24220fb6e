import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";
import { tokens } from "./api/tokens";
import { useSession } from "./stores/session";

const routes: RouteRecordRaw[] = [
  { path: "/login", name: "login", component: () => import("./views/LoginView.vue"), meta: { public: true } },
  {
    path: "/",
    component: () => import("./views/LayoutView.vue"),
    children: [
      { path: "", name: "home", component: () => import("./views/HomeView.vue"), meta: { title: "工作台" } },
      { path: "todo", name: "todo", component: () => import("./views/TaskListView.vue"), props: { kind: "todo" }, meta: { title: "待办" } },
      { path: "done", name: "done", component: () => import("./views/TaskListView.vue"), props: { kind: "done" }, meta: { title: "已办" } },
      { path: "delegated", name: "delegated", component: () => import("./views/TaskListView.vue"), props: { kind: "delegated" }, meta: { title: "代录批示" } },
      { path: "reading", name: "reading", component: () => import("./views/ReadingView.vue"), meta: { title: "待阅" } },
      { path: "notifications", name: "notifications", component: () => import("./views/NotificationsView.vue"), meta: { title: "通知" } },
      {
        path: "notifications/preferences",
        name: "notification-preferences",
        component: () => import("./views/NotificationPreferencesView.vue"),
        meta: { title: "通知设置" },
      },
      { path: "notices", name: "notices", component: () => import("./views/NoticesView.vue"), meta: { title: "通知公告" } },
      { path: "notices/new", name: "notice-new", component: () => import("./views/NoticeComposeView.vue"), meta: { title: "拟写通知" } },
      { path: "notices/:id", name: "notice", component: () => import("./views/NoticeView.vue"), props: true, meta: { title: "通知公告" } },
      { path: "register", name: "register", component: () => import("./views/RegisterView.vue"), meta: { title: "收文登记" } },
      { path: "documents/:id", name: "document", component: () => import("./views/DocumentView.vue"), props: true, meta: { title: "文件" } },
      { path: "outgoing", name: "outgoing-list", component: () => import("./views/OutgoingListView.vue"), meta: { title: "发文" } },
      { path: "outgoing/new", name: "outgoing-new", component: () => import("./views/OutgoingDraftView.vue"), meta: { title: "拟稿" } },
      { path: "outgoing/register", name: "outgoing-register", component: () => import("./views/OutgoingRegisterView.vue"), meta: { title: "发文登记簿" } },
      { path: "outgoing/:id", name: "outgoing", component: () => import("./views/OutgoingView.vue"), props: true, meta: { title: "发文" } },
      { path: "inbox", name: "inbox", component: () => import("./views/InboxView.vue"), meta: { title: "收文箱" } },
      { path: "inbox/:id", name: "inbox-item", component: () => import("./views/InboxItemView.vue"), props: true, meta: { title: "收文箱" } },
      { path: "reports/overdue", name: "overdue-report", component: () => import("./views/OverdueReportView.vue"), meta: { title: "超期通报" } },
      { path: "reports/division", name: "division-overdue", component: () => import("./views/DivisionOverdueView.vue"), meta: { title: "处室超期" } },
      { path: "instructions", name: "instructions", component: () => import("./views/InstructionsView.vue"), meta: { title: "批示检索" } },
      { path: "instructions/mine", name: "my-instructions", component: () => import("./views/MyInstructionsView.vue"), meta: { title: "我的批示" } },
      { path: "numbering", name: "numbering", component: () => import("./views/NumberSeriesView.vue"), meta: { title: "发文字号" } },
      { path: "ledger/items", name: "ledger-items", component: () => import("./views/ledger/SupplierLedgerView.vue"), meta: { title: "专项工作台账" } },
      { path: "ledger/items/:id", name: "ledger-item", component: () => import("./views/ledger/LedgerItemView.vue"), props: true, meta: { title: "台账事项" } },
      { path: "ledger/daily", name: "ledger-daily", component: () => import("./views/ledger/DailyLedgerView.vue"), meta: { title: "每日台账" } },
      { path: "indicators", name: "metrics-indicators", component: () => import("./views/metrics/IndicatorsView.vue"), meta: { title: "运维指标" } },
      { path: "site-ops", name: "metrics-site-ops", component: () => import("./views/metrics/SiteOpsView.vue"), meta: { title: "站点运维" } },
      { path: "delegations", name: "delegations", component: () => import("./views/DelegationsView.vue"), meta: { title: "授权" } },
      { path: "audit", name: "audit", component: () => import("./views/AuditView.vue"), meta: { title: "审计" } },
      { path: "admin/org", name: "admin-org", component: () => import("./views/admin/OrgView.vue"), meta: { title: "组织机构" } },
      { path: "admin/users", name: "admin-users", component: () => import("./views/admin/UsersView.vue"), meta: { title: "用户管理" } },
      { path: "admin/templates", name: "admin-templates", component: () => import("./views/admin/TemplatesView.vue"), meta: { title: "流程模板" } },
      { path: "admin/calendar", name: "admin-calendar", component: () => import("./views/admin/CalendarView.vue"), meta: { title: "工作日历" } },
      { path: "admin/tenants", name: "admin-tenants", component: () => import("./views/admin/TenantsView.vue"), meta: { title: "租户" } },
      { path: "password", name: "password", component: () => import("./views/PasswordView.vue"), meta: { title: "修改密码" } },
      { path: ":rest(.*)*", name: "not-found", component: () => import("./views/NotFoundView.vue"), meta: { title: "页面不存在" } },
    ],
  },
];

export const router = createRouter({ history: createWebHistory(), routes });

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (!tokens.access) return { name: "login", query: { redirect: to.fullPath } };
  const session = useSession();
  if (!session.signedIn) {
    try {
      await session.loadMe();
    } catch {
      return { name: "login", query: { redirect: to.fullPath } };
    }
  }
  return true;
});

router.afterEach((to) => {
  const title = to.meta.title as string | undefined;
  document.title = title ? `${title} - 公文 工作台` : "公文 工作台";
});
