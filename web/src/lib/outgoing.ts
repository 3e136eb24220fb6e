/** Outgoing documents (发文): labels, the refusals in Chinese, the body's file checks and
 * the pure parts of the document page (who holds what, the 发文稿纸's lines). */
import { ApiError, messageFor } from "./errors";
import { TRACE_LABELS } from "./labels";
import { ROUTE_MESSAGES } from "./routeops";

export type Stage = "draft" | "check" | "countersign" | "issue" | "number" | "seal" | "dispatch" | "archive" | "archived";

export const STAGE_LABELS: Record<Stage, string> = {
  draft: "拟稿",
  check: "核稿",
  countersign: "会签",
  issue: "待签发",
  number: "待编号",
  seal: "待用印",
  dispatch: "待分发",
  archive: "已分发",
  archived: "已归档",
};
export const STAGES = Object.keys(STAGE_LABELS) as Stage[];

export function stageLabel(stage: string | null | undefined): string {
  return (stage && STAGE_LABELS[stage as Stage]) || stage || "—";
}

/** Element Plus tag type of a stage: drafting grey, approval orange, the registry's steps
 * blue, dispatched green. */
export function stageTagType(stage: string): "info" | "warning" | "primary" | "success" {
  if (stage === "draft") return "info";
  if (stage === "check" || stage === "countersign" || stage === "issue") return "warning";
  if (stage === "archive" || stage === "archived") return "success";
  return "primary";
}

/** While the draft may still change (its body too): until it is issued. */
export function editableStage(stage: string): boolean {
  return stage === "draft" || stage === "check" || stage === "countersign";
}

/** The buttons of the 办理 card, in route order: exactly these texts. */
export const OUTGOING_ACTION_LABELS: Record<string, string> = {
  submit: "送核稿",
  check: "核稿通过",
  countersign: "会签",
  issue: "签发",
  number: "编号",
  seal: "用印",
  dispatch: "分发",
  archive: "归档",
  return: "退回",
};
const ACTION_ORDER = Object.keys(OUTGOING_ACTION_LABELS);

/** The actions of a task as buttons: the known ones in route order (退回 last). */
export function actionButtons(actions: readonly string[]): string[] {
  return ACTION_ORDER.filter((a) => actions.includes(a));
}

export const OUTGOING_OPINION_LABELS: Record<string, string> = {
  check: "核稿意见",
  countersign: "会签意见",
  issue: "签发意见",
  return_reason: "退回理由",
};

export const OUTGOING_TRACE_LABELS: Record<string, string> = {
  ...TRACE_LABELS,
  "outgoing.draft": "拟稿",
  "outgoing.update": "修改稿件",
  "outgoing.number": "编号",
  "outgoing.dispatch": "分发",
  "outgoing.resend": "重新发送",
  "outgoing.urge_receipt": "催签",
  "document.attach_file": "上传文件",
  "task.submit": "送核稿",
  "task.check": "核稿",
  "task.countersign": "会签",
  "task.issue": "签发",
  "task.number": "编号",
  "task.seal": "用印",
  "task.dispatch": "分发",
};

/** The refusals of drafting and of the steps, in Chinese. */
export const OUTGOING_MESSAGES: Record<string, string> = {
  classified_refused: "涉密文件（秘密、机密、绝密）不得在平台拟稿和流转",
  duplicate_recipient: "同一单位不能重复选择，也不能既主送又抄送",
  recipient_unit_not_found: "接收单位不存在或已撤销，请重新选择",
  no_registry: "本单位没有文书处（文书），不能发文",
  org_unit_required: "您不属于任何处室，不能拟稿",
  not_drafter: "只有拟稿人或当前办理人可以修改稿件",
  draft_closed: "文件已签发，稿件不能再修改",
  signer_required: "请选择一位签发领导",
  not_a_countersigner: "会签处室只能是本单位的其他处室（不含拟稿处室）",
  not_a_leader: "所选签发人不是领导",
  unit_not_found: "所选处室不存在或已撤销",
  not_checked: "尚未完成核稿和会签，不能签发",
  not_issued: "文件尚未签发",
  already_issued: "文件已签发，请勿重复签发",
  already_numbered: "文件已编号，请勿重复编号",
  series_required: "请选择发文字号",
  series_inactive: "该发文字号已停用",
  not_numbered: "文件尚未编号，不能分发",
  not_sealed: "文件尚未用印，不能分发",
  already_sealed: "文件已用印，请勿重复用印",
  already_dispatched: "文件已分发，请勿重复分发",
  body_missing: "尚未上传正文",
  recipient_unavailable: "有接收单位暂时无法接收，请稍后重试",
  step_not_open: "该环节当前不在办理中",
  not_outgoing: "这不是发文",
  no_valid_delegation: "没有有效的领导授权，不能代领导签发",
  file_type_not_allowed: "文件类型不支持",
};

export function outgoingMessage(error: unknown, kind: "body" | "attachment" | null = null): string {
  if (error instanceof ApiError && error.status !== 503 && error.status !== 504) {
    if (error.code === "file_type_not_allowed") {
      return kind === "attachment" ? `文件类型不支持（附件仅限 ${ATTACHMENT_TYPES}）` : `文件类型不支持（正文仅限 ${BODY_TYPES}）`;
    }
    const known = OUTGOING_MESSAGES[error.code] ?? ROUTE_MESSAGES[error.code];
    if (known) return known;
  }
  return messageFor(error);
}

// -- the body (正文) and attachments (附件) -------------------------------------------------------

