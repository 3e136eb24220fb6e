/** Route operations (退回 to a chosen step, 撤回, 转交): the pure parts of their dialogs. */
import { ApiError, messageFor } from "./errors";

/** The refusals of 退回 / 撤回 / 转交 in Chinese (the server's messages are English); any
 * other error reads as everywhere else (the server's message, 服务暂时不可用 …). */
export const ROUTE_MESSAGES: Record<string, string> = {
  return_step_not_passed: "本件未经过所选环节，不能退回到该环节，请重新选择",
  return_to_not_expected: "只有退回时才能选择退回环节",
  not_task_sender: "只有办理该环节的本人才能撤回",
  next_holder_acted: "下一环节已经办理，不能撤回",
  nothing_to_withdraw: "该环节办理后本件未转到下一环节（或已办结），没有可撤回的内容",
  not_division_head: "只有该处室的处室负责人才能转交",
  not_a_handler: "只能转交给本处室在职的承办人",
  not_handler_step: "该环节不是承办人办理的环节，不能转交",
  already_assigned: "该任务已在此承办人名下，无需转交",
};

export function routeMessage(error: unknown): string {
  if (error instanceof ApiError && error.status !== 503 && error.status !== 504) {
    const known = ROUTE_MESSAGES[error.code];
    if (known) return known;
  }
  return messageFor(error);
}

interface RouteRow {
  id: string;
  step: string;
  unit_id?: string | null;
  assignee_id?: string | null;
  status: string;
  completed_by?: string | null;
  completed_at?: string | null;
}

/** My last done task of the route, when I hold nothing open on it and the route still
 * runs (the server decides in the end: 409 when the next holder has acted). */
export function withdrawable<T extends RouteRow>(route: readonly T[], meId: string | null | undefined): T | null {
  if (!meId || !route.some((t) => t.status === "open")) return null;
  if (route.some((t) => t.status === "open" && t.assignee_id === meId)) return null;
  const mine = route
    .filter((t) => t.status === "done" && t.completed_by === meId && t.completed_at)
    .sort((a, b) => (a.completed_at! < b.completed_at! ? 1 : -1));
  return mine[0] ?? null;
}

/** The open tasks of my division a division head may give to another handler: those a
 * handler of the division holds (a pooled review or a leader's task is not). */
export function reassignable<T extends RouteRow>(
  route: readonly T[],
  unitId: string | null | undefined,
  handlerIds: readonly string[],
): T[] {
  if (!unitId) return [];
  return route.filter(
    (t) => t.status === "open" && t.unit_id === unitId && !!t.assignee_id && handlerIds.includes(t.assignee_id),
  );
}

/** The step a return goes to at first: the one marked ``default``, else the nearest. */
export function defaultReturnStep(targets: readonly { step: string; default: boolean }[]): string | null {
  return (targets.find((t) => t.default) ?? targets[0])?.step ?? null;
}
