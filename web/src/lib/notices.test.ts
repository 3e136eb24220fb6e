import { describe, expect, it } from "vitest";
import { ApiError } from "./errors";
import {
  composeRefusal,
  countsShort,
  deliveryTag,
  minutesText,
  missingCount,
  noticeMessage,
  receiptStatusLabel,
  shanghaiInstant,
  shortTime,
} from "./notices";
import { ownAndBelow } from "./recipients";

describe("notices", () => {
  it("labels a recipient's status, without 未回执 when no reply is asked", () => {
    expect(receiptStatusLabel("unread")).toBe("未读");
    expect(receiptStatusLabel("read")).toBe("已读未回执");
    expect(receiptStatusLabel("read", false)).toBe("已读");
    expect(receiptStatusLabel("replied")).toBe("已回执");
  });

  it("counts as the sender reads them", () => {
    const counts = { total: 5, unread: 2, read: 1, replied: 2 };
    expect(countsShort(counts, true)).toBe("已回执 2/5");
    expect(countsShort({ total: 5, unread: 2, read: 3, replied: 0 }, false)).toBe("已读 3/5");
    expect(countsShort(null, true)).toBe("—");
    expect(missingCount(counts, true)).toBe(3);
    expect(missingCount(counts, false)).toBe(2);
  });

  it("turns the picker's Shanghai wall time into an instant", () => {
    expect(shanghaiInstant("2026-12-10 18:00:00")).toBe("2026-12-10T18:00:00+08:00");
    expect(shanghaiInstant("2026-12-10 08:30")).toBe("2026-12-10T08:30:00+08:00");
    expect(Date.parse(shanghaiInstant("2026-12-10 08:00:00")!)).toBe(Date.parse("2026-12-10T00:00:00Z"));
    expect(shanghaiInstant("")).toBeNull();
    expect(shanghaiInstant(null)).toBeNull();
    expect(shanghaiInstant("tomorrow")).toBeNull();
  });

  it("writes a time short, in Shanghai", () => {
    const now = new Date("2026-12-03T04:00:00Z");
    expect(shortTime("2026-12-03T01:30:00Z", now)).toBe("12-03 09:30");
    expect(shortTime("2025-12-31T20:00:00Z", now)).toBe("01-01 04:00");
    expect(shortTime("2024-05-01T00:00:00Z", now)).toBe("2024-05-01 08:00");
    expect(shortTime(null, now)).toBe("—");
  });

  it("says how long before the unread SMS", () => {
    expect(minutesText(120)).toBe("2 小时");
    expect(minutesText(90)).toBe("90 分钟");
    expect(minutesText(1440)).toBe("1 天");
  });

  it("shows each channel's delivery as a tag, the reason of a failure on hover", () => {
    expect(deliveryTag({ channel: "email", status: "sent", attempts: 1 })).toMatchObject({ text: "邮件已发送", type: "success" });
    const failed = deliveryTag({ channel: "sms", status: "failed", attempts: 10, last_error: "isv.MOBILE_NUMBER_ILLEGAL" });
    expect(failed).toMatchObject({ text: "短信发送失败", type: "danger" });
    expect(failed.hint).toContain("isv.MOBILE_NUMBER_ILLEGAL");
    expect(failed.hint).toContain("10 次");
    expect(deliveryTag({ channel: "sms", status: "scheduled", attempts: 0 }).text).toBe("短信等待中");
    expect(deliveryTag({ channel: "sms", status: "queued", attempts: 2, last_error: "timeout" })).toMatchObject({ text: "短信等待中", type: "warning" });
    expect(deliveryTag({ channel: "sms", status: "dropped", attempts: 0 }).text).toBe("短信未发送");
    // read already: the waiting text will not go
    expect(deliveryTag({ channel: "sms", status: "scheduled", attempts: 0 }, true).text).toBe("短信无需发送");
    expect(deliveryTag({ channel: "sms", status: "sent", attempts: 1 }, true).text).toBe("短信已发送");
  });

  it("puts a refusal next to what it is about, in Chinese", () => {
    expect(composeRefusal(new ApiError(422, "no_recipients", "name at least one unit or person to send it to"))).toEqual({
      slot: "recipients",
      message: "请选择接收单位或人员",
    });
    expect(noticeMessage(new ApiError(422, "no_recipients", "nobody active is in the units named"))).toBe("所选单位中没有在职人员，请重新选择接收单位或人员");
    expect(composeRefusal(new ApiError(422, "duplicate_field", "field 人数 is defined twice"))).toEqual({ slot: "form", message: "回执字段名称重复" });
    expect(composeRefusal(new ApiError(422, "select_without_options", "x")).message).toBe("单选字段需要选项");
    expect(composeRefusal(new ApiError(422, "deadline_passed", "the reply deadline is already over"))).toEqual({
      slot: "deadline",
      message: "截止时间已过，请重新选择回执截止时间",
    });
    expect(noticeMessage(new ApiError(409, "deadline_passed", "the reply deadline is over: replies are closed"))).toBe("回执已截止，不能再提交或修改");
    expect(composeRefusal(new ApiError(500, "boom", "the server's own words"))).toEqual({ slot: "general", message: "the server's own words" });
    expect(noticeMessage(new ApiError(503, "broker_unavailable", "x", "req-1"))).toContain("请求编号 req-1");
  });

  it("offers one's own tenant and those below it", () => {
    const tenants = [
      { id: "p", code: "gz", name: "贵州省", parent_id: null },
      { id: "c1", code: "gz-gy", name: "贵阳市", parent_id: "p" },
      { id: "d1", code: "gz-gy-yy", name: "云岩区", parent_id: "c1" },
      { id: "c2", code: "gz-qdn", name: "黔东南州", parent_id: "p" },
      { id: "x", code: "yn", name: "云南省", parent_id: null },
    ];
    expect(ownAndBelow(tenants, "gz").map((t) => t.code)).toEqual(["gz", "gz-gy", "gz-gy-yy", "gz-qdn"]);
    expect(ownAndBelow(tenants, "gz-gy").map((t) => t.code)).toEqual(["gz-gy", "gz-gy-yy"]);
    expect(ownAndBelow(tenants, "yn").map((t) => t.code)).toEqual(["yn"]);
    expect(ownAndBelow(tenants, "nowhere")).toEqual([]);
  });
});
