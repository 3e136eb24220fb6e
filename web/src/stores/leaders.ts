/** The tenant's leaders (厅领导 and 省政府领导) and the roles of people read, for 领导批示:
 * whether a leader's instructions are numbered by hand (省政府领导) or by the system. */
import { defineStore } from "pinia";
import { ref } from "vue";
import { api, unwrap, type Schemas } from "../api/client";
import { useDirectory } from "./directory";

export const useLeaders = defineStore("leaders", () => {
  const directory = useDirectory();
  const leaders = ref<Schemas["UserOut"][]>([]);
  const roles = ref<Record<string, string[]>>({});
  let loaded: Promise<Schemas["UserOut"][]> | null = null;
  const pending = new Map<string, Promise<void>>();

  function remember(list: Schemas["UserOut"][]) {
    for (const u of list) {
      roles.value[u.id] = [...u.roles];
      directory.people[u.id] = u.full_name;
    }
  }

  /** 省政府领导 first, then 厅领导 (read once; tried again after a failure). */
  function loadLeaders(): Promise<Schemas["UserOut"][]> {
    loaded ??= Promise.all(
      (["gov_leader", "office_leader"] as const).map((role) =>
        unwrap(api.GET("/api/v1/users", { params: { query: { role, limit: 200 } } })),
      ),
    )
      .then((pages) => {
        const seen = new Set<string>();
        leaders.value = pages.flatMap((p) => p.items).filter((u) => !seen.has(u.id) && !!seen.add(u.id));
        remember(leaders.value);
        return leaders.value;
      })
      .catch((exc) => {
        loaded = null;
        throw exc;
      });
    return loaded;
  }

  /** The roles of these people (best effort: one that cannot be read has none). */
  function loadRoles(ids: (string | null | undefined)[]): Promise<unknown> {
    const jobs = ids
      .filter((id): id is string => !!id && !(id in roles.value))
      .map((id) => {
        if (!pending.has(id)) {
          pending.set(
            id,
            unwrap(api.GET("/api/v1/users/{user_id}", { params: { path: { user_id: id } } }))
              .then((u) => remember([u]))
              .catch(() => {
                roles.value[id] = [];
              }),
          );
        }
        return pending.get(id)!;
      });
    return Promise.all(jobs);
  }

  const rolesOf = (id: string | null | undefined) => (id ? roles.value[id] ?? [] : []);
  return { leaders, loadLeaders, loadRoles, rolesOf };
});
