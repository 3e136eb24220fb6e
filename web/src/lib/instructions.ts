/** Leader instructions (领导批示) and forwarding (转办): the pure parts of their pages. */
import { ApiError, messageFor } from "./errors";

/** The fixed notice of a 限制转办 slip (services/documents/schemas.py FORWARDING_NOTICE). */
export const FORWARDING_NOTICE = "此件系内部资料，严格控制知悉范围，严禁在互联网端存储或传输";

export const LEADER_KIND_LABELS: Record<string, string> = {
  gov_leader: "省政府领导",
  office_leader: "厅领导",
};

/** Why a person is in a 领导批示件's 知悉范围. */
export const SCOPE_REASON_LABELS: Record<string, string> = {
  route: "办理流程",
  scope: "增加知悉",
  circulation: "传阅",
};

export const DEFAULT_ROLE_LABELS: Record<string, string> = {
  gov_leader: "省政府领导",
  office_leader: "厅领导",
  registrar: "文书处",
};

/** Which leader an instruction entered here is for: the task's leader when a secretary
 * enters it (代录), the leader chosen among the delegations, or the actor. */
export function instructingLeader(
  meId: string | null | undefined,
  proxyFor: string | null | undefined,
  chosen: string | null | undefined,
): string | null {
  return proxyFor || chosen || meId || null;
}

/** 批示编号 by hand only for a 省政府领导; 厅领导's come from the system; null: not known yet. */
export function numberingOf(roles: readonly string[] | null | undefined): "hand" | "system" | null {
  if (!roles || !roles.length) return null;
  if (roles.includes("gov_leader")) return "hand";
  if (roles.includes("office_leader")) return "system";
  return null;
}

/** 「钱副厅长（秘书 孙秘书 代录）」: the leader's name and who entered it on their behalf. */
export function signedBy(leaderName: string | null | undefined, attribution: string | null | undefined): string {
  const name = leaderName || "—";
  return attribution ? `${name}（${attribution}）` : name;
}

/** Whether I may give this instruction its hand number: a 省政府领导's, not numbered yet,
 * and I am the leader or a secretary they authorised (the server decides in the end). */
export function mayNumber(
  instruction: { leader_kind: string; number?: string | null; leader_id: string },
  meId: string | null | undefined,
  delegatedLeaders: readonly string[],
): boolean {
  if (instruction.leader_kind !== "gov_leader" || instruction.number) return false;
  return instruction.leader_id === meId || delegatedLeaders.includes(instruction.leader_id);
}

export interface PeriodChoice {
  year: number | null;
  range: [string, string] | null;
}

/** The period of a search or export: a date range wins over a year; nothing is sent for
 * neither (the export then means this year). */
export function periodQuery(choice: PeriodChoice): { year?: number; since?: string; until?: string } {
  if (choice.range && choice.range[0] && choice.range[1]) return { since: choice.range[0], until: choice.range[1] };
  if (choice.year) return { year: choice.year };
  return {};
}

/** The export's address: one leader, a year or a date range. */
export function exportUrl(leaderId: string, choice: PeriodChoice): string {
  const params = new URLSearchParams({ leader_id: leaderId });
  for (const [key, value] of Object.entries(periodQuery(choice))) params.set(key, String(value));
  return `/api/v1/instructions/export?${params.toString()}`;
}

export interface RecipientChoice {
  tenant_code?: string | null;
  unit_id: string;
}

/** Recipients of a 转办, each unit once (the same unit picked twice goes once). */
export function recipientsOf(ownUnits: readonly string[], others: readonly RecipientChoice[]): RecipientChoice[] {
  const seen = new Set<string>();
  const out: RecipientChoice[] = [];
  const add = (r: RecipientChoice) => {
    const unit = r.unit_id.trim();
    const tenant = (r.tenant_code ?? "").trim();
    const key = `${tenant}|${unit.toLowerCase()}`;
    if (!unit || seen.has(key)) return;
    seen.add(key);
    out.push(tenant ? { tenant_code: tenant, unit_id: unit } : { unit_id: unit });
  };
  ownUnits.forEach((unit_id) => add({ unit_id }));
  others.forEach(add);
  return out;
}

/** The years offered in a filter: this year and the nine before it. */
export function recentYears(now: Date = new Date(), count = 10): number[] {
  const year = Number(new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric" }).format(now));
  return Array.from({ length: count }, (_, i) => year - i);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(text: string): boolean {
  return UUID.test(text.trim());
}

/** The refusals of the instruction, scope and forwarding endpoints, in Chinese (the
 * server's messages are English); any other error reads as everywhere else. */
export const INSTRUCTION_MESSAGES: Record<string, string> = {
  instruction_number_taken: "该领导本年度已有此批示编号，请核对后重新填写",
  instruction_number_by_system: "厅领导的批示编号由系统自动生成，不能手工编号",
  not_your_instruction: "只有领导本人或其授权秘书可以为该批示编号",
  instruction_not_found: "批示不存在或无权查看",
  not_office_leader: "只有厅领导的批示由系统按格式编号",
  not_allowed: "您没有执行此操作的权限",
  not_document_holder: "您没有该文件的待办任务，不能转办",
  document_forwarded: "该文件已转办，请勿重复转办",
  recipient_unit_not_found: "接收单位不存在或已撤销",
  recipient_tenant_not_found: "接收单位所在的租户不存在",
  recipient_is_sender: "不能转办给本单位",
  sender_unit_not_found: "未找到您所在的单位，暂不能转办",
  not_allowed_to_extend_scope: "只有文书处或主办处室可以扩大知悉范围",
  not_leader_instruction: "该文件不是领导批示件",
  user_not_found: "人员不存在或已停用",
};

export function instructionMessage(error: unknown): string {
  if (error instanceof ApiError && error.status !== 503 && error.status !== 504) {
    const known = INSTRUCTION_MESSAGES[error.code];
    if (known) return known;
  }
  return messageFor(error);
}

/** The trail's actions of this feature (the document page's 全程留痕). */
export const INSTRUCTION_TRACE_LABELS: Record<string, string> = {
  "document.forward": "转办",
  "document.forwarded": "转办",
  "document.scope_extend": "增加知悉范围",
  "instruction.record": "批示登记",
  "instruction.recorded": "批示登记",
  "instruction.number": "批示编号",
  "instruction.numbered": "批示编号",
};
