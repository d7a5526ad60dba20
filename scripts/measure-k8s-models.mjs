// Measures what kubernetes-models costs the CLI: bundle bytes, cold start of `sbx --version`,
// and the first schema validation, for each way of bundling it. Prints a Markdown table.
// Usage: node scripts/measure-k8s-models.mjs [runs]   (NODE_EXTRA_CA_CERTS is dropped: see libs-notes)
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { build } from "esbuild";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const runs = Number(process.argv[2] ?? 15);
const out = fs.mkdtempSync(path.join(os.tmpdir(), "sbx-k8s-measure-"));
const banner = "import { createRequire as __sbxCreateRequire } from 'node:module'; const require = __sbxCreateRequire(import.meta.url); import { fileURLToPath as __sbxFileURLToPath } from 'node:url'; const __filename = __sbxFileURLToPath(import.meta.url); const __dirname = __filename.replace(/[/][^/]*$/, '');";
execFileSync(process.execPath, [path.join(root, "scripts/gen-validators.mjs")], { stdio: "ignore" });

const main = path.join(root, "src/cli/main.ts");
const validate = path.join(root, "src/compile/kubernetes/validate.ts");
const KINDS = ["v1/Namespace", "v1/ConfigMap", "v1/Secret", "v1/PersistentVolumeClaim", "v1/Service", "apps/v1/Deployment", "v1/Pod"];
// One manifest per kind, so the first validation loads every model sbx uses.
const sample = JSON.stringify(
  KINDS.map((k) => ({
    manifest: { apiVersion: k.startsWith("apps") ? "apps/v1" : "v1", kind: k.split("/").pop(), metadata: { name: "x", namespace: "n" }, ...(k.endsWith("Deployment") ? { spec: { selector: {}, template: { spec: { containers: [{ name: "c", image: "i" }] } } } } : k.endsWith("Pod") ? { spec: { containers: [{ name: "c", image: "i" }] } } : {}) },
    address: "a",
    type: "k8s.pod",
    owned: true,
  })),
);
const cliEntry = (extra) => `${extra}\nimport ${JSON.stringify(main)};\n`;
const valEntry = `import { validateManifests } from ${JSON.stringify(validate)};\nconst t0 = performance.now();\nconst d = await validateManifests(${sample});\nconsole.log(JSON.stringify({ ms: performance.now() - t0, diags: d.length }));\n`;

async function bundle(name, contents, opts = {}) {
  const outfile = path.join(out, name, "entry.mjs");
  const res = await build({
    metafile: true,
    stdin: { contents, resolveDir: root, loader: "ts", sourcefile: `${name}.ts` },
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    banner: { js: banner },
    logLevel: "silent",
    legalComments: "none",
    ...(opts.splitting ? { splitting: true, outdir: path.dirname(outfile), entryNames: "entry", outExtension: { ".js": ".mjs" } } : { outfile }),
    ...(opts.external ? { external: opts.external } : {}),
  });
  // Resolve externals from the project's node_modules.
  fs.symlinkSync(path.join(root, "node_modules"), path.join(out, name, "node_modules"));
  const files = fs.readdirSync(path.dirname(outfile)).filter((f) => f.endsWith(".mjs"));
  const total = files.reduce((n, f) => n + fs.statSync(path.join(path.dirname(outfile), f)).size, 0);
  // Bytes read at start: the entry and every chunk it imports statically (not import()).
  const outs = res.metafile.outputs;
  const key = (f) => Object.keys(outs).find((k) => path.resolve(root, k) === path.resolve(f) || path.resolve(k) === path.resolve(f));
  const seen = new Set();
  const walk = (k) => {
    if (!k || seen.has(k)) return;
    seen.add(k);
    for (const im of outs[k].imports) if (im.kind === "import-statement" && !im.external) walk(key(im.path) ?? im.path);
  };
  walk(key(outfile));
  const startBytes = [...seen].reduce((n, k) => n + outs[k].bytes, 0);
  return { outfile, entryBytes: startBytes, totalBytes: total };
}

