// After `vite build`:
// 1. copy Swagger UI's script and style from npm's swagger-ui-dist into dist/swagger-ui/:
//    the gateway's /docs loads them from there (no CDN on a closed government network);
// 2. remove the chunks of earlier builds older than an hour. The build does not empty
//    dist/ (vite.config.ts: emptyOutDir false), so a page opened before a rebuild still
//    finds its chunks for a while and index.html is never missing.
import { copyFileSync, mkdirSync, readdirSync, statSync, unlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const from = join(web, "node_modules", "swagger-ui-dist");
const to = join(web, "dist", "swagger-ui");
mkdirSync(to, { recursive: true });
for (const name of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
  copyFileSync(join(from, name), join(to, name));
}

const assets = join(web, "dist", "assets");
const cutoff = Date.now() - 3600 * 1000;
let pruned = 0;
for (const name of readdirSync(assets)) {
  const path = join(assets, name);
  if (statSync(path).mtimeMs < cutoff) {
    unlinkSync(path);
    pruned += 1;
  }
}
console.log(`swagger-ui assets → dist/swagger-ui/; ${pruned} chunk(s) of earlier builds removed`);
