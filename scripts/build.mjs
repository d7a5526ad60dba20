// Build: precompiled validators, then one esbuild bundle: dist/sbx.mjs, the entry, and the
// chunks it imports when a command runs (dist/chunks/), so `sbx --version` and `--help`
// parse the argument parser only (measured in bench/: 2.6 MB parsed on every start before).
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, rmSync } from "node:fs";
import { build } from "esbuild";

execFileSync(process.execPath, [new URL("./gen-validators.mjs", import.meta.url).pathname], { stdio: "inherit" });

// kubernetes-models (the Kubernetes API schemas, ~0.6 MB minified) is needed only to check
// Kubernetes manifests. It is bundled apart and carried inside the bundle as a string that the
// first check imports from a data: URL: 11 ms at the first check, against 45-60 ms as chunks
// (inlined as code, even behind import(), it cost every command ~19 ms of CPU; see docs/kubernetes.md).
// The models are the ones src/compile/kubernetes/validate.ts imports.
const validateTs = readFileSync(new URL("../src/compile/kubernetes/validate.ts", import.meta.url), "utf8");
const modelPaths = [...new Set([...validateTs.matchAll(/import\("(kubernetes-models\/[^"]+)"\)/g)].map((m) => m[1]))];
if (!modelPaths.length) throw new Error("build: no kubernetes-models imports found in validate.ts");
const modelName = (p) => p.split("/").pop();
const models = await build({
  stdin: { contents: modelPaths.map((p) => `export { ${modelName(p)} } from "${p}";`).join("\n"), resolveDir: process.cwd(), loader: "js" },
  bundle: true,
  platform: "node",
  target: "node20",
  format: "esm",
  minify: true,
  write: false,
  legalComments: "none",
  logLevel: "warning",
  // A data: module has no file of its own: builtins (punycode, for ajv) come through a require made here.
  banner: { js: "import { createRequire as __sbxCreateRequire } from 'node:module'; const require = __sbxCreateRequire('/');" },
});
const embedModels = {
  name: "embed-kubernetes-models",
  setup(b) {
    b.onResolve({ filter: /^kubernetes-models\// }, (a) => ({ path: a.path, namespace: "sbx-k8s-model" }));
    b.onResolve({ filter: /^sbx:kubernetes-models$/ }, () => ({ path: "all", namespace: "sbx-k8s-models" }));
    b.onLoad({ filter: /.*/, namespace: "sbx-k8s-models" }, () => ({
      contents: `const code = ${JSON.stringify(models.outputFiles[0].text)};\nlet loaded;\nexport const load = () => (loaded ??= import("data:text/javascript;base64," + Buffer.from(code).toString("base64")));\n`,
      loader: "js",
    }));
    b.onLoad({ filter: /.*/, namespace: "sbx-k8s-model" }, (a) => {
      if (!modelPaths.includes(a.path)) throw new Error(`build: ${a.path} is imported but not embedded`);
      return { contents: `import { load } from "sbx:kubernetes-models";\nexport const ${modelName(a.path)} = (await load()).${modelName(a.path)};\n`, loader: "js", resolveDir: process.cwd() };
    });
  },
};

// Chunks are named by content hash: the ones of an earlier build would linger.
rmSync("dist", { recursive: true, force: true });
await build({
  entryPoints: { sbx: "src/cli/main.ts" },
  bundle: true,
  splitting: true,
  platform: "node",
  target: "node20",
  format: "esm",
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  chunkNames: "chunks/[name]-[hash]",
  plugins: [embedModels],
  banner: { js: "#!/usr/bin/env node\nimport { createRequire as __sbxCreateRequire } from 'node:module'; const require = __sbxCreateRequire(import.meta.url); import { fileURLToPath as __sbxFileURLToPath } from 'node:url'; const __filename = __sbxFileURLToPath(import.meta.url); const __dirname = __filename.replace(/[/][^/]*$/, '');" },
  logLevel: "warning",
  legalComments: "none",
  define: { __SBX_VERSION__: JSON.stringify(JSON.parse(readFileSync("package.json", "utf8")).version) },
});
chmodSync("dist/sbx.mjs", 0o755);
console.error("built dist/sbx.mjs"); // stderr: keeps `npm pack --json` (prepack builds) parseable
