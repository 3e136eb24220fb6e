import { describe, expect, it } from "vitest";
import { parseDates } from "./dates";
import { buildTree, mayContain, type OrgUnit } from "./orgTree";

function unit(id: string, kind: OrgUnit["kind"], parent: OrgUnit | null): OrgUnit {
  return {
    id,
    kind,
    name: id,
    code: null,
    active: true,
    parent_id: parent?.id ?? null,
    path: `${parent?.path ?? "/"}${id}/`,
    depth: (parent?.depth ?? 0) + 1,
    tenant_id: "t",
  };
}

describe("parseDates", () => {
  it("reads dates and spans, sorted and once each", () => {
    expect(parseDates("2027-02-08\n2027-01-01，2027-02-06~2027-02-08")).toEqual([
      "2027-01-01",
      "2027-02-06",
      "2027-02-07",
      "2027-02-08",
    ]);
    expect(parseDates("2027-10-01至2027-10-03")).toEqual(["2027-10-01", "2027-10-02", "2027-10-03"]);
    expect(parseDates("  ")).toEqual([]);
  });

  it("names what it cannot read", () => {
    expect(() => parseDates("2027-01-01 2027/02/03")).toThrow("2027/02/03");
    expect(() => parseDates("2027-02-10~2027-02-01")).toThrow("2027-02-10~2027-02-01");
    expect(() => parseDates("2027-13-01")).toThrow("2027-13-01");
  });
});

describe("org tree", () => {
  const root = unit("root", "unit", null);
  const division = unit("div", "division", root);
  const section = unit("sec", "section", division);
  const other = unit("other", "unit", root);

  it("nests units under their parents", () => {
    const [top] = buildTree([root, division, section, other]);
    expect(top?.id).toBe("root");
    expect(top?.children.map((n) => n.id)).toEqual(["div", "other"]);
    expect(top?.children[0]?.children.map((n) => n.id)).toEqual(["sec"]);
  });

  it("disables a unit and what is below it (no move under itself)", () => {
    const [top] = buildTree([root, division, section, other], "div");
    expect(top?.disabled).toBeFalsy();
    expect(top?.children[0]?.disabled).toBe(true);
    expect(top?.children[0]?.children[0]?.disabled).toBe(true);
    expect(top?.children[1]?.disabled).toBeFalsy();
  });

  it("knows what may contain what", () => {
    expect(mayContain(root, "division")).toBe(true);
    expect(mayContain(division, "division")).toBe(false);
    expect(mayContain(division, "section")).toBe(true);
    expect(mayContain(section, "section")).toBe(true);
  });
});
