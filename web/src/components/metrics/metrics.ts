/** The pure parts of 运维指标数据: months (Asia/Shanghai), the levels, export links, messages. */
import { ApiError, messageFor } from "../../lib/errors";

export type Level = "department" | "city" | "unit";

export const LEVELS: { value: Level; label: string }[] = [
  { value: "city", label: "市州" },
  { value: "department", label: "省直部门" },
  { value: "unit", label: "单位" },
];

/** The Shanghai calendar month of `now` as YYYY-MM. */
export function shanghaiMonth(now: Date = new Date()): string {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit" }).formatToParts(now);
  const year = parts.find((p) => p.type === "year")?.value ?? "";
  const month = parts.find((p) => p.type === "month")?.value ?? "";
  return `${year}-${month}`;
}

/** `month` moved by `n` months (YYYY-MM). */
export function shiftMonth(month: string, n: number): string {
  const [y, m] = month.split("-").map(Number);
  const index = (y ?? 0) * 12 + ((m ?? 1) - 1) + n;
  return `${Math.floor(index / 12)}-${String((index % 12) + 1).padStart(2, "0")}`;
}

export function indicatorsExportUrl(month: string, level: Level): string {
  return `/api/v1/metrics/indicators.xlsx?${new URLSearchParams({ month, level }).toString()}`;
}

export function siteReportsExportUrl(month: string): string {
  return `/api/v1/metrics/site-reports.xlsx?${new URLSearchParams({ month }).toString()}`;
}

/** The metrics service's refusals in Chinese (others as the workbench reads them). */
export const METRICS_MESSAGES: Record<string, string> = {
  month_not_ended: "该月尚未结束，结束后才能报送",
  month_in_future: "该月尚未开始",
  site_report_exists: "本月已报送；如需修改，请填写更正原因后提交更正",
  nothing_to_correct: "本月尚未报送，无可更正的内容",
  correction_reason_required: "更正须填写更正原因",
  indicators_forbidden: "运维指标仅供运维人员、管理员和省级领导查看",
  site_reports_forbidden: "站点运维报送仅供运维人员和管理员查看",
  tenant_not_known: "指标服务尚未同步本租户，请稍后重试",
  site_report_not_found: "没有该月的报送",
  indicator_key_not_found: "范围内没有该单位或市州",
};

export function metricsMessage(error: unknown): string {
  if (error instanceof ApiError && METRICS_MESSAGES[error.code]) return METRICS_MESSAGES[error.code] ?? "";
  return messageFor(error);
}
