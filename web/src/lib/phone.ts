import { onBeforeUnmount, ref, type Ref } from "vue";

export const PHONE_MAX_WIDTH = 767;

/** True while the window is phone-wide (the side menu becomes a drawer). */
export function usePhone(): Ref<boolean> {
  const query = window.matchMedia(`(max-width: ${PHONE_MAX_WIDTH}px)`);
  const phone = ref(query.matches);
  const update = () => (phone.value = query.matches);
  query.addEventListener("change", update);
  onBeforeUnmount(() => query.removeEventListener("change", update));
  return phone;
}
