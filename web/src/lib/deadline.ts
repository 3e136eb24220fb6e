/**
 * Deadlines (DESIGN 4.3) as people read them: 「剩 2 个工作日」, 「今日到期」, 「超期 3 天」.
 *
 * A task's `due_at` is 24:00 Asia/Shanghai of its last working day. Working days left
 * are the working days after today up to and including that last day (the rule counts
 * from the day after distribution: on the day of distribution 3 are left). Which days
 * are working days comes from the tenant's calendar (GET /calendar/months/…); without
 * it, Monday to Friday.
 */

const SHANGHAI_OFFSET_MS = 8 * 3600 * 1000; // Asia/Shanghai has no daylight saving time
const DAY_MS = 24 * 3600 * 1000;

/** The Shanghai calendar date (YYYY-MM-DD) of an instant. */
export function shanghaiDate(instant: Date | number): string {
  const ms = typeof instant === "number" ? instant : instant.getTime();
  return new Date(ms + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
}

/** The last working day of a deadline: the Shanghai date of the moment before `due_at`. */
export function lastDayOf(dueAt: string): string {
  return shanghaiDate(Date.parse(dueAt) - 1);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(date + "T00:00:00Z") + days * DAY_MS).toISOString().slice(0, 10);
}

export function weekdayOnly(date: string): boolean {
  const day = new Date(date + "T00:00:00Z").getUTCDay();
  return day !== 0 && day !== 6;
}

export type IsWorkingDay = (date: string) => boolean;

/** Working days after `today` up to and including `lastDay` (0 when it is today or past). */
export function workingDaysLeft(today: string, lastDay: string, isWorking: IsWorkingDay): number {
  let count = 0;
  for (let day = addDays(today, 1); day <= lastDay; day = addDays(day, 1)) {
    if (isWorking(day)) count += 1;
  }
  return count;
}

/** Calendar days from `lastDay` to `today` (1 on the day after the last day). */
export function daysOverdue(today: string, lastDay: string): number {
  return Math.max(1, Math.round((Date.parse(today) - Date.parse(lastDay)) / DAY_MS));
}

export interface DeadlineView {
  text: string;
  overdue: boolean;
  /** 今日到期 or 1 working day left: shown in orange */
  soon: boolean;
}

/**
 * How a deadline reads at `now`. `overdueFlag` is the server's mark (routing's
 * scanner); a deadline already past reads as overdue even before the scanner ran.
 */
export function describeDeadline(
  dueAt: string | null | undefined,
  now: Date,
  isWorking: IsWorkingDay = weekdayOnly,
  overdueFlag = false,
): DeadlineView {
  if (!dueAt) return { text: "无时限", overdue: false, soon: false };
  const today = shanghaiDate(now);
  const lastDay = lastDayOf(dueAt);
  if (overdueFlag || now.getTime() >= Date.parse(dueAt)) {
    return { text: `超期 ${daysOverdue(today, lastDay)} 天`, overdue: true, soon: false };
  }
  if (lastDay <= today) return { text: "今日到期", overdue: false, soon: true };
  const left = workingDaysLeft(today, lastDay, isWorking);
  return { text: `剩 ${left} 个工作日`, overdue: false, soon: left <= 1 };
}

/** 2026-11-23 24:00 style (the end of the last working day), in Shanghai time. */
export function formatDeadline(dueAt: string | null | undefined): string {
  if (!dueAt) return "—";
  const ms = Date.parse(dueAt);
  const local = new Date(ms + SHANGHAI_OFFSET_MS).toISOString();
  if (local.slice(11, 16) === "00:00") return `${lastDayOf(dueAt)} 24:00`;
  return `${local.slice(0, 10)} ${local.slice(11, 16)}`;
}

/** A timestamp in Shanghai time, 2026-11-23 09:30. */
export function formatTime(value: string | null | undefined): string {
  if (!value) return "—";
  const local = new Date(Date.parse(value) + SHANGHAI_OFFSET_MS).toISOString();
  return `${local.slice(0, 10)} ${local.slice(11, 16)}`;
}
