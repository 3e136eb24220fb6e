import { describe, expect, it } from "vitest";
import { byUrgency, urgencyLabel, urgencyTagType } from "./urgency";

describe("urgency", () => {
  it("orders 特急, 加急, 平件, the newest first among equals", () => {
    const rows = [
      { id: "a", urgency: "normal", created_at: "2026-11-20T01:00:00Z" },
      { id: "b", urgency: "urgent", created_at: "2026-11-20T02:00:00Z" },
      { id: "c", urgency: "extra_urgent", created_at: "2026-11-19T01:00:00Z" },
      { id: "d", urgency: "normal", created_at: "2026-11-21T01:00:00Z" },
      { id: "e", urgency: "something_new", created_at: "2026-11-22T01:00:00Z" },
    ];
    expect(byUrgency(rows).map((r) => r.id)).toEqual(["c", "b", "e", "d", "a"]);
    expect(rows[0]!.id).toBe("a"); // the input is not reordered
  });

  it("labels and colours", () => {
    expect(["extra_urgent", "urgent", "normal"].map(urgencyLabel)).toEqual(["特急", "加急", "平件"]);
    expect(urgencyTagType("extra_urgent")).toBe("danger");
    expect(urgencyTagType("urgent")).toBe("warning");
    expect(urgencyTagType("normal")).toBe("info");
  });
});
