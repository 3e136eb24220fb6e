import { describe, expect, it } from "vitest";
import { describeDeadline, formatDeadline, lastDayOf, shanghaiDate, workingDaysLeft, weekdayOnly } from "./deadline";

// 2026-11-23 is a Monday. A deadline is 24:00 Shanghai of the last working day,
// i.e. 16:00 UTC of that day.
const dueThursday = "2026-11-26T16:00:00Z"; // end of Thu 26 Nov, Shanghai
const at = (iso: string) => new Date(iso);

describe("working days left", () => {
  it("counts the working days after today up to the last day", () => {
    expect(workingDaysLeft("2026-11-23", "2026-11-26", weekdayOnly)).toBe(3);
    expect(describeDeadline(dueThursday, at("2026-11-23T02:00:00Z")).text).toBe("剩 3 个工作日");
    expect(describeDeadline(dueThursday, at("2026-11-25T02:00:00Z")).text).toBe("剩 1 个工作日");
  });

  it("skips weekends and the calendar's holidays, counts its make-up working days", () => {
    // distributed Wed 30 Sep 2026: due at the end of Sat 10 Oct (1–7 Oct holidays, 10 Oct 调休)
    const holidays = new Set(["2026-10-01", "2026-10-02", "2026-10-05", "2026-10-06", "2026-10-07"]);
    const makeup = new Set(["2026-10-10"]);
    const isWorking = (d: string) => makeup.has(d) || (weekdayOnly(d) && !holidays.has(d));
    expect(workingDaysLeft("2026-09-30", "2026-10-10", isWorking)).toBe(3);
    const view = describeDeadline("2026-10-10T16:00:00Z", at("2026-09-30T03:00:00Z"), isWorking);
    expect(view).toEqual({ text: "剩 3 个工作日", overdue: false, soon: false });
  });

  it("reads 今日到期 on the last day, in Shanghai time", () => {
    // 23:30 Shanghai on Thu 26 Nov is 15:30 UTC
    expect(describeDeadline(dueThursday, at("2026-11-26T15:30:00Z"))).toEqual({ text: "今日到期", overdue: false, soon: true });
    expect(shanghaiDate(at("2026-11-26T16:30:00Z"))).toBe("2026-11-27");
    expect(lastDayOf(dueThursday)).toBe("2026-11-26");
  });

  it("reads 超期 N 天 past the deadline or when the server marked it", () => {
    expect(describeDeadline(dueThursday, at("2026-11-27T01:00:00Z")).text).toBe("超期 1 天");
    expect(describeDeadline(dueThursday, at("2026-11-30T01:00:00Z")).text).toBe("超期 4 天");
    expect(describeDeadline(dueThursday, at("2026-11-26T15:59:00Z"), weekdayOnly, true).overdue).toBe(true);
  });

  it("has no time limit without a deadline, and prints deadlines as 24:00", () => {
    expect(describeDeadline(null, at("2026-11-23T00:00:00Z")).text).toBe("无时限");
    expect(formatDeadline(dueThursday)).toBe("2026-11-26 24:00");
  });
});
