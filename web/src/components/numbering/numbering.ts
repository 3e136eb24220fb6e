/** 发文字号 (GB/T 9704-2012): what the page says about a series' year of numbers — the
 * states as tags, the counts line (every number of 1…last_n accounted for), and the units a
 * series may belong to. */
import type { Schemas } from "../../api/client";
import type { OrgNode, OrgUnit } from "../admin/orgTree";

export type Series = Schemas["SeriesOut"];
export type SeriesYear = Schemas["SeriesYearOut"];
export type DocumentNumber = Schemas["DocumentNumberOut"];
export type NumberState = Schemas["NumberState"];

export const STATE_LABELS: Record<NumberState, string> = {
  assigned: "已使用",
  reserved: "已预留",
  voided: "已作废",
};

export const STATE_TAGS: Record<NumberState, "success" | "warning" | "info"> = {
  assigned: "success",
  reserved: "warning",
  voided: "info",
};

/** The n of 1…last_n that the list does not account for (none when the year is whole). */
export function missingNumbers(lastN: number, numbers: Pick<DocumentNumber, "n">[]): number[] {
  const seen = new Set(numbers.map((x) => x.n));
  const missing: number[] = [];
  for (let n = 1; n <= lastN; n++) if (!seen.has(n)) missing.push(n);
  return missing;
}

/** 「已使用 3，已预留 1，已作废 1，共 5 个，无空号」 (or which numbers are missing). */
export function countsLine(year: Pick<SeriesYear, "counts" | "last_n" | "numbers">): string {
  const c = (key: NumberState) => year.counts[key] ?? 0;
  const head = `已使用 ${c("assigned")}，已预留 ${c("reserved")}，已作废 ${c("voided")}，共 ${year.last_n} 个`;
  if (year.last_n === 0) return `${head}，本年尚未编号`;
  const missing = missingNumbers(year.last_n, year.numbers);
  if (!missing.length) return `${head}，无空号`;
  const shown = missing.slice(0, 10).join("、");
  return `${head}，空号 ${missing.length} 个（${shown}${missing.length > 10 ? " 等" : ""}）`;
}

/** How the first number of a 机关代字 will read (黔府办函〔2026〕1号); null while what is
 * typed holds what a 机关代字 never does (the server says why: year, 〔〕, 第, 号, digits). */
const NOT_IN_PREFIX = /[〔〕[\]()（）{}【】第号0-9０-９\s]/;
export function firstNumber(prefix: string, year: number): string | null {
  const text = prefix.trim();
  return text && !NOT_IN_PREFIX.test(text) ? `${text}〔${year}〕1号` : null;
}

/** The org tree pruned to its units (单位 — a division or section has no 机关代字 of its
 * own; units only ever sit under units), inactive ones greyed. */
export function unitChoices(nodes: OrgNode[]): OrgNode[] {
  return nodes
    .filter((node) => node.unit.kind === "unit")
    .map((node) => ({ ...node, disabled: !node.unit.active, children: unitChoices(node.children) }));
}

/** The unit a registrar numbers for by default: the nearest 单位 at or above their own. */
export function ownUnit(units: OrgUnit[], orgUnitId: string | null | undefined): OrgUnit | undefined {
  const byId = new Map(units.map((u) => [u.id, u]));
  let current = orgUnitId ? byId.get(orgUnitId) : undefined;
  while (current && current.kind !== "unit") current = current.parent_id ? byId.get(current.parent_id) : undefined;
  return current;
}

/** The years to choose from: this year back to 2000-ish (ten years), and the chosen one. */
export function yearChoices(thisYear: number, chosen?: number): number[] {
  const years = Array.from({ length: 10 }, (_, i) => thisYear - i);
  if (chosen && !years.includes(chosen)) years.push(chosen);
  return years.sort((a, b) => b - a);
}
