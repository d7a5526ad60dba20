// The profile part of the bench: `sbx --version`, and a no-op `sbx plan` on an applied
// N = 1,000 files workload, each under `node --cpu-prof`.

import * as fs from "node:fs";
import * as path from "node:path";
import { killProcessesUnder, onCleanup } from "./cleanup.mjs";
import { measure } from "./proc.mjs";
import { bundleBytes, profileCommand } from "./profile.mjs";
import { filesWorkload } from "./workloads.mjs";

const INTERVAL_US = 250;
const PLAN_N = 1000;

/** A few facts worth a sentence, computed from the profiles (never hand-written). */
function notes(version, plan) {
  const fn = (p, re) => p.functions.filter((x) => re.test(x.name)).reduce((a, x) => a + x.ms, 0);
  const pkg = (p, re) => p.packages.filter((x) => re.test(x.name)).reduce((a, x) => a + x.ms, 0);
  const pct = (x, p) => `${Math.round((100 * x) / p.totalMs)} %`;
  const out = [];
  const compile = fn(version, /^compileSourceTextModule /);
  out.push(`\`sbx --version\`: V8 compiling the bundle (\`compileSourceTextModule\`) takes ${compile.toFixed(1)} ms (${pct(compile, version)} of sampled time); the rest of Node's bootstrap and ESM loader (\`node:*\`) ${(pkg(version, /^node:/) - compile).toFixed(1)} ms; top-level code of bundled packages ${pkg(version, /^(?!node:|src\/|\(|schemas)/).toFixed(1)} ms; sbx's own modules ${pkg(version, /^src\//).toFixed(1)} ms; garbage collection ${pkg(version, /^\(garbage collector\)$/).toFixed(1)} ms.`);
  const gc = pkg(plan, /^\(garbage collector\)$/);
  const src = plan.packages.filter((x) => x.name.startsWith("src/")).slice(0, 3);
  out.push(`No-op \`sbx plan\` at N = ${PLAN_N.toLocaleString("en")}: garbage collection ${gc.toFixed(1)} ms (${pct(gc, plan)}); the busiest sbx modules are ${src.map((x) => `\`${x.name}\` ${x.ms.toFixed(1)} ms`).join(", ")}.`);
  return out;
}

export async function profileSection(ctx) {
  const { sbx, env, root, logs, timeoutMs } = ctx;
  const dir = path.join(root, "profiles");
  const version = await profileCommand({ sbx, args: ["--version"], cwd: root, env, runs: 10, dir: path.join(dir, "version"), timeoutMs, intervalUs: INTERVAL_US });
  const w = filesWorkload(path.join(root, "profile-workload"), PLAN_N);
  const wEnv = { ...env, SBX_HOME: w.home };
  const down = () => measure({ cmd: process.execPath, args: [sbx, "destroy", "--auto-approve", "--force", "--lock-timeout", "30s"], cwd: w.wt, env: wEnv, log: path.join(logs, "profile-destroy.log"), timeoutMs, cleanup: true });
  const undo = onCleanup("profile workload", async () => {
    await down();
    killProcessesUnder(w.dir);
  });
  await measure({ cmd: process.execPath, args: [sbx, "apply", "--auto-approve"], cwd: w.wt, env: wEnv, log: path.join(logs, "profile-apply.log"), timeoutMs });
  const plan = await profileCommand({ sbx, args: ["plan"], cwd: w.wt, env: wEnv, runs: 3, dir: path.join(dir, "plan"), timeoutMs, intervalUs: INTERVAL_US });
  for (const f of fs.readdirSync(path.join(dir, "plan")).filter((x) => x.endsWith(".log")))
    if (!fs.readFileSync(path.join(dir, "plan", f), "utf8").includes("No changes")) throw new Error(`profiled plan was not a no-op: ${path.join(dir, "plan", f)}`);
  await down();
  undo();
  const bytes = bundleBytes(sbx);
  return {
    intervalUs: INTERVAL_US,
    items: [
      { title: "`sbx --version`", ...version },
      { title: `No-op \`sbx plan\`, ${PLAN_N.toLocaleString("en")} managed files`, ...plan },
    ],
    bytes,
    bundleTotal: bytes.reduce((a, b) => a + b.bytes, 0),
    notes: notes(version, plan),
  };
}
