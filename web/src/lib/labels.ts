/** Chinese labels of the API's codes. */
export const SECRECY_LABELS: Record<string, string> = {
  none: "非密",
  internal: "内部",
  secret: "秘密",
  confidential: "机密",
  top_secret: "绝密",
};
export const DOCUMENT_STATUS_LABELS: Record<string, string> = {
  registered: "已登记（待分办）",
  distributed: "办理中",
  completed: "已办结",
  archived: "已归档",
};
export const TASK_STATUS_LABELS: Record<string, string> = {
  open: "办理中",
  done: "已办",
  returned: "已退回",
  cancelled: "已取消",
};
export const ACTION_LABELS: Record<string, string> = {
  distribute: "分办",
  sign: "签收",
  propose: "拟办",
  approve: "审核通过",
  instruct: "批示",
  handle: "办理完毕",
  complete: "办结",
  archive: "归档",
  return: "退回",
};
export const OPINION_KIND_LABELS: Record<string, string> = {
  proposal: "拟办意见",
  review: "审核意见",
  instruction: "领导批示",
  handling: "办理情况",
  return_reason: "退回理由",
  completion: "办结意见",
};
export const TRACE_LABELS: Record<string, string> = {
  registered: "收文登记",
  "document.registered": "收文登记",
  files_attached: "上传扫描件",
  distributed: "分办",
  signed: "签收",
  proposed: "拟办",
  approved: "审核",
  instructed: "批示",
  handled: "办理",
  completed: "办结",
  archived: "归档",
  returned: "退回",
  urged: "催办",
  circulated: "传阅",
  read: "已阅",
  overdue: "超期",
};

export function label(map: Record<string, string>, code: string | null | undefined): string {
  if (!code) return "—";
  return map[code] ?? map[code.split(".").pop() ?? code] ?? code;
}

/** 代领导批示 reads as the leader's name with 「（秘书 X 代录）」. */
export function opinionAuthor(opinion: { author_name: string; on_behalf_of_name?: string | null }): string {
  if (opinion.on_behalf_of_name) return `${opinion.on_behalf_of_name}（秘书 ${opinion.author_name} 代录）`;
  return opinion.author_name;
}
