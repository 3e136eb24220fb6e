import { describe, expect, it } from "vitest";
import { ApiError } from "./errors";
import { defaultReturnStep, reassignable, routeMessage, withdrawable } from "./routeops";

const row = (id: string, extra: Record<string, unknown>) => ({ id, step: "propose", status: "open", ...extra });

describe("route operations", () => {
  it("offers to withdraw my last done task while the route runs and I hold nothing", () => {
    const route = [
      row("sign", { step: "division_sign", status: "done", completed_by: "me", completed_at: "2026-11-20T01:00:00Z" }),
      row("propose", { status: "done", completed_by: "me", completed_at: "2026-11-20T02:00:00Z" }),
      row("review", { step: "division_review", unit_id: "u", assignee_id: null }),
    ];
    expect(withdrawable(route, "me")?.id).toBe("propose");
    expect(withdrawable(route, "other")).toBeNull();
    expect(withdrawable([...route, row("mine", { assignee_id: "me" })], "me")).toBeNull();
    expect(withdrawable(route.slice(0, 2), "me")).toBeNull(); // nothing open: finished
  });

  it("lets a head give on the tasks a handler of the division holds", () => {
    const route = [
      row("a", { unit_id: "u", assignee_id: "h1" }),
      row("b", { step: "division_review", unit_id: "u", assignee_id: null }),
      row("c", { step: "leader_instruction", unit_id: "u", assignee_id: "leader" }),
      row("d", { unit_id: "other", assignee_id: "h1" }),
      row("e", { unit_id: "u", assignee_id: "h1", status: "done" }),
    ];
    expect(reassignable(route, "u", ["h1", "h2"]).map((t) => t.id)).toEqual(["a"]);
    expect(reassignable(route, null, ["h1"])).toEqual([]);
  });

  it("preselects the default step of a return", () => {
    expect(defaultReturnStep([{ step: "review", default: false }, { step: "propose", default: true }])).toBe("propose");
    expect(defaultReturnStep([{ step: "review", default: false }])).toBe("review");
    expect(defaultReturnStep([])).toBeNull();
  });

  it("reads the refusals in Chinese", () => {
    expect(routeMessage(new ApiError(409, "next_holder_acted", "the next holder has acted on it already"))).toBe("下一环节已经办理，不能撤回");
    expect(routeMessage(new ApiError(409, "nothing_to_withdraw", "x"))).toContain("没有可撤回");
    expect(routeMessage(new ApiError(422, "return_step_not_passed", "x"))).toContain("不能退回到该环节");
    expect(routeMessage(new ApiError(403, "not_division_head", "x"))).toBe("只有该处室的处室负责人才能转交");
    expect(routeMessage(new ApiError(422, "not_a_handler", "x"))).toBe("只能转交给本处室在职的承办人");
    expect(routeMessage(new ApiError(409, "already_assigned", "x"))).toBe("该任务已在此承办人名下，无需转交");
    expect(routeMessage(new ApiError(409, "task_already_taken", "x"))).toBe("该任务已被他人处理");
    expect(routeMessage(new ApiError(409, "something_new", "新的情况"))).toBe("新的情况");
  });
});
