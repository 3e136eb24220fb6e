/** Notices with receipts (通知 + 回执): labels, the counts as the sender reads them, each
 * recipient's e-mail/SMS delivery as a tag, the reply deadline between the picker's
 * Shanghai wall time and the API's instant, and the refusals in Chinese. */
import { ApiError, messageFor } from "./errors";

export type ReceiptStatus = "unread" | "read" | "replied";
export type NoticeStatus = "draft" | "sent";

export const NOTICE_STATUS_LABELS: Record<NoticeStatus, string> = { draft: "草稿", sent: "已发送" };

/** A recipient's status; a notice asking for no reply reads only 未读 / 已读. */
export function receiptStatusLabel(status: string | null | undefined, hasForm = true): string {
  if (status === "replied") return "已回执";
  if (status === "read") return hasForm ? "已读未回执" : "已读";
  if (status === "unread") return "未读";
  return status || "—";
}

export function receiptStatusTag(status: string | null | undefined): "success" | "warning" | "danger" | "info" {
  if (status === "replied") return "success";
  if (status === "read") return "warning";
  if (status === "unread") return "danger";
  return "info";
}

export interface Counts {
  total: number;
  unread: number;
  read: number;
  replied: number;
}

/** 「12-03 09:30」 in Shanghai time (the year too when it is not this year's). */
export function shortTime(value: string | null | undefined, now: Date = new Date()): string {
  if (!value) return "—";
  const local = new Date(Date.parse(value) + 8 * 3600 * 1000).toISOString();
  const year = new Date(now.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 4);
  const day = local.slice(0, 4) === year ? local.slice(5, 10) : local.slice(0, 10);
  return `${day} ${local.slice(11, 16)}`;
}

/** 「已回执 2/5」 (a notice asking for no reply: 「已读 3/5」). */
export function countsShort(counts: Counts | null | undefined, hasForm: boolean): string {
  if (!counts) return "—";
  return hasForm ? `已回执 ${counts.replied}/${counts.total}` : `已读 ${counts.read + counts.replied}/${counts.total}`;
}

/** Who is still missing: not replied (a form) or not read (none). */
export function missingCount(counts: Counts | null | undefined, hasForm: boolean): number {
  if (!counts) return 0;
  return hasForm ? counts.unread + counts.read : counts.unread;
}

// -- delivery (邮件 / 短信) -------------------------------------------------------------------------

export const CHANNEL_LABELS: Record<string, string> = { email: "邮件", sms: "短信" };

export interface Delivery {
  channel: string;
  status: string;
  attempts: number;
  last_error?: string | null;
  sent_at?: string | null;
}

/** A message's status as a tag: 已发送, 发送失败 (the provider's reason on hover), 等待中
 * (an SMS waiting for the unread time, or queued / being retried), 未发送 (read before its
 * time came: the waiting SMS was dropped) — 无需发送 already while it waits, once read. */
export function deliveryTag(
  d: Delivery,
  seen = false,
): { text: string; type: "success" | "danger" | "info" | "warning"; hint: string } {
  const channel = CHANNEL_LABELS[d.channel] ?? d.channel;
  // ``seen``: the recipient has read every notification of the notice (they opened it and
  // were not reminded since): a text still waiting for the unread time will be dropped
  if (d.status === "scheduled" && seen) return { text: `${channel}无需发送`, type: "info", hint: "接收人已阅读，不再发送短信提醒" };
  const tries = d.attempts > 1 ? `，已尝试 ${d.attempts} 次` : "";
  switch (d.status) {
    case "sent":
      return { text: `${channel}已发送`, type: "success", hint: `${channel}已发送${tries}` };
    case "failed":
      return { text: `${channel}发送失败`, type: "danger", hint: `发送失败：${d.last_error || "原因未知"}${tries}` };
    case "dropped":
      return { text: `${channel}未发送`, type: "info", hint: "接收人已阅读，无需再发短信" };
    case "scheduled":
      return { text: `${channel}等待中`, type: "info", hint: d.channel === "sms" ? "超过设定时间仍未读时发送短信提醒" : "等待发送" };
    default: {
      const retry = d.last_error ? `，上次失败：${d.last_error}` : "";
      return { text: `${channel}等待中`, type: d.last_error ? "warning" : "info", hint: `正在发送${tries}${retry}` };
    }
  }
}

