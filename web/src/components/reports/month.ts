/** Months of the reports (Asia/Shanghai). */
import { shanghaiDate } from "../../lib/deadline";

/** YYYY-MM of today in Shanghai. */
export function thisMonth(now: Date = new Date()): string {
  return shanghaiDate(now).slice(0, 7);
}

/** YYYY-MM of the month before `month`. */
export function previousMonth(month: string): string {
  const [y, m] = month.split("-").map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, "0")}`;
}

/** The report's default: last month in Shanghai (the bulletin is of a finished month). */
export function lastMonth(now: Date = new Date()): string {
  return previousMonth(thisMonth(now));
}

/** 「2026年10月」 */
export function monthLabel(month: string): string {
  const [y, m] = month.split("-");
  return `${y}年${Number(m)}月`;
}
