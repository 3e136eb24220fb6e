/** Words of the ledgers (台账) shared by their pages: statuses, priorities, export URLs. */
import type { Schemas } from "../../api/client";
import { shanghaiDate } from "../../lib/deadline";

export type ItemStatus = Schemas["ItemStatus"];
export type Priority = Schemas["Priority"];

export const STATUSES: ItemStatus[] = ["not_started", "in_progress", "done", "delayed", "suspended"];
export const STATUS_LABELS: Record<ItemStatus, string> = {
  not_started: "未开始",
  in_progress: "进行中",
  done: "已完成",
  delayed: "已延期",
  suspended: "已暂停",
};
export const PRIORITY_LABELS: Record<Priority, string> = { high: "高", medium: "中", low: "低" };

export function statusTagType(status: ItemStatus): "info" | "primary" | "success" | "danger" | "warning" {
  return ({ not_started: "info", in_progress: "primary", done: "success", delayed: "danger", suspended: "warning" } as const)[status];
}

export interface ItemFilters {
  supplier_id?: string;
  project?: string;
  status?: ItemStatus;
  delayed?: boolean;
  date_from?: string;
  date_to?: string;
  q?: string;
}

/** The query of the item list and its export (empty values left out). */
export function itemQuery(f: ItemFilters): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(f)) {
    if (value === undefined || value === null || value === "" || value === false) continue;
    out[key] = String(value);
  }
  return out;
}

export function itemsExportUrl(f: ItemFilters): string {
  const params = new URLSearchParams(itemQuery(f));
  const text = params.toString();
  return `/api/v1/ledger/items.xlsx${text ? `?${text}` : ""}`;
}

/** Today as YYYY-MM-DD in Asia/Shanghai. */
export function shanghaiToday(now: Date = new Date()): string {
  return shanghaiDate(now);
}

/** This month as YYYY-MM in Asia/Shanghai. */
export function shanghaiMonth(now: Date = new Date()): string {
  return shanghaiDate(now).slice(0, 7);
}

/** The bar of an item's progress: green when done, red when delayed. */
export function progressColor(item: { shown_status: ItemStatus; delayed: boolean }): string {
  if (item.shown_status === "done") return "#67c23a";
  return item.delayed ? "#f56c6c" : "#409eff";
}