export const BODY_EXTENSIONS = ["docx", "pdf", "ofd"];
export const ATTACHMENT_EXTENSIONS = ["docx", "pdf", "ofd", "jpg", "jpeg", "png", "tif", "tiff"];
export const BODY_ACCEPT = BODY_EXTENSIONS.map((e) => "." + e).join(",");
export const ATTACHMENT_ACCEPT = ATTACHMENT_EXTENSIONS.map((e) => "." + e).join(",");
const BODY_TYPES = "DOCX、PDF、OFD";
const ATTACHMENT_TYPES = "DOCX、PDF、OFD、JPEG、PNG、TIFF";

/** Why a file cannot be the body (or an attachment), in Chinese; null when it may be sent
 * (the server sniffs the bytes and has the last word: a renamed .exe is refused there). */
export function fileProblem(file: { name: string; size: number }, kind: "body" | "attachment", maxBytes: number): string | null {
  const ext = file.name.includes(".") ? file.name.split(".").pop()!.toLowerCase() : "";
  const allowed = kind === "body" ? BODY_EXTENSIONS : ATTACHMENT_EXTENSIONS;
  if (!allowed.includes(ext)) return `文件类型不支持（${kind === "body" ? "正文" : "附件"}仅限 ${kind === "body" ? BODY_TYPES : ATTACHMENT_TYPES}）`;
  if (file.size === 0) return "文件为空";
  if (file.size > maxBytes) return `文件过大（上限 ${Math.round(maxBytes / 1024 / 1024)} MB）`;
  return null;
}

/** 「DOCX」, 「PDF」, 「OFD」: what a body version is, from its sniffed type. */
export function fileKind(contentType: string, filename = ""): string {
  if (contentType.includes("wordprocessingml")) return "DOCX";
  if (contentType === "application/pdf") return "PDF";
  if (contentType.includes("ofd")) return "OFD";
  if (contentType.startsWith("image/")) return contentType.slice(6).toUpperCase();
  const ext = filename.includes(".") ? filename.split(".").pop()!.toUpperCase() : "";
  return ext || "文件";
}

// -- the route ----------------------------------------------------------------------------------------

interface Unit {
  id: string;
  kind: string;
  parent_id?: string | null;
  active?: boolean;
}

/** The 单位 a division belongs to (itself when it is one, else the nearest above; the
 * root at last): the unit whose series (发文字号) its documents are numbered in. */
export function owningUnit(units: readonly Unit[], unitId: string | null | undefined): string | null {
  const byId = new Map(units.map((u) => [u.id, u]));
  let current = unitId ? byId.get(unitId) : undefined;
  const seen = new Set<string>();
  while (current && !seen.has(current.id)) {
    if (current.kind === "unit" || !current.parent_id) return current.id;
    seen.add(current.id);
    current = byId.get(current.parent_id);
  }
  return null;
}

/** The divisions that may countersign (会签): the tenant's other active divisions. */
export function countersigners<T extends Unit>(units: readonly T[], draftingUnitId: string | null | undefined): T[] {
  return units.filter((u) => u.kind === "division" && u.active !== false && u.id !== draftingUnitId);
}

interface RouteTask {
  id: string;
  step: string;
  status: string;
  unit_id?: string | null;
  assignee_id?: string | null;
  allowed_actions?: string[];
  completed_by?: string | null;
  completed_at?: string | null;
  created_at?: string;
}

/** The open tasks of the route the caller may act on (the server says which actions). */
export function heldTasks<T extends RouteTask>(route: readonly T[]): T[] {
  return route.filter((t) => t.status === "open" && (t.allowed_actions ?? []).length > 0);
}

/** 撤回 is offered while nobody has acted since me: the task I did last is the route's
 * latest done one (the server has the last word: 409 when the next holder acted). */
export function lastActedByMe<T extends RouteTask>(route: readonly T[], mine: T | null): T | null {
  if (!mine) return null;
  const latest = route
    .filter((t) => t.status === "done" && t.completed_at)
    .sort((a, b) => (a.completed_at! < b.completed_at! ? 1 : -1))[0];
  return latest?.id === mine.id ? mine : null;
}

/** The divisions whose 会签 is still awaited (their countersign task open). */
export function awaitedCountersigners<T extends RouteTask>(route: readonly T[]): T[] {
  return route.filter((t) => t.step === "countersign" && t.status === "open");
}

interface Signed {
  signer_name?: string | null;
  issue_entered_by_name?: string | null;
}

/** 签发人 as the 稿纸 reads it: 「赵厅长（秘书 孙秘书 代录）」 when a secretary entered it. */
export function signerLine(doc: Signed): string {
  if (!doc.signer_name) return "";
  return doc.issue_entered_by_name ? `${doc.signer_name}（秘书 ${doc.issue_entered_by_name} 代录）` : doc.signer_name;
}

/** What is awaited after an action, so that the page reads again until it shows: the
 * stage moved on (unless the route waits for others), and the step's record written. */
export function settled(
  action: string,
  before: string,
  doc: { stage: string; issued_at?: string | null; number?: string | null; sealed_at?: string | null; dispatched_at?: string | null },
  moves: boolean,
): boolean {
  if (moves && doc.stage === before) return false;
  if (action === "issue") return !!doc.issued_at;
  if (action === "number") return !!doc.number;
  if (action === "seal") return !!doc.sealed_at;
  if (action === "dispatch") return !!doc.dispatched_at;
  return true;
}
