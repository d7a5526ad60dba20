// Build: precompiled validators, then one esbuild bundle (dist/sbx.mjs).
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync } from "node:fs";
import { build } from "esbuild";

execFileSync(process.execPath, [new URL("./gen-validators.mjs", import.meta.url).pathname], { stdio: "inherit" });
await build({
  entryPoints: ["src/cli/main.ts"],
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  outfile: "dist/sbx.mjs",
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __sbxCreateRequire } from 'node:module'; const require = __sbxCreateRequire(import.meta.url); import { fileURLToPath as __sbxFileURLToPath } from 'node:url'; const __filename = __sbxFileURLToPath(import.meta.url); const __dirname = __filename.replace(/[/][^/]*$/, '');" },
  logLevel: "warning",
  legalComments: "none",
  define: { __SBX_VERSION__: JSON.stringify(JSON.parse(readFileSync("package.json", "utf8")).version) },
});
chmodSync("dist/sbx.mjs", 0o755);
console.error("built dist/sbx.mjs"); // stderr: keeps `npm pack --json` (prepack builds) parseable
