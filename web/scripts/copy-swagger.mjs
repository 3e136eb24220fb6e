// Copy Swagger UI's script and style from npm's swagger-ui-dist into dist/swagger-ui/:
// the gateway's /docs loads them from there (no CDN on a closed government network).
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const from = join(web, "node_modules", "swagger-ui-dist");
const to = join(web, "dist", "swagger-ui");
mkdirSync(to, { recursive: true });
for (const name of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
  copyFileSync(join(from, name), join(to, name));
}
console.log("swagger-ui assets → dist/swagger-ui/");
