import { describe, expect, it } from "vitest";
import { itemQuery, itemsExportUrl, progressColor, shanghaiToday } from "./ledger";

describe("the ledger's filters", () => {
  it("leaves out what is not chosen", () => {
    expect(itemQuery({ supplier_id: "s-1", status: undefined, delayed: false, q: "" })).toEqual({ supplier_id: "s-1" });
    expect(itemQuery({ delayed: true, date_from: "2026-12-01" })).toEqual({ delayed: "true", date_from: "2026-12-01" });
  });

  it("exports with the same filters", () => {
    expect(itemsExportUrl({})).toBe("/api/v1/ledger/items.xlsx");
    expect(itemsExportUrl({ project: "电子政务网", delayed: true })).toBe(
      "/api/v1/ledger/items.xlsx?project=%E7%94%B5%E5%AD%90%E6%94%BF%E5%8A%A1%E7%BD%91&delayed=true",
    );
  });
});

describe("days and colours", () => {
  it("counts today in Shanghai", () => {
    expect(shanghaiToday(new Date("2026-12-02T16:30:00Z"))).toBe("2026-12-03");
    expect(shanghaiToday(new Date("2026-12-02T15:59:00Z"))).toBe("2026-12-02");
  });

  it("paints a delayed item red and a done one green", () => {
    expect(progressColor({ shown_status: "delayed", delayed: true })).toBe("#f56c6c");
    expect(progressColor({ shown_status: "done", delayed: false })).toBe("#67c23a");
    expect(progressColor({ shown_status: "in_progress", delayed: false })).toBe("#409eff");
  });
});
