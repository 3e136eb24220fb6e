import { describe, expect, it } from "vitest";
import { recipientLabel, recipientsBody, tenantsOwnFirst, withTenantChoice, type PickedRecipient } from "./recipients";

const own = (unit_id: string, unit_name: string): PickedRecipient => ({ tenant_code: "gz", tenant_name: "贵州省", unit_id, unit_name, own_tenant: true });
const gy = (unit_id: string, unit_name: string): PickedRecipient => ({ tenant_code: "gz-gy", tenant_name: "贵阳市", unit_id, unit_name, own_tenant: false });

describe("recipients", () => {
  it("puts one's own tenant first", () => {
    const tenants = [
      { id: "1", code: "gz", name: "贵州省" },
      { id: "2", code: "gz-gy", name: "贵阳市" },
      { id: "3", code: "gz-qdn", name: "黔东南州" },
    ];
    expect(tenantsOwnFirst(tenants, "gz-gy").map((t) => t.code)).toEqual(["gz-gy", "gz", "gz-qdn"]);
    expect(tenantsOwnFirst(tenants, null).map((t) => t.code)).toEqual(["gz", "gz-gy", "gz-qdn"]);
  });

  it("labels a recipient with its tenant", () => {
    expect(recipientLabel(gy("u1", "文书处"))).toBe("贵阳市 · 文书处");
  });

  it("keeps the other tenants' recipients when choosing the units of one", () => {
    const book = new Map([gy("u2", "文书处"), gy("u3", "办公室")].map((r) => [r.unit_id, r]));
    const picked = [own("u1", "省水利厅"), gy("u2", "文书处")];
    const after = withTenantChoice(picked, "gz-gy", ["u2", "u3"], (id) => book.get(id));
    expect(after.map((r) => r.unit_id)).toEqual(["u1", "u2", "u3"]);
    expect(withTenantChoice(after, "gz-gy", ["u3"], (id) => book.get(id)).map((r) => r.unit_id)).toEqual(["u1", "u3"]);
    expect(withTenantChoice(after, "gz", [], () => undefined).map((r) => r.unit_id)).toEqual(["u2", "u3"]);
  });

  it("sends other tenants' units with their code, one's own without, each once", () => {
    expect(recipientsBody([own("u1", "省水利厅"), gy("u2", "文书处"), gy("u2", "文书处")])).toEqual([
      { unit_id: "u1" },
      { tenant_code: "gz-gy", unit_id: "u2" },
    ]);
  });
});
