/** The tenant's working days (GET /calendar/months/{yyyy-mm}), cached per month; a month
 * not loaded (or not readable) counts Monday to Friday. */
import { defineStore } from "pinia";
import { ref } from "vue";
import { api, unwrap } from "../api/client";
import { addDays, lastDayOf, shanghaiDate, weekdayOnly } from "../lib/deadline";

export const useCalendar = defineStore("calendar", () => {
  const months = ref<Record<string, Record<string, boolean>>>({});

  function isWorking(date: string): boolean {
    const month = months.value[date.slice(0, 7)];
    const known = month?.[date];
    return known ?? weekdayOnly(date);
  }

  /** Load every month from today's to the latest of `dueAts`. */
  async function ensureFor(dueAts: (string | null | undefined)[], now: Date = new Date()) {
    const wanted = new Set<string>();
    const today = shanghaiDate(now);
    for (const due of dueAts) {
      if (!due) continue;
      const last = lastDayOf(due);
      for (let day = today.slice(0, 7) + "-01"; day.slice(0, 7) <= last.slice(0, 7); day = addDays(day, 28)) {
        wanted.add(day.slice(0, 7));
        if (wanted.size > 24) break;
      }
      wanted.add(last.slice(0, 7));
    }
    await Promise.all(
      [...wanted]
        .filter((m) => !(m in months.value))
        .map(async (m) => {
          try {
            const out = await unwrap(api.GET("/api/v1/calendar/months/{month}", { params: { path: { month: m } } }));
            months.value[m] = Object.fromEntries(out.days.map((d) => [d.date, d.working]));
          } catch {
            months.value[m] = {};
          }
        }),
    );
  }

  return { months, isWorking, ensureFor };
});
