/** The org tree (GET /org-units, ordered by path) as nested nodes for el-tree and
 * el-tree-select, and the kinds a unit may contain. */
import type { Schemas } from "../../api/client";

export type OrgUnit = Schemas["OrgUnitOut"];
export type OrgKind = Schemas["OrgUnitKind"];

export interface OrgNode {
  id: string;
  label: string;
  unit: OrgUnit;
  children: OrgNode[];
  disabled?: boolean;
}

export const KIND_LABELS: Record<OrgKind, string> = { unit: "单位", division: "处室", section: "科室" };

/** A unit contains units and divisions, a division sections, a section sections. */
export const CHILD_KINDS: Record<OrgKind, OrgKind[]> = {
  unit: ["division", "unit"],
  division: ["section"],
  section: ["section"],
};

export function buildTree(units: OrgUnit[], disabledUnder?: string): OrgNode[] {
  const nodes = new Map<string, OrgNode>();
  for (const unit of units) nodes.set(unit.id, { id: unit.id, label: unit.name, unit, children: [] });
  const roots: OrgNode[] = [];
  for (const unit of units) {
    const node = nodes.get(unit.id)!;
    if (disabledUnder && (unit.id === disabledUnder || unit.path.split("/").includes(disabledUnder))) {
      node.disabled = true;
    }
    const parent = unit.parent_id ? nodes.get(unit.parent_id) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

/** Whether `candidate` may contain a unit of `kind`. */
export function mayContain(candidate: OrgUnit, kind: OrgKind): boolean {
  return CHILD_KINDS[candidate.kind].includes(kind);
}
