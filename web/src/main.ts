import { createApp } from "vue";
import { createPinia } from "pinia";
import ElementPlus from "element-plus";
import zhCn from "element-plus/es/locale/lang/zh-cn";
import "element-plus/dist/index.css";
import "./style.css";
import App from "./App.vue";
import { router } from "./router";
import { setSessionExpiredHandler } from "./api/client";
import { useSession } from "./stores/session";

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);
app.use(router);
app.use(ElementPlus, { locale: zhCn });

setSessionExpiredHandler(() => {
  const session = useSession(pinia);
  if (router.currentRoute.value.name === "login") return;
  session.expire();
  void router.push({ name: "login", query: { redirect: router.currentRoute.value.fullPath } });
});

// After a new build is deployed, a page opened before it may ask for chunks that are
// gone: go to the page asked for by loading it anew (once, not in a loop).
router.onError((error, to) => {
  const missingChunk = /dynamically imported module|Importing a module script failed|preload CSS/i;
  const last = Number(sessionStorage.getItem("gongwen.reloaded-at") ?? 0);
  if (missingChunk.test(String(error)) && Date.now() - last > 10_000) {
    sessionStorage.setItem("gongwen.reloaded-at", String(Date.now()));
    window.location.assign(to.fullPath);
  }
});

app.mount("#app");
