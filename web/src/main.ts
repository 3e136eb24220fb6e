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

app.mount("#app");
