import { describe, expect, it } from "vitest";
import { filenameOf } from "./download";
import { lastMonth, monthLabel, previousMonth, thisMonth } from "./month";

describe("report months", () => {
  it("counts in Shanghai: 1 Dec 20:00 UTC is already December there", () => {
    expect(thisMonth(new Date("2026-11-30T16:30:00Z"))).toBe("2026-12");
    expect(lastMonth(new Date("2026-11-30T16:30:00Z"))).toBe("2026-11");
    expect(lastMonth(new Date("2026-11-30T15:30:00Z"))).toBe("2026-10");
  });

  it("goes back over a year's end", () => {
    expect(previousMonth("2027-01")).toBe("2026-12");
    expect(previousMonth("2026-10")).toBe("2026-09");
  });

  it("reads in Chinese", () => {
    expect(monthLabel("2026-09")).toBe("2026年9月");
  });
});

describe("download names", () => {
  it("prefers the RFC 5987 name (Chinese)", () => {
    const header = `attachment; filename="overdue-2026-10.xlsx"; filename*=UTF-8''${encodeURIComponent("超期通报-2026年10月.xlsx")}`;
    expect(filenameOf(header, "x.xlsx")).toBe("超期通报-2026年10月.xlsx");
  });

  it("falls back to the plain name, then to the given one", () => {
    expect(filenameOf('attachment; filename="overdue-2026-10.csv"', "x.csv")).toBe("overdue-2026-10.csv");
    expect(filenameOf(null, "x.csv")).toBe("x.csv");
  });
});