// -- the reply deadline (回执截止) -------------------------------------------------------------------

/** The picker's Shanghai wall time 「2026-12-10 18:00:00」 as an ISO instant with its
 * offset (Asia/Shanghai has no daylight saving time); null for an empty or malformed one. */
export function shanghaiInstant(wall: string | null | undefined): string | null {
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2})(?::(\d{2}))?$/.exec((wall ?? "").trim());
  if (!m) return null;
  return `${m[1]}T${m[2]}:${m[3]}:${m[4] ?? "00"}+08:00`;
}

/** The server's default of 「未读短信提醒」 (NOTIFY_NOTICE_UNREAD_MINUTES): shown when left empty. */
export const DEFAULT_SMS_MINUTES = 120;

/** 「2 小时」, 「90 分钟」, 「1 天」. */
export function minutesText(minutes: number): string {
  if (minutes % 1440 === 0) return `${minutes / 1440} 天`;
  if (minutes % 60 === 0) return `${minutes / 60} 小时`;
  return `${minutes} 分钟`;
}

// -- refusals ---------------------------------------------------------------------------------------

/** Where the composer shows a refusal of POST /notices or its send. */
export type ComposeSlot = "recipients" | "form" | "deadline" | "attachments" | "general";

export const NOTICE_MESSAGES: Record<string, string> = {
  no_recipients: "请选择接收单位或人员",
  unknown_unit: "所选单位不存在或已撤销，请重新选择",
  unknown_user: "所选人员不存在或已停用，请重新选择",
  unknown_tenant: "只能发给本租户及下级租户的单位和人员",
  unknown_field_type: "回执字段类型不支持，请重新选择字段类型",
  duplicate_field: "回执字段名称重复",
  select_without_options: "单选字段需要选项",
  option_not_allowed: "只有单选字段可以设置选项",
  too_many_fields: "回执字段最多 20 个",
  invalid_form: "回执单设置有误，请检查字段",
  deadline_passed: "截止时间已过，请重新选择回执截止时间",
  deadline_without_form: "设置回执截止时间需要先添加回执字段",
  notice_sent: "该通知已发送，不能再修改",
  notice_not_sent: "该通知尚未发送",
  not_notice_sender: "只有通知的发送人可以进行此操作",
  not_allowed_to_send_notices: "供应商和审计员不能发送通知",
  notice_not_found: "通知不存在或无权查看",
  not_a_recipient: "该通知不是发给您的",
  no_receipt_form: "该通知无需回执",
  too_many_files: "附件最多 20 个",
  file_not_found: "附件不存在",
  file_type_not_allowed: "文件类型不支持（附件仅限 DOCX、PDF、OFD、JPEG、PNG、TIFF）",
  no_files: "请选择要上传的附件",
};

const SLOTS: Record<string, ComposeSlot> = {
  no_recipients: "recipients",
  unknown_unit: "recipients",
  unknown_user: "recipients",
  unknown_tenant: "recipients",
  unknown_field_type: "form",
  duplicate_field: "form",
  select_without_options: "form",
  option_not_allowed: "form",
  too_many_fields: "form",
  invalid_form: "form",
  deadline_passed: "deadline",
  deadline_without_form: "deadline",
  too_many_files: "attachments",
  file_type_not_allowed: "attachments",
  file_too_large: "attachments",
  no_files: "attachments",
};

/** A refusal of a notice request in Chinese (the server's message for a code not known). */
export function noticeMessage(error: unknown): string {
  if (error instanceof ApiError && error.status !== 503 && error.status !== 504 && error.status !== 0) {
    if (error.code === "no_recipients" && /nobody active/.test(error.serverMessage)) {
      return "所选单位中没有在职人员，请重新选择接收单位或人员";
    }
    if (error.code === "deadline_passed" && /replies are closed/.test(error.serverMessage)) return "回执已截止，不能再提交或修改";
    const known = NOTICE_MESSAGES[error.code];
    if (known) return known;
  }
  return messageFor(error);
}

/** Where the composer shows a refusal, and what it says. */
export function composeRefusal(error: unknown): { slot: ComposeSlot; message: string } {
  const slot = error instanceof ApiError ? (SLOTS[error.code] ?? "general") : "general";
  return { slot, message: noticeMessage(error) };
}
