// `sbx plan` and `sbx show`: preview (text, --json, --markdown), -out FILE, --detailed-exitcode.

import * as fs from "node:fs";
import { planLocked } from "../../apply/index.js";
import { error } from "../../compile/diagnostics.js";
import { hasChanges, planErrors, type Plan } from "../../plan/model.js";
import { parsePlanFile, serializePlan } from "../../plan/planfile.js";
import { renderPlanMarkdown } from "../../plan/render/markdown.js";
import { renderPlanConcise, renderPlanText } from "../../plan/render/text.js";
import { durationFlag, instance, runOptions, withProfile, type GlobalOptions, type LockFlags, type ProfileFlags } from "../common.js";
import { Exit, finish, out, styleFor } from "../output.js";

export interface PlanFlags extends LockFlags, ProfileFlags {
  json?: boolean;
  markdown?: boolean;
  out?: string;
  detailedExitcode?: boolean;
  destroy?: boolean;
  refreshSecrets?: boolean;
  concise?: boolean;
  target?: string[];
}

export interface ShowFlags {
  json?: boolean;
  markdown?: boolean;
  concise?: boolean;
  /** Replaces the plan's heading (sbx diff names its revisions). */
  title?: string;
  noChanges?: string;
  marker?: string;
}

export function printPlan(plan: Plan, flags: ShowFlags): void {
  if (flags.json) out(serializePlan(plan));
  else if (flags.markdown) out(renderPlanMarkdown(plan, { title: flags.title, marker: flags.marker }));
  else if (flags.concise) out(renderPlanConcise(plan, styleFor(process.stdout), flags));
  else out(renderPlanText(plan, styleFor(process.stdout), flags));
}

export async function planCommand(g: GlobalOptions, flags: PlanFlags): Promise<void> {
  const opts = withProfile(runOptions(g, "sbx plan", { refreshSecrets: flags.refreshSecrets }), flags);
  const { inst, project, problems } = instance(opts);
  if (!project && !(flags.destroy && inst)) return finish(problems.diags, problems.texts);
  const made = await planLocked(inst!, project, flags.destroy ? "destroy" : "apply", { lockTimeoutMs: durationFlag("--lock-timeout", flags.lockTimeout, 0), targets: flags.target });
  if (!("plan" in made)) return finish(made.diags, made.texts);
  const { plan } = made;
  printPlan(plan, flags);
  if (flags.out) {
    fs.writeFileSync(flags.out, serializePlan(plan), { mode: 0o600 });
    const chdir = g.dir !== undefined ? `-C ${JSON.stringify(g.dir)} ` : "";
    if (!flags.json && !flags.markdown) out(`\nSaved the plan to: ${flags.out}\n\nTo perform exactly these actions, run the following command to apply:\n    sbx ${chdir}apply ${profileFlagsOf(flags)}${JSON.stringify(flags.out)}`);
  }
  finish(plan.diagnostics, made.texts);
  if (flags.detailedExitcode && hasChanges(plan)) throw new Exit(2);
}

/** Read a saved plan, or stop with why it cannot be used. */
export function readPlan(file: string): Plan {
  let text = "";
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    finish([error(`Cannot read plan file ${file}`, { code: "plan-file", detail: `${(e as NodeJS.ErrnoException).code === "ENOENT" ? "No such file." : (e as Error).message} Create one with: sbx plan -out ${file}` })]);
  }
  const { plan, diags } = parsePlanFile(text, file);
  if (!plan) finish(diags);
  return plan!;
}

export function showCommand(file: string, flags: ShowFlags): void {
  const plan = readPlan(file);
  printPlan(plan, flags);
  finish(planErrors(plan));
}

/** The --profile and --input flags a saved plan must be applied with (quoted for a shell). */
function profileFlagsOf(flags: ProfileFlags): string {
  const q = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return [...(flags.profile ? ["--profile", flags.profile] : []), ...(flags.input ?? []).flatMap((i) => ["--input", i])].map((s) => `${q(s)} `).join("");
}
