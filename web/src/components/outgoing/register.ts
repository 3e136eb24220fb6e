/** 发文登记簿 (the register of a series' numbers in a year): the status tags, the
 * recipients line, this year in Shanghai and the address of the XLSX export. */
import type { Schemas } from "../../api/client";
import { shanghaiDate } from "../../lib/deadline";

export type Register = Schemas["RegisterOut"];
export type RegisterRow = Schemas["RegisterRowOut"];

type Tag = "success" | "warning" | "info" | "primary" | "danger";

/** The server's status words (已分发 / 已归档 / 待分发 / 已预留 / 已作废 …) as a tag colour. */
export function statusTag(row: Pick<RegisterRow, "state" | "status">): Tag {
  if (row.state === "voided") return "info";
  if (row.state === "reserved") return "warning";
  if (row.status === "已分发" || row.status === "已归档") return "success";
  return "primary";
}

/** 「省发展改革委、贵阳市人民政府办公厅」 (主送 then 抄送, as the server lists them). */
export function recipientsText(recipients: string[]): string {
  return recipients.length ? recipients.join("、") : "—";
}

/** The year of today in Asia/Shanghai (the year numbers belong to). */
export function shanghaiYear(now: Date = new Date()): number {
  return Number(shanghaiDate(now).slice(0, 4));
}

/** The query of the register and of its export: the year, and the words when there are some. */
export function registerQuery(year: number, q: string): { year: number; q?: string } {
  const words = q.trim();
  return words ? { year, q: words } : { year };
}

export function exportUrl(seriesId: string, year: number, q: string): string {
  const params = new URLSearchParams(Object.entries(registerQuery(year, q)).map(([k, v]) => [k, String(v)]));
  return `/api/v1/number-series/${encodeURIComponent(seriesId)}/register.xlsx?${params.toString()}`;
}
