// Cold start: `node -e 0`, `sbx --version`, a no-op `sbx plan` on the applied quickstart
// (and `terraform version` when present), interleaved run by run.

import * as fs from "node:fs";
import * as path from "node:path";
import { killProcessesUnder, onCleanup } from "./cleanup.mjs";
import { measure, run } from "./proc.mjs";

function quickstart(root, repoRoot) {
  const dir = path.join(root, "quickstart");
  fs.mkdirSync(dir, { recursive: true });
  for (const f of fs.readdirSync(path.join(repoRoot, "examples", "quickstart"))) fs.copyFileSync(path.join(repoRoot, "examples", "quickstart", f), path.join(dir, f));
  const g = ["-c", "user.email=bench@sbx", "-c", "user.name=sbx-bench", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"];
  run("git", [...g, "init", "-q", "-b", "main"], { cwd: dir });
  run("git", [...g, "add", "-A"], { cwd: dir });
  run("git", [...g, "commit", "-qm", "quickstart"], { cwd: dir });
  const home = path.join(root, "quickstart-home");
  fs.mkdirSync(home);
  return { dir, home };
}

export async function coldStart(ctx) {
  const { sbx, env, root, logs, reps, warmup, timeoutMs, haveTerraform } = ctx;
  const qs = quickstart(root, ctx.repoRoot);
  const qsEnv = { ...env, SBX_HOME: qs.home };
  const log = (name) => path.join(logs, `cold-${name}.log`);
  const node = process.execPath;
  // Bring the quickstart up once, so the plan below has something to compare (a no-op).
  // --lock-timeout: an interrupted command may have left the instance lock for a few seconds.
  const down = () => measure({ cmd: node, args: [sbx, "destroy", "--auto-approve", "--lock-timeout", "30s"], cwd: qs.dir, env: qsEnv, log: log("qs-destroy"), timeoutMs, cleanup: true });
  const drop = onCleanup("destroy the quickstart sandbox", async () => {
    try {
      await down();
    } finally {
      killProcessesUnder(qs.dir);
    }
  });
  await measure({ cmd: node, args: [sbx, "apply", "--auto-approve"], cwd: qs.dir, env: qsEnv, log: log("qs-apply"), timeoutMs });
  const commands = [
    { key: "node", label: "`node -e 0`", cmd: node, args: ["-e", "0"], cwd: root, env },
    { key: "version", label: "`sbx --version`", cmd: node, args: [sbx, "--version"], cwd: root, env },
    { key: "plan", label: "`sbx plan`, quickstart applied (no-op)", cmd: node, args: [sbx, "plan"], cwd: qs.dir, env: qsEnv, expect: "No changes" },
  ];
  if (haveTerraform) commands.push({ key: "tf", label: "`terraform version` (for reference)", cmd: "terraform", args: ["version"], cwd: root, env });
  const samples = Object.fromEntries(commands.map((c) => [c.key, []]));
  for (let i = 0; i < warmup + reps; i++) {
    for (const c of commands) {
      const r = await measure({ cmd: c.cmd, args: c.args, cwd: c.cwd, env: c.env, log: log(c.key), timeoutMs });
      if (c.expect && !fs.readFileSync(r.log, "utf8").includes(c.expect)) throw new Error(`${c.label} was expected to print "${c.expect}"; see ${r.log}`);
      if (i >= warmup) samples[c.key].push(r);
    }
  }
  await down();
  drop();
  return { commands: commands.map(({ key, label }) => ({ key, label, runs: samples[key] })) };
}
