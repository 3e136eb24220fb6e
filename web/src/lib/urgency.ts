/** 缓急 (urgency): labels, tag colours and the order of lists (特急, 加急, 平件). */

export type Urgency = "extra_urgent" | "urgent" | "normal";

export const URGENCY_LABELS: Record<Urgency, string> = {
  extra_urgent: "特急",
  urgent: "加急",
  normal: "平件",
};

const RANK: Record<Urgency, number> = { extra_urgent: 0, urgent: 1, normal: 2 };

export function urgencyLabel(urgency: string): string {
  return URGENCY_LABELS[urgency as Urgency] ?? urgency;
}

/** Element Plus tag type of an urgency: 特急 red, 加急 orange, 平件 grey. */
export function urgencyTagType(urgency: string): "danger" | "warning" | "info" {
  if (urgency === "extra_urgent") return "danger";
  if (urgency === "urgent") return "warning";
  return "info";
}

export function urgencyRank(urgency: string): number {
  return RANK[urgency as Urgency] ?? RANK.normal;
}

/** Most urgent first (特急, 加急, 平件), then the newest: the order of the to-do list. */
export function byUrgency<T extends { urgency: string; created_at?: string }>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => {
    const rank = urgencyRank(a.urgency) - urgencyRank(b.urgency);
    if (rank !== 0) return rank;
    return (b.created_at ?? "").localeCompare(a.created_at ?? "");
  });
}
