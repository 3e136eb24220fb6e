/** Recipients picked from the address book (通讯录) for 转办 and 发送: the pure parts. */

export interface AddressTenant {
  id: string;
  code: string;
  name: string;
  parent_id?: string | null;
}

/** A unit of the address book picked as a recipient (its registry receives it). */
export interface PickedRecipient {
  tenant_code: string;
  tenant_name: string;
  unit_id: string;
  unit_name: string;
  own_tenant: boolean;
}

/** The tenants in the picker: one's own first, then the platform's in tree order. */
export function tenantsOwnFirst<T extends AddressTenant>(tenants: readonly T[], ownCode: string | null | undefined): T[] {
  const own = tenants.filter((t) => t.code === ownCode);
  return [...own, ...tenants.filter((t) => t.code !== ownCode)];
}

/** 「贵阳市 · 文书处」: the tag of a picked recipient. */
export function recipientLabel(r: { tenant_name: string; unit_name: string }): string {
  return `${r.tenant_name} · ${r.unit_name}`;
}

/** The picked recipients after choosing ``unitIds`` among the units of ``tenantCode``:
 * those of other tenants stay, this tenant's are the ones chosen (in the order picked). */
export function withTenantChoice(
  picked: readonly PickedRecipient[],
  tenantCode: string,
  unitIds: readonly string[],
  known: (unitId: string) => PickedRecipient | undefined,
): PickedRecipient[] {
  const others = picked.filter((r) => r.tenant_code !== tenantCode);
  const mine = picked.filter((r) => r.tenant_code === tenantCode && unitIds.includes(r.unit_id));
  const added = unitIds
    .filter((id) => !mine.some((r) => r.unit_id === id))
    .map(known)
    .filter((r): r is PickedRecipient => !!r && r.tenant_code === tenantCode);
  return [...others, ...mine, ...added];
}

/** What the API takes: the tenant by its code (none for one's own), each unit once. */
export function recipientsBody(picked: readonly PickedRecipient[]): { tenant_code?: string; unit_id: string }[] {
  const seen = new Set<string>();
  const out: { tenant_code?: string; unit_id: string }[] = [];
  for (const r of picked) {
    const key = `${r.tenant_code}|${r.unit_id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r.own_tenant ? { unit_id: r.unit_id } : { tenant_code: r.tenant_code, unit_id: r.unit_id });
  }
  return out;
}

/** One's own tenant and the tenants below it (a province's cities), own first: where a
 * notice may go (a tenant above or beside is refused with `unknown_tenant`). */
export function ownAndBelow<T extends AddressTenant>(tenants: readonly T[], ownCode: string | null | undefined): T[] {
  const own = tenants.find((t) => t.code === ownCode);
  if (!own) return [];
  const byId = new Map(tenants.map((t) => [t.id, t]));
  const below = (t: T) => {
    const seen = new Set<string>();
    for (let p = t.parent_id ? byId.get(t.parent_id) : undefined; p && !seen.has(p.id); p = p.parent_id ? byId.get(p.parent_id) : undefined) {
      if (p.id === own.id) return true;
      seen.add(p.id);
    }
    return false;
  };
  return [own, ...tenants.filter((t) => t.id !== own.id && below(t))];
}
