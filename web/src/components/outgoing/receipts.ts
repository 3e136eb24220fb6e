/** 签收回执 of a dispatched outgoing document (DESIGN 4.2): what the sender reads about each
 * recipient unit's copy — 待签收 / 已签收 (when, by whom) / 已拒收 (why) — the counts line,
 * the order of the rows (a copy sent again above the refused one it replaced) and the
 * refusals of 催签 / 重新发送 in Chinese. */
import type { Schemas } from "../../api/client";
import { ApiError, messageFor } from "../../lib/errors";
import { formatTime } from "../../lib/deadline";

export type Receipt = Schemas["ReceiptOut"];
export type Receipts = Schemas["ReceiptsOut"];
export type ReceiptStatus = Schemas["InboxStatus"];

export const RECEIPT_STATUS_LABELS: Record<ReceiptStatus, string> = {
  pending: "待签收",
  signed: "已签收",
  refused: "已拒收",
};

export const RECEIPT_STATUS_TAGS: Record<ReceiptStatus, "warning" | "success" | "danger"> = {
  pending: "warning",
  signed: "success",
  refused: "danger",
};

/** 「已签收 1 · 待签收 1 · 已拒收 0」: the current copies (a superseded one is not counted). */
export function countsText(counts: Partial<Record<string, number>>): string {
  const c = (key: ReceiptStatus) => counts[key] ?? 0;
  return `已签收 ${c("signed")} · 待签收 ${c("pending")} · 已拒收 ${c("refused")}`;
}

/** 「贵阳市人民政府 · 文书处」 (the unit alone when the tenant's name is not known). */
export function unitText(receipt: Pick<Receipt, "tenant_name" | "unit_name">): string {
  return [receipt.tenant_name, receipt.unit_name].filter(Boolean).join(" · ") || "—";
}

/** Rows by unit, 主送 before 抄送 (otherwise as the server lists them: as first sent);
 * within a unit the newest copy first, so that a copy sent again stands directly above
 * the refused one it replaced. */
export function orderedReceipts(receipts: Receipt[]): Receipt[] {
  const units: { unit: string; isCopy: boolean; index: number }[] = [];
  const byUnit = new Map<string, Receipt[]>();
  for (const receipt of receipts) {
    const copies = byUnit.get(receipt.unit_id);
    if (copies) copies.push(receipt);
    else {
      units.push({ unit: receipt.unit_id, isCopy: receipt.is_copy, index: units.length });
      byUnit.set(receipt.unit_id, [receipt]);
    }
  }
  units.sort((a, b) => Number(a.isCopy) - Number(b.isCopy) || a.index - b.index);
  return units.flatMap(({ unit }) => [...(byUnit.get(unit) ?? [])].reverse());
}

/** What happened to the copy, and when: 「外文书 签收」, 「外文书 拒收」, 「已发送，待签收」. */
export function receiptEvent(receipt: Receipt): { at: string; text: string } {
  const by = (name: string | null | undefined, what: string) => (name ? `${name} ${what}` : `已${what}`);
  if (receipt.status === "signed") return { at: formatTime(receipt.signed_at), text: by(receipt.signed_by_name, "签收") };
  if (receipt.status === "refused") return { at: formatTime(receipt.refused_at), text: by(receipt.refused_by_name, "拒收") };
  return { at: formatTime(receipt.sent_at), text: "已发送，待签收" };
}

/** 「已催签 2 次（最近 2026-11-23 09:30）」, or "" when never urged. */
export function urgeText(receipt: Pick<Receipt, "urge_count" | "urged_at">): string {
  if (!receipt.urge_count) return "";
  const last = receipt.urged_at ? `（最近 ${formatTime(receipt.urged_at)}）` : "";
  return `已催签 ${receipt.urge_count} 次${last}`;
}

export function mayUrge(receipt: Receipt): boolean {
  return receipt.status === "pending" && !receipt.superseded;
}

export function mayResend(receipt: Receipt): boolean {
  return receipt.status === "refused" && !receipt.superseded;
}

/** Some copy still waits to be signed for (the panel keeps looking). */
export function anyPending(receipts: Receipt[]): boolean {
  return receipts.some((r) => r.status === "pending" && !r.superseded);
}

const RECEIPT_MESSAGES: Record<string, string> = {
  not_pending: "该单位已签收或已拒收，无需催签",
  not_refused: "只有已拒收的单位才能重新发送",
  already_resent: "已重新发送过，请查看新的签收回执",
  not_sender_registry: "只有分发该文件的文书处才能催签或重新发送",
  receipt_not_found: "该签收回执不存在",
  not_dispatched: "文件尚未分发",
};

/** The server's refusal of a receipt action, in Chinese (others as messageFor reads them). */
export function receiptMessage(error: unknown): string {
  if (error instanceof ApiError && error.status !== 503 && error.status !== 504) {
    const known = RECEIPT_MESSAGES[error.code];
    if (known) return known;
  }
  return messageFor(error);
}
