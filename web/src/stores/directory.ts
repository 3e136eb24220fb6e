/** Names of org units and people, for ids in records (best effort: an id that cannot be
 * read shows as 「—」). */
import { defineStore } from "pinia";
import { ref } from "vue";
import { api, unwrap } from "../api/client";

export const useDirectory = defineStore("directory", () => {
  const units = ref<Record<string, string>>({});
  const people = ref<Record<string, string>>({});
  let unitsLoaded: Promise<void> | null = null;
  const pending = new Map<string, Promise<void>>();

  function loadUnits(): Promise<void> {
    unitsLoaded ??= unwrap(api.GET("/api/v1/org-units"))
      .then((list) => {
        units.value = Object.fromEntries(list.map((u) => [u.id, u.name]));
      })
      .catch(() => undefined);
    return unitsLoaded;
  }

  function loadPeople(ids: (string | null | undefined)[]): Promise<unknown> {
    const jobs = ids
      .filter((id): id is string => !!id && !(id in people.value))
      .map((id) => {
        if (!pending.has(id)) {
          pending.set(
            id,
            unwrap(api.GET("/api/v1/users/{user_id}", { params: { path: { user_id: id } } }))
              .then((u) => {
                people.value[id] = u.full_name;
              })
              .catch(() => {
                people.value[id] = "—";
              }),
          );
        }
        return pending.get(id)!;
      });
    return Promise.all(jobs);
  }

  const unitName = (id: string | null | undefined) => (id ? units.value[id] ?? "—" : "—");
  const personName = (id: string | null | undefined) => (id ? people.value[id] ?? "…" : "—");
  return { units, people, loadUnits, loadPeople, unitName, personName };
});