const env = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
// Preload that reports the process's own CPU time at exit (less disturbed by a busy machine).
const cpuProbe = path.join(out, "cpu-probe.mjs");
fs.writeFileSync(cpuProbe, 'process.on("exit", () => { const u = process.cpuUsage(); process.stderr.write(`\\nCPU ${(u.user + u.system) / 1000}\\n`); });\n');
/** One `--version` run: wall-clock ms and CPU ms. */
function once(file) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["--import", cpuProbe, file, "--version"], { env, encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0) throw new Error(`${file}: ${r.stderr}`);
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  return { wall, cpu: Number(/CPU ([\d.]+)/.exec(r.stderr)?.[1] ?? NaN) };
}
function firstValidation(file) {
  const ms = [];
  for (let i = 0; i < Math.max(5, Math.floor(runs / 2)); i++) {
    const r = spawnSync(process.execPath, [file], { env, encoding: "utf8", timeout: 30_000 });
    if (r.status !== 0) throw new Error(`${file}: ${r.stderr}`);
    const j = JSON.parse(r.stdout.trim());
    if (j.diags !== 0) throw new Error(`sample manifests did not validate: ${r.stdout}`);
    ms.push(j.ms);
  }
  return median(ms);
}

const eagerImports = KINDS.map((k, i) => `import * as __m${i} from "kubernetes-models/${k}"; globalThis.__m${i} = __m${i};`).join("\n");
const variants = [
  ["sbx today (no kubernetes backend)", cliEntry(""), {}, null],
  ["eager: models imported at start", cliEntry(eagerImports), {}, null],
  ["lazy import(), one-file bundle (inlined)", cliEntry(`import { validateManifests } from ${JSON.stringify(validate)}; globalThis.__v = validateManifests;`), {}, valEntry],
  ["lazy import(), esbuild splitting (own chunks)", cliEntry(`import { validateManifests } from ${JSON.stringify(validate)}; globalThis.__v = validateManifests;`), { splitting: true }, valEntry],
  ["lazy import(), kubernetes-models external", cliEntry(`import { validateManifests } from ${JSON.stringify(validate)}; globalThis.__v = validateManifests;`), { external: ["kubernetes-models"] }, valEntry],
];

const built = [];
let i = 0;
for (const [label, entry, opts, val] of variants) {
  const b = await bundle(`v${i}`, entry, opts);
  const vb = val ? await bundle(`v${i}-validate`, val, opts) : undefined;
  built.push({ label, b, vb, times: [] });
  i++;
}
// Round-robin, so a busy machine slows every variant alike; two warm-up rounds are dropped.
for (let r = 0; r < runs + 2; r++) for (const v of built) { const t = once(v.b.outfile); if (r >= 2) v.times.push(t); }
const rows = built.map((v) => {
  const first = v.vb ? `${firstValidation(v.vb.outfile).toFixed(0)} ms` : "n/a";
  const wall = v.times.map((t) => t.wall);
  const cpu = v.times.map((t) => t.cpu);
  return `| ${v.label} | ${(v.b.entryBytes / 1024).toFixed(0)} KiB | ${(v.b.totalBytes / 1024).toFixed(0)} KiB | ${Math.min(...wall).toFixed(0)} ms / ${median(wall).toFixed(0)} ms | ${median(cpu).toFixed(0)} ms | ${first} |`;
});
console.log(`node ${process.version}, ${os.cpus().length} CPUs, median of ${runs} runs (cold start) / ${Math.max(5, Math.floor(runs / 2))} runs (validation)\n`);
console.log("| variant | bytes loaded at start | all files | `sbx --version` wall, min / median | CPU, median | first validation of 7 kinds (median) |");
console.log("|---|---|---|---|---|---|");
for (const r of rows) console.log(r);
fs.rmSync(out, { recursive: true, force: true });
