import { describe, expect, it } from "vitest";
import { ApiError } from "./errors";
import {
  exportUrl,
  instructionMessage,
  instructingLeader,
  isUuid,
  mayNumber,
  numberingOf,
  periodQuery,
  recentYears,
  recipientsOf,
  signedBy,
} from "./instructions";

const LEADER = "11111111-1111-4111-8111-111111111111";
const OTHER = "22222222-2222-4222-8222-222222222222";

describe("instructions", () => {
  it("instructs for the task's leader, the chosen leader, or oneself", () => {
    expect(instructingLeader("me", "boss", "other")).toBe("boss");
    expect(instructingLeader("me", null, "other")).toBe("other");
    expect(instructingLeader("me", null, "")).toBe("me");
    expect(instructingLeader(null, null, null)).toBeNull();
  });

  it("numbers by hand for a 省政府领导 only", () => {
    expect(numberingOf(["gov_leader"])).toBe("hand");
    expect(numberingOf(["office_leader"])).toBe("system");
    expect(numberingOf(["handler"])).toBeNull();
    expect(numberingOf([])).toBeNull();
  });

  it("signs with the leader's name and who entered it", () => {
    expect(signedBy("钱副厅长", "秘书 孙秘书 代录")).toBe("钱副厅长（秘书 孙秘书 代录）");
    expect(signedBy("赵厅长", null)).toBe("赵厅长");
  });

  it("offers the hand number for an unnumbered 省政府领导's instruction to them and their secretaries", () => {
    const unnumbered = { leader_kind: "gov_leader", number: null, leader_id: LEADER };
    expect(mayNumber(unnumbered, LEADER, [])).toBe(true);
    expect(mayNumber(unnumbered, "sec", [LEADER])).toBe(true);
    expect(mayNumber(unnumbered, "sec", [OTHER])).toBe(false);
    expect(mayNumber({ ...unnumbered, number: "省长批〔2026〕1号" }, LEADER, [])).toBe(false);
    expect(mayNumber({ ...unnumbered, leader_kind: "office_leader" }, LEADER, [])).toBe(false);
  });

  it("asks for a date range before a year, and for nothing when neither is chosen", () => {
    expect(periodQuery({ year: 2026, range: ["2026-03-01", "2026-03-31"] })).toEqual({ since: "2026-03-01", until: "2026-03-31" });
    expect(periodQuery({ year: 2026, range: null })).toEqual({ year: 2026 });
    expect(periodQuery({ year: null, range: null })).toEqual({});
    expect(exportUrl(LEADER, { year: 2026, range: null })).toBe(`/api/v1/instructions/export?leader_id=${LEADER}&year=2026`);
  });

  it("sends each receiving unit once", () => {
    expect(recipientsOf([LEADER, LEADER], [{ tenant_code: " gz-gy ", unit_id: OTHER }, { tenant_code: "gz-gy", unit_id: OTHER.toUpperCase() }, { unit_id: " " }])).toEqual([
      { unit_id: LEADER },
      { tenant_code: "gz-gy", unit_id: OTHER },
    ]);
    expect(isUuid(` ${LEADER} `)).toBe(true);
    expect(isUuid("文书处")).toBe(false);
  });

  it("offers this year and the years before it", () => {
    expect(recentYears(new Date("2026-12-31T17:00:00Z"), 3)).toEqual([2027, 2026, 2025]);
  });

  it("reads the refusals in Chinese, other errors as everywhere else", () => {
    expect(instructionMessage(new ApiError(409, "instruction_number_taken", "this leader has an instruction with that number this year"))).toBe(
      "该领导本年度已有此批示编号，请核对后重新填写",
    );
    expect(instructionMessage(new ApiError(403, "not_document_holder", "only the holder"))).toBe("您没有该文件的待办任务，不能转办");
    expect(instructionMessage(new ApiError(404, "document_not_found", "x"))).toBe("文件不存在或无权查看");
    expect(instructionMessage(new ApiError(409, "something_new", "什么新情况"))).toBe("什么新情况");
    expect(instructionMessage(new ApiError(503, "instruction_number_taken", "x", "req-1"))).toContain("请求编号 req-1");
  });
});
