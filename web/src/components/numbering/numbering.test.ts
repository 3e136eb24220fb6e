import { describe, expect, it } from "vitest";
import { ApiError, messageFor } from "../../lib/errors";
import { buildTree, type OrgUnit } from "../admin/orgTree";
import { countsLine, firstNumber, missingNumbers, ownUnit, unitChoices, yearChoices } from "./numbering";

function unit(id: string, kind: OrgUnit["kind"], parent: OrgUnit | null, active = true): OrgUnit {
  return {
    id,
    kind,
    name: id,
    code: null,
    active,
    parent_id: parent?.id ?? null,
    path: `${parent?.path ?? "/"}${id}/`,
    depth: (parent?.depth ?? 0) + 1,
    tenant_id: "t",
  };
}

const numbers = (...ns: number[]) => ns.map((n) => ({ n }));

describe("the counts line", () => {
  it("accounts for every number of the year", () => {
    const year = { counts: { assigned: 0, reserved: 1, voided: 1 }, last_n: 2, numbers: numbers(1, 2) } as never;
    expect(countsLine(year)).toBe("已使用 0，已预留 1，已作废 1，共 2 个，无空号");
  });
  it("says when a year has no number yet", () => {
    expect(countsLine({ counts: {}, last_n: 0, numbers: [] } as never)).toBe(
      "已使用 0，已预留 0，已作废 0，共 0 个，本年尚未编号",
    );
  });
  it("names the numbers the list does not account for", () => {
    expect(missingNumbers(5, numbers(1, 3, 5))).toEqual([2, 4]);
    const year = { counts: { assigned: 3 }, last_n: 5, numbers: numbers(1, 3, 5) } as never;
    expect(countsLine(year)).toBe("已使用 3，已预留 0，已作废 0，共 5 个，空号 2 个（2、4）");
  });
});

describe("a 机关代字", () => {
  it("reads the server's refusals in Chinese", () => {
    expect(messageFor(new ApiError(422, "bad_series_prefix", "a series is the 机关代字 only"))).toContain("不能含年份、〔〕、第、号或数字");
    expect(messageFor(new ApiError(403, "not_own_series", "this series is another unit's"))).toContain("其他单位的发文字号");
    expect(messageFor(new ApiError(409, "series_exists", "x"))).toContain("不能重复创建");
    expect(messageFor(new ApiError(409, "number_voided", "x"))).toBe("该文号已作废，不能再次作废");
  });
});

describe("the units of a series", () => {
  const root = unit("root", "unit", null);
  const registry = unit("registry", "division", root);
  const section = unit("section", "section", registry);
  const bureau = unit("bureau", "unit", root);
  const closed = unit("closed", "unit", root, false);
  const units = [root, registry, section, bureau, closed];

  it("are the tree's units, inactive ones greyed", () => {
    const [top] = unitChoices(buildTree(units));
    expect(top.id).toBe("root");
    expect(top.children.map((c) => [c.id, !!c.disabled])).toEqual([
      ["bureau", false],
      ["closed", true],
    ]);
  });
  it("default to the registrar's nearest unit", () => {
    expect(ownUnit(units, "section")?.id).toBe("root");
    expect(ownUnit(units, "bureau")?.id).toBe("bureau");
    expect(ownUnit(units, null)).toBeUndefined();
  });
});

it("offers ten years and the one asked for", () => {
  expect(yearChoices(2026)).toHaveLength(10);
  expect(yearChoices(2026, 2010)[10]).toBe(2010);
  expect(yearChoices(2026, 2025)).toHaveLength(10);
});

it("shows how a 机关代字's numbers will read, not for a prefix the server refuses", () => {
  expect(firstNumber(" 黔府办函 ", 2026)).toBe("黔府办函〔2026〕1号");
  for (const bad of ["黔府办函〔2026〕", "黔府办函第", "黔府办函号", "黔府办函1", "黔府 办函", "黔府办函１", ""]) {
    expect(firstNumber(bad, 2026)).toBeNull();
  }
});
