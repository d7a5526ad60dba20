// `sbx apply [PLANFILE]`: the apply workflow with a prompt, progress and a report.

import { applyProject } from "../../apply/index.js";
import { error, hasErrors } from "../../compile/diagnostics.js";
import { hasChanges, type Plan } from "../../plan/model.js";
import { approver, checkHostConfig, countFlag, durationFlag, interruptible, project, runOptions, withProfile, type GlobalOptions, type LockFlags, type ProfileFlags } from "../common.js";
import { err, Exit, finish, out, styleFor } from "../output.js";
import { printPlan, readPlan } from "./plan.js";

export interface ApplyFlags extends LockFlags, ProfileFlags {
  autoApprove?: boolean;
  parallelism?: string;
  refreshSecrets?: boolean;
  json?: boolean;
  concise?: boolean;
  slot?: string;
  target?: string[];
  build?: boolean;
  /** False with `--no-wait`. */
  wait?: boolean;
  timeout?: string;
}

/** `--timeout 120` (seconds, as kinfra) or `--timeout 2m`. */
export function healthTimeoutFlag(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (/^\d+$/.test(text) && Number(text) > 0) return Number(text);
  return Math.max(1, Math.round(durationFlag("--timeout", text, 0) / 1000));
}

/** Run options for commands that converge (apply, start, worktree add). */
export function convergeOptions(flags: ApplyFlags): { refreshSecrets?: boolean; build: boolean; noWait: boolean; healthTimeout?: number } {
  const t = healthTimeoutFlag(flags.timeout);
  return { refreshSecrets: flags.refreshSecrets, build: !!flags.build, noWait: flags.wait === false, ...(t !== undefined ? { healthTimeout: t } : {}) };
}

/** A saved plan applies with the --set flags it was made with; secret ones must be given again. */
function setsFor(g: GlobalOptions, saved: Plan | undefined): string[] {
  const given = g.set ?? [];
  if (!saved || given.length) return given;
  const hidden = saved.sets.filter((s) => s.endsWith("=(sensitive)"));
  if (hidden.length)
    finish([error("The saved plan was made with secret --set values", { code: "plan-stale", detail: `Pass them again: ${hidden.map((s) => `--set ${s.replace(/=\(sensitive\)$/, "=...")}`).join(" ")}` })]);
  return saved.sets;
}

export function printUrls(plan: Plan): void {
  const urls = plan.outputs.urls;
  if (!urls.length) return;
  const w = Math.max(...urls.map((u) => u.name.length));
  out(`\nSandbox ${plan.instance.id} on slot ${plan.slot.number}:\n${urls.map((u) => `  ${u.name.padEnd(w)}  ${u.url}`).join("\n")}`);
}

export async function applyCommand(g: GlobalOptions, planFile: string | undefined, flags: ApplyFlags): Promise<void> {
  const saved = planFile ? readPlan(planFile) : undefined;
  checkHostConfig();
  const p = project(withProfile(runOptions({ ...g, set: setsFor(g, saved) }, "sbx apply", convergeOptions(flags)), flags));
  const slot = flags.slot === undefined ? undefined : /^\d+$/.test(flags.slot) ? Number(flags.slot) : NaN;
  if (Number.isNaN(slot)) finish([error(`Invalid --slot \`${flags.slot}'`, { code: "usage", detail: "A slot is a whole number, e.g. --slot 2 (0 means the standard ports)." })]);
  const ctrlC = interruptible();
  try {
    const o = await applyProject(p, {
      saved: saved && planFile ? { plan: saved, file: planFile } : undefined,
      show: (plan) => printPlan(plan, { json: flags.json, concise: flags.concise }),
      approve: approver(!!flags.autoApprove),
      stopRequested: ctrlC.stopRequested,
      parallelism: countFlag("--parallelism", flags.parallelism, 10),
      lockTimeoutMs: durationFlag("--lock-timeout", flags.lockTimeout, 0),
      slot,
      targets: flags.target,
    });
    if (o.cancelled) {
      err("Apply cancelled.");
      throw new Exit(1);
    }
    if (!o.plan || hasErrors(o.diags)) return finish(o.diags, o.texts);
    finish(o.diags, o.texts);
    if (!o.result) {
      if (saved) out("No changes. Your sandbox matches the configuration.");
      if (!hasChanges(o.plan)) printUrls(o.plan);
      return;
    }
    const n = (a: string) => o.result!.done.filter((d) => d.action === a).length;
    out(`\n${styleFor(process.stdout).bold(`Apply complete! Resources: ${n("create")} added, ${n("update")} changed, ${n("replace")} replaced, ${n("delete")} destroyed.`)}`);
    printUrls(o.plan);
  } finally {
    ctrlC.dispose();
  }
}
