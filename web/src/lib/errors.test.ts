import { describe, expect, it } from "vitest";
import { ApiError, errorOf, messageFor, SESSION_EXPIRED, UNAVAILABLE } from "./errors";
import { opinionAuthor } from "./labels";

describe("error messages", () => {
  it("reads known codes in Chinese", () => {
    expect(messageFor(new ApiError(401, "invalid_credentials", "wrong tenant, username or password"))).toBe(
      "租户代码、用户名或密码错误",
    );
    expect(messageFor(new ApiError(429, "login_throttled", "too many"))).toContain("暂时锁定");
    expect(messageFor(new ApiError(401, "token_expired", "expired"))).toBe(SESSION_EXPIRED);
    expect(messageFor(new ApiError(409, "task_already_taken", "taken"))).toBe("该任务已被他人处理");
  });

  it("shows the server's message for other codes", () => {
    expect(messageFor(new ApiError(422, "secrecy_refused", "秘密 documents may not be stored"))).toBe(
      "秘密 documents may not be stored",
    );
    expect(messageFor(new ApiError(422, "invalid_input", "title: field required"))).toBe("输入有误：title: field required");
  });

  it("reads an org unit still in use with the server's counts, and an inactive parent", () => {
    const inUse = "0 active unit(s) and 1 active user(s) are still in this unit: move or deactivate them first";
    expect(messageFor(new ApiError(409, "org_unit_in_use", inUse))).toBe("该机构下还有 1 名在职人员，请先调出或停用后再撤销");
    const both = "2 active unit(s) and 3 active user(s) are still in this unit: move or deactivate them first";
    expect(messageFor(new ApiError(409, "org_unit_in_use", both))).toBe(
      "该机构下还有 2 个启用的下级机构和 3 名在职人员，请先调出或停用后再撤销",
    );
    expect(messageFor(new ApiError(409, "org_unit_in_use", "busy"))).toBe("该机构下还有启用的下级机构或人员，不能撤销（busy）");
    expect(messageFor(new ApiError(409, "parent_inactive", "reactivate the unit above it first"))).toBe(
      "上级机构已撤销，请先恢复上级机构",
    );
  });

  it("reads 503/504 and no answer as unavailable, with the request id", () => {
    expect(messageFor(new ApiError(503, "broker_unavailable", "x", "req-42"))).toBe(`${UNAVAILABLE}（请求编号 req-42）`);
    expect(messageFor(new ApiError(504, "service_timeout", "x"))).toBe(UNAVAILABLE);
    expect(messageFor(new TypeError("Failed to fetch"))).toBe(UNAVAILABLE);
  });

  it("builds the error of a response from its body and X-Request-ID", async () => {
    const response = new Response(JSON.stringify({ error: { code: "role_required", message: "registrar only" } }), {
      status: 403,
      headers: { "X-Request-ID": "abc123" },
    });
    const error = await errorOf(response);
    expect([error.status, error.code, error.serverMessage, error.requestId]).toEqual([403, "role_required", "registrar only", "abc123"]);
    const bare = await errorOf(new Response("<html>bad gateway</html>", { status: 502 }));
    expect(bare.code).toBe("http_502");
  });

  it("signs a proxy instruction with the leader's name and the secretary who entered it", () => {
    expect(opinionAuthor({ author_name: "孙秘书", on_behalf_of_name: "赵厅长" })).toBe("赵厅长（秘书 孙秘书 代录）");
    expect(opinionAuthor({ author_name: "赵厅长", on_behalf_of_name: null })).toBe("赵厅长");
  });
});
