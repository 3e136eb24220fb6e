import { defineConfig } from "vite";
import vue from "@vitejs/plugin-vue";

// The gateway serves dist/ at / (same origin as /api/v1); `npm run dev` proxies the API
// to a gateway started by `make run`.
export default defineConfig({
  plugins: [vue()],
  build: {
    outDir: "dist",
    emptyOutDir: false, // scripts/after-build.mjs prunes chunks of earlier builds
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
