// N managed files: sbx plan / apply / no-op plan / destroy against Terraform doing the
// same four steps on N terraform_data resources, alternating which side goes first.

import * as fs from "node:fs";
import * as path from "node:path";
import { killProcessesUnder, onCleanup } from "./cleanup.mjs";
import { measure } from "./proc.mjs";
import { filesWorkload, terraformInit } from "./workloads.mjs";

export const OPS = ["plan", "apply", "noop", "destroy"];

const TF = ["-no-color", "-input=false"];

/** The four steps of each side; `check(log)` throws when a step did not do what it should. */
function steps(side, w, n, sbx) {
  const has = (needle) => (log) => {
    if (!fs.readFileSync(log, "utf8").includes(needle)) throw new Error(`expected "${needle}" in ${log}`);
  };
  const count = (expected) => () => {
    const out = path.join(w.wt, "out");
    const got = fs.existsSync(out) ? fs.readdirSync(out).length : 0;
    if (got !== expected) throw new Error(`expected ${expected} files in ${out}, found ${got}`);
  };
  if (side === "sbx") {
    const node = process.execPath;
    return {
      plan: { cmd: node, args: [sbx, "plan"], cwd: w.wt, check: has("to add") },
      apply: { cmd: node, args: [sbx, "apply", "--auto-approve"], cwd: w.wt, check: count(n) },
      noop: { cmd: node, args: [sbx, "plan"], cwd: w.wt, check: has("No changes") },
      destroy: { cmd: node, args: [sbx, "destroy", "--auto-approve"], cwd: w.wt, check: count(0) },
    };
  }
  return {
    plan: { cmd: "terraform", args: ["plan", ...TF], cwd: w.tf, check: has(`Plan: ${n} to add`) },
    apply: { cmd: "terraform", args: ["apply", "-auto-approve", ...TF], cwd: w.tf, check: has(`Resources: ${n} added`) },
    noop: { cmd: "terraform", args: ["plan", ...TF], cwd: w.tf, check: has("No changes") },
    destroy: { cmd: "terraform", args: ["destroy", "-auto-approve", ...TF], cwd: w.tf, check: has(`Resources: ${n} destroyed`) },
  };
}

/** Whether this sandbox still holds a slot (then clean-up must destroy it). */
function holdsSlot(home) {
  const p = path.join(home, "registry.json");
  if (!fs.existsSync(p)) return false;
  return Object.keys(JSON.parse(fs.readFileSync(p, "utf8")).slots ?? {}).length > 0;
}

export async function filesSection(ctx, n, { reps, withTerraform }) {
  const { sbx, env, root, logs, timeoutMs } = ctx;
  const w = filesWorkload(root, n);
  const sbxEnv = { ...env, SBX_HOME: w.home };
  const undo = onCleanup(`files-${n} workload`, async () => {
    if (holdsSlot(w.home))
      await measure({ cmd: process.execPath, args: [sbx, "destroy", "--auto-approve", "--force", "--lock-timeout", "30s"], cwd: w.wt, env: sbxEnv, log: path.join(logs, `files-${n}-cleanup.log`), timeoutMs, allowFail: true, cleanup: true });
    killProcessesUnder(w.dir);
    fs.rmSync(w.dir, { recursive: true, force: true });
  });
  if (withTerraform) terraformInit(w.tf, env);
  const sides = withTerraform ? ["sbx", "terraform"] : ["sbx"];
  const samples = Object.fromEntries(sides.map((s) => [s, Object.fromEntries(OPS.map((op) => [op, []]))]));
  for (let r = 0; r < reps; r++) {
    const order = r % 2 ? [...sides].reverse() : sides;
    for (const side of order) {
      const s = steps(side, w, n, sbx);
      for (const op of OPS) {
        const st = s[op];
        const res = await measure({ cmd: st.cmd, args: st.args, cwd: st.cwd, env: side === "sbx" ? sbxEnv : env, log: path.join(logs, `files-${n}-${side}-${op}.log`), timeoutMs });
        st.check(res.log);
        samples[side][op].push(res);
      }
    }
    process.stderr.write(".");
  }
  undo();
  fs.rmSync(w.dir, { recursive: true, force: true });
  return { n, reps, sbx: samples.sbx, terraform: samples.terraform };
}
