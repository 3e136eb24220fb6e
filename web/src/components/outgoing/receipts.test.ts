import { describe, expect, it } from "vitest";
import { ApiError } from "../../lib/errors";
import {
  anyPending,
  countsText,
  mayResend,
  mayUrge,
  orderedReceipts,
  receiptEvent,
  receiptMessage,
  unitText,
  urgeText,
  type Receipt,
} from "./receipts";
import { exportUrl, recipientsText, registerQuery, shanghaiYear, statusTag } from "./register";

function receipt(id: string, unit: string, extra: Partial<Receipt> = {}): Receipt {
  return {
    inbox_item_id: id,
    tenant_id: "t",
    tenant_code: "gy",
    tenant_name: "贵阳市人民政府",
    unit_id: unit,
    unit_name: "文书处",
    is_copy: false,
    status: "pending",
    sent_at: "2026-11-23T01:30:00Z",
    signed_at: null,
    signed_by_name: null,
    refused_at: null,
    refused_by_name: null,
    refusal_reason: null,
    urged_at: null,
    urge_count: 0,
    superseded: false,
    ...extra,
  };
}

describe("the receipts", () => {
  it("count the current copies in one line", () => {
    expect(countsText({ pending: 1, signed: 1, refused: 0 })).toBe("已签收 1 · 待签收 1 · 已拒收 0");
    expect(countsText({})).toBe("已签收 0 · 待签收 0 · 已拒收 0");
  });

  it("name the tenant and the unit", () => {
    expect(unitText(receipt("a", "u"))).toBe("贵阳市人民政府 · 文书处");
    expect(unitText({ tenant_name: "", unit_name: "综合处" })).toBe("综合处");
  });

  it("put a copy sent again above the refused one it replaced, units in the order first sent", () => {
    const refused = receipt("b1", "ub", { status: "refused", superseded: true });
    const rows = orderedReceipts([receipt("a", "ua"), refused, receipt("c", "uc"), receipt("b2", "ub")]);
    expect(rows.map((r) => r.inbox_item_id)).toEqual(["a", "b2", "b1", "c"]);
  });

  it("list the 主送 units before the 抄送 ones", () => {
    const copied = receipt("c1", "uc", { is_copy: true, status: "refused", superseded: true });
    const rows = orderedReceipts([copied, receipt("m", "um"), receipt("c2", "uc", { is_copy: true })]);
    expect(rows.map((r) => r.inbox_item_id)).toEqual(["m", "c2", "c1"]);
  });

  it("say who signed or refused, and when (Shanghai time)", () => {
    const signed = receipt("a", "u", { status: "signed", signed_at: "2026-11-23T02:05:00Z", signed_by_name: "外文书" });
    expect(receiptEvent(signed)).toEqual({ at: "2026-11-23 10:05", text: "外文书 签收" });
    const refused = receipt("b", "u", { status: "refused", refused_at: "2026-11-23T03:00:00Z", refused_by_name: null });
    expect(receiptEvent(refused)).toEqual({ at: "2026-11-23 11:00", text: "已拒收" });
    expect(receiptEvent(receipt("c", "u"))).toEqual({ at: "2026-11-23 09:30", text: "已发送，待签收" });
  });

  it("offer 催签 on pending copies and 重新发送 on refused ones not yet sent again", () => {
    const pending = receipt("a", "u");
    const refused = receipt("b", "u", { status: "refused" });
    const replaced = receipt("c", "u", { status: "refused", superseded: true });
    expect([mayUrge(pending), mayUrge(refused)]).toEqual([true, false]);
    expect([mayResend(pending), mayResend(refused), mayResend(replaced)]).toEqual([false, true, false]);
    expect(anyPending([refused, replaced])).toBe(false);
    expect(anyPending([refused, pending])).toBe(true);
  });

  it("count the reminders", () => {
    expect(urgeText({ urge_count: 0, urged_at: null })).toBe("");
    expect(urgeText({ urge_count: 2, urged_at: "2026-11-23T01:00:00Z" })).toBe("已催签 2 次（最近 2026-11-23 09:00）");
  });

  it("read the server's refusals in Chinese, others as the server says", () => {
    expect(receiptMessage(new ApiError(409, "not_pending", "x"))).toBe("该单位已签收或已拒收，无需催签");
    expect(receiptMessage(new ApiError(409, "already_resent", "x"))).toContain("已重新发送过");
    expect(receiptMessage(new ApiError(403, "not_sender_registry", "x"))).toContain("文书处");
    expect(receiptMessage(new ApiError(409, "something_new", "the copy is locked"))).toBe("the copy is locked");
    expect(receiptMessage(new ApiError(503, "not_pending", "x"))).toBe("服务暂时不可用，请稍后重试");
  });
});

describe("the register", () => {
  it("colours the states", () => {
    expect(statusTag({ state: "assigned", status: "已分发" })).toBe("success");
    expect(statusTag({ state: "assigned", status: "待用印" })).toBe("primary");
    expect(statusTag({ state: "reserved", status: "已预留" })).toBe("warning");
    expect(statusTag({ state: "voided", status: "已作废" })).toBe("info");
  });

  it("lists the recipients", () => {
    expect(recipientsText(["省发展改革委", "文书处"])).toBe("省发展改革委、文书处");
    expect(recipientsText([])).toBe("—");
  });

  it("knows the year in Shanghai on New Year's Eve in UTC", () => {
    expect(shanghaiYear(new Date("2026-12-31T16:30:00Z"))).toBe(2027);
    expect(shanghaiYear(new Date("2026-12-31T15:30:00Z"))).toBe(2026);
  });

  it("asks for the words only when there are some, in the export too", () => {
    expect(registerQuery(2026, "  ")).toEqual({ year: 2026 });
    expect(registerQuery(2026, " 数据 ")).toEqual({ year: 2026, q: "数据" });
    expect(exportUrl("s-1", 2026, "")).toBe("/api/v1/number-series/s-1/register.xlsx?year=2026");
    expect(exportUrl("s-1", 2026, "数据 质量")).toBe(
      "/api/v1/number-series/s-1/register.xlsx?year=2026&q=%E6%95%B0%E6%8D%AE+%E8%B4%A8%E9%87%8F",
    );
  });
});
