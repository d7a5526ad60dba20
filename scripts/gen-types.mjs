// Generates TypeScript types from schemas/ (the schemas are the source of truth).
// `node scripts/gen-types.mjs --check` fails when the committed types are stale.
import { readFileSync, writeFileSync } from "node:fs";
import { compile } from "json-schema-to-typescript";

const check = process.argv.includes("--check");
let stale = 0;
for (const name of ["infra", "agent", "profile"]) {
  const schema = JSON.parse(readFileSync(new URL(`../schemas/${name}.schema.json`, import.meta.url), "utf8"));
  const ts = await compile(schema, schema.title, {
    bannerComment: `// Generated from schemas/${name}.schema.json by scripts/gen-types.mjs. Do not edit.`,
    additionalProperties: false,
    strictIndexSignatures: true,
    unreachableDefinitions: false,
    format: true,
  });
  const out = new URL(`../src/compile/generated/${name}.d.ts`, import.meta.url);
  if (check) {
    let cur = "";
    try { cur = readFileSync(out, "utf8"); } catch { cur = ""; }
    if (cur !== ts) { console.error(`stale: src/compile/generated/${name}.d.ts (run npm run gen-types)`); stale++; }
  } else writeFileSync(out, ts);
}
if (stale) process.exit(1);
console.log(check ? "types are fresh" : "types generated");
