// Commands over host state: status, list, env, logs, gc, extend-ttl.

import * as fs from "node:fs";
import { collect, envOf, extendTtl, listInstances, logsOf, shellExports, statusOf } from "../../apply/index.js";
import { error } from "../../compile/diagnostics.js";
import { checkHostConfig, countFlag, durationFlag, home, instance, project, runOptions, type GlobalOptions, type LockFlags } from "../common.js";
import { finish, out, stdoutClosed, styleFor } from "../output.js";
import { printPlan } from "./plan.js";

export async function statusCommand(g: GlobalOptions, flags: { json?: boolean }): Promise<void> {
  const { inst, problems } = instance(runOptions(g, "sbx status"));
  if (!inst) return finish(problems.diags.length ? problems.diags : [error("No sandbox here", { code: "usage", detail: "Run `sbx apply` first." })], problems.texts);
  const { report, diags } = await statusOf(inst);
  if (!report) return finish(diags);
  if (flags.json) {
    out(JSON.stringify(report, null, 2));
    return;
  }
  out(`Sandbox ${report.instance} (project ${report.project})`);
  out(`  Worktree: ${report.worktree}`);
  if (report.placement) out(`  Placement: ${report.placement}${report.route ? ` (route ${report.route})` : ""}`);
  if (!report.slot) {
    out("  Slot: none (run `sbx apply`)");
    return;
  }
  const s = report.slot;
  out(`  Slot: ${s.slot} (${s.status}, claimed ${s.claimed_at}${s.expires_at ? `, expires ${s.expires_at}, ${s.time_left} left` : ""})`);
  out(`  Ports: ${Object.entries(s.ports).map(([k, v]) => `${k}=${v}`).join(" ") || "none"}`);
  const w = Math.max(0, ...report.resources.map((r) => r.address.length));
  for (const r of report.resources) {
    out(`  ${r.address.padEnd(w)}  ${r.state}${r.detail ? `  ${r.detail}` : ""}${r.urls?.length ? `  ${r.urls.join("  ")}` : ""}`);
    const sw = Math.max(0, ...(r.services ?? []).map((x) => x.name.length));
    const tw = Math.max(0, ...(r.services ?? []).map((x) => x.state.length));
    for (const x of r.services ?? []) out(`      ${x.name.padEnd(sw)}  ${x.state.padEnd(tw)}${x.urls.length ? `  ${x.urls.join("  ")}` : ""}`);
  }
}

export function listCommand(flags: { json?: boolean }): void {
  const rows = listInstances(home());
  if (flags.json) {
    out(JSON.stringify(rows, null, 2));
    return;
  }
  if (!rows.length) {
    out("No sandboxes.");
    return;
  }
  out(`${"SLOT".padEnd(5)} ${"INSTANCE".padEnd(28)} ${"STATUS".padEnd(12)} ${"TTL".padEnd(10)} WORKTREE`);
  for (const r of rows) out(`${String(r.slot ?? "-").padEnd(5)} ${r.id.padEnd(28)} ${r.status.padEnd(12)} ${(r.time_left ?? "-").padEnd(10)} ${r.worktree}${r.placement !== "local" ? `  (at ${r.placement})` : ""}`);
}

export function envCommand(g: GlobalOptions, flags: { format?: string }): void {
  const format = flags.format ?? "shell";
  if (!["shell", "dotenv", "json"].includes(format)) finish([error(`Unknown --format \`${format}'`, { code: "usage", detail: "Use shell (the default: export lines for eval), dotenv or json." })]);
  const { env, diags } = envOf(project(runOptions(g, "sbx env")));
  if (!env) return finish(diags);
  if (format === "json") out(JSON.stringify(env, null, 2));
  else if (format === "dotenv") out(Object.entries(env).map(([k, v]) => `${k}=${v}`).join("\n"));
  else out(shellExports(env));
}

export async function logsCommand(g: GlobalOptions, service: string | undefined, flags: { follow?: boolean; tail?: string }): Promise<void> {
  const { inst, problems } = instance(runOptions(g, "sbx logs"));
  if (!inst) return finish(problems.diags.length ? problems.diags : [error("No sandbox here", { code: "usage", detail: "Run `sbx apply` first." })], problems.texts);
  const lines = logsOf(inst, { service, tail: countFlag("--tail", flags.tail, 100), follow: !!flags.follow });
  for (;;) {
    const next = await lines.next();
    if (next.done) return finish(next.value ?? []);
    out(next.value);
    // `sbx logs -f | head`: the reader is gone, stop following.
    if (stdoutClosed()) process.exit(0);
  }
}

export async function gcCommand(g: GlobalOptions, flags: { json?: boolean }): Promise<void> {
  checkHostConfig();
  const opts = runOptions(g, "sbx gc");
  const done = await collect(opts, (i) => !i.worktree || !fs.existsSync(i.worktree), {
    show: (plan) => (flags.json ? undefined : printPlan(plan, {})),
    approve: async () => true,
    lockTimeoutMs: 0,
    parallelism: 10,
    event: "collected",
  });
  const bold = styleFor(process.stdout).bold;
  for (const c of done) {
    const failed = c.outcome.diags.some((d) => d.severity === "error");
    out(bold(failed ? `Could not collect ${c.instance} (worktree ${c.worktree} is gone): see the errors above.` : `Collected ${c.instance}: worktree ${c.worktree} no longer exists${c.slot !== null && c.slot !== undefined ? `; released slot ${c.slot}` : ""}.`));
  }
  if (!done.length) out("Nothing to collect.");
  finish(done.flatMap((c) => c.outcome.diags));
}

export async function extendTtlCommand(g: GlobalOptions, duration: string, flags: LockFlags = {}): Promise<void> {
  const { inst, problems } = instance(runOptions(g, "sbx extend-ttl"));
  if (!inst) return finish(problems.diags.length ? problems.diags : [error("No sandbox here", { code: "usage", detail: "Run `sbx apply` first." })], problems.texts);
  const r = await extendTtl(inst, duration, { lockTimeoutMs: durationFlag("--lock-timeout", flags.lockTimeout, 0) });
  if (!r.expiresAt) return finish(r.diags);
  out(`Sandbox ${inst.id} now expires at ${r.expiresAt}.`);
  finish(r.diags);
}
