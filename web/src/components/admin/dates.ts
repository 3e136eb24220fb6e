/** Dates typed by an administrator (a year's holidays, 调休 days). */
import { addDays } from "../../lib/deadline";

/** Dates of a text: separated by lines, spaces or commas, or spans 「开始~结束」 (also
 * 「～」, 「至」); sorted, each once. Throws with the wrong ones named. */
export function parseDates(text: string): string[] {
  const out: string[] = [];
  const bad: string[] = [];
  const valid = (d: string) => /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(d + "T00:00:00Z"));
  for (const part of text.split(/[\s,，、;；]+/).filter(Boolean)) {
    const span = part.split(/~|～|至/);
    if (span.length === 2 && span[0] && span[1]) {
      if (!valid(span[0]) || !valid(span[1]) || span[1] < span[0] || span[1].slice(0, 4) !== span[0].slice(0, 4)) {
        bad.push(part);
        continue;
      }
      for (let d = span[0]; d <= span[1]; d = addDays(d, 1)) out.push(d);
    } else if (valid(part)) {
      out.push(part);
    } else {
      bad.push(part);
    }
  }
  if (bad.length) throw new Error(`日期格式应为 YYYY-MM-DD 或“开始~结束”：${bad.join("、")}`);
  return [...new Set(out)].sort();
}
