// "Where the time goes": V8 CPU profiles (`node --cpu-prof`) of `sbx --version` and of a
// no-op `sbx plan` at N files, self time summed per bundled module (esbuild writes a
// `// node_modules/pkg/file.js` or `// src/dir/file.ts` comment where each module starts)
// and per function, averaged over the runs; plus the bundle's bytes per package.

import * as fs from "node:fs";
import * as path from "node:path";
import { measure } from "./proc.mjs";

/** Module boundaries of the bundle: sorted [{line, module}] (0-based lines, as V8 reports them). */
export function bundleMap(bundlePath) {
  const lines = fs.readFileSync(bundlePath, "utf8").split("\n");
  const map = [{ line: 0, module: "(esbuild helpers)", bytes: 0 }];
  lines.forEach((l, i) => {
    const m = /^\/\/ ((?:node_modules|src|schemas|scripts)\/\S+)$/.exec(l);
    if (m) map.push({ line: i, module: m[1], bytes: 0 });
    map[map.length - 1].bytes += l.length + 1;
  });
  return map;
}

function moduleAt(map, line) {
  let lo = 0;
  let hi = map.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (map[mid].line <= line) lo = mid;
    else hi = mid - 1;
  }
  return map[lo].module;
}

/** `node_modules/ajv/dist/core.js` → `ajv`; `src/compile/load.ts` stays as is. */
export function packageOf(module) {
  const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(module);
  return m ? m[1] : module.startsWith("src/") ? module : module.split("/")[0];
}

/** Every file of the bundle (the entry and its chunks, under the entry's directory) by file URL. */
function bundleMaps(bundlePath) {
  const dir = path.dirname(bundlePath);
  const maps = new Map();
  for (const f of fs.readdirSync(dir, { recursive: true })) if (String(f).endsWith(".mjs")) maps.set(`file://${path.join(dir, String(f))}`, bundleMap(path.join(dir, String(f))));
  return maps;
}

/** Where a profile node's self time belongs: a bundled module, a Node internal, or a V8 bucket. */
function place(frame, maps) {
  if (!frame.url) return frame.functionName.startsWith("(") ? frame.functionName : "(native)";
  const map = maps.get(frame.url);
  if (map) return moduleAt(map, frame.lineNumber);
  if (frame.url.startsWith("node:")) return frame.url.replace(/^node:internal\//, "node:internal/");
  return frame.url;
}

/** Self time (µs) per node id: each sample owns the time until the next one. */
function selfTimes(profile) {
  const self = new Map();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + dt);
  }
  return self;
}

export function summarise(profiles, bundlePath) {
  const maps = bundleMaps(bundlePath);
  const byModule = new Map();
  const byFunction = new Map();
  let total = 0;
  for (const p of profiles) {
    const self = selfTimes(p);
    for (const node of p.nodes) {
      const us = self.get(node.id) ?? 0;
      if (!us) continue;
      total += us;
      const where = place(node.callFrame, maps);
      byModule.set(where, (byModule.get(where) ?? 0) + us);
      const fn = `${node.callFrame.functionName || "(anonymous)"} — ${where}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ""}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    }
  }
  const per = (m) => [...m].map(([k, us]) => ({ name: k, ms: us / 1000 / profiles.length })).sort((a, b) => b.ms - a.ms);
  const byPackage = new Map();
  for (const [k, us] of byModule) {
    const pkg = k.startsWith("node_modules/") ? packageOf(k) : k;
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  }
  return { runs: profiles.length, totalMs: total / 1000 / profiles.length, modules: per(byModule), packages: per(byPackage), functions: per(byFunction) };
}

/** Bundle bytes per package (what every start parses). */
export function bundleBytes(bundlePath) {
  const sizes = new Map();
  for (const e of bundleMap(bundlePath)) {
    const k = packageOf(e.module);
    const key = k.startsWith("src/") ? "src (sbx itself)" : k;
    sizes.set(key, (sizes.get(key) ?? 0) + e.bytes);
  }
  return [...sizes].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
}

/** Run `node --cpu-prof … ARGS` `runs` times and summarise the profiles. */
export async function profileCommand({ sbx, args, cwd, env, runs, dir, timeoutMs, intervalUs = 250 }) {
  fs.mkdirSync(dir, { recursive: true });
  const walls = [];
  for (let i = 0; i < runs; i++) {
    const r = await measure({
      cmd: process.execPath,
      args: ["--cpu-prof", "--cpu-prof-dir", dir, "--cpu-prof-interval", String(intervalUs), sbx, ...args],
      cwd,
      env,
      log: path.join(dir, `run-${i}.log`),
      timeoutMs,
    });
    walls.push(r.ms);
  }
  const profiles = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")));
  if (profiles.length !== runs) throw new Error(`expected ${runs} CPU profiles in ${dir}, found ${profiles.length}`);
  return { args, walls, ...summarise(profiles, sbx) };
}
