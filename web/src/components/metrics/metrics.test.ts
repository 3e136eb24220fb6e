import { describe, expect, it } from "vitest";
import { ApiError } from "../../lib/errors";
import { indicatorsExportUrl, metricsMessage, shanghaiMonth, shiftMonth, siteReportsExportUrl } from "./metrics";

describe("metrics", () => {
  it("reads the month in Shanghai", () => {
    // 16:30 UTC on 30 November is 00:30 on 1 December in Shanghai
    expect(shanghaiMonth(new Date("2026-11-30T16:30:00Z"))).toBe("2026-12");
    expect(shanghaiMonth(new Date("2026-11-30T15:30:00Z"))).toBe("2026-11");
  });
  it("moves months across years", () => {
    expect(shiftMonth("2026-01", -1)).toBe("2025-12");
    expect(shiftMonth("2026-12", 1)).toBe("2027-01");
  });
  it("builds the export links", () => {
    expect(indicatorsExportUrl("2026-11", "city")).toBe("/api/v1/metrics/indicators.xlsx?month=2026-11&level=city");
    expect(siteReportsExportUrl("2026-11")).toBe("/api/v1/metrics/site-reports.xlsx?month=2026-11");
  });
  it("says the refusals in Chinese", () => {
    expect(metricsMessage(new ApiError(422, "correction_reason_required", "x"))).toBe("更正须填写更正原因");
  });
});
