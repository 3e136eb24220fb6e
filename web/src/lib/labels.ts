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
  "document.register": "收文登记",
  "document.attach_file": "上传扫描件",
  "document.distribute": "分办",
  "document.circulate": "传阅",
  "document.read": "已阅",
  "document.complete": "办结",
  "document.archive": "归档",
  "document.send": "发送",
  "document.send_refused": "被拒收",
  "document.sign_for": "签收登记（收文箱）",
  "task.create": "生成待办",
  "task.cancel": "任务取消",
  "task.urge": "催办",
  "task.overdue": "超期",
  "task.remind": "到期提醒",
  "task.distribute": "分办",
  "task.sign": "处室签收",
  "task.sign_leader_instruction": "处室签收（领导批示件）",
  "task.propose": "拟办",
  "task.approve": "处室审核",
  "task.instruct": "领导批示",
  "task.handle": "办理完毕",
  "task.complete": "办结",
  "task.archive": "归档",
  "task.return": "退回",
  "task.withdraw": "撤回",
  "task.withdrawn": "撤回",
  "task.reassign": "转交",
  "task.reassigned": "转交",
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
