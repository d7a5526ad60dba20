// `sbx plan`: preview (text, --json, --markdown), -out FILE, --detailed-exitcode.

import * as fs from "node:fs";
import { planSession, type Session } from "../../apply/session.js";
import { writeAtomic } from "../../apply/atomic.js";
import { hasChanges, type Plan } from "../../plan/model.js";
import { renderPlanJson } from "../../plan/render/json.js";
import { renderPlanMarkdown } from "../../plan/render/markdown.js";
import { renderPlanText } from "../../plan/render/text.js";
import { lockInstance, open, type CommonFlags, type GlobalOptions } from "../common.js";
import { Exit, out, styleFor } from "../output.js";

export interface PlanFlags extends CommonFlags {
  json?: boolean;
  markdown?: boolean;
  out?: string;
  detailedExitcode?: boolean;
  destroy?: boolean;
}

export function printPlan(plan: Plan, flags: { json?: boolean; markdown?: boolean }): void {
  if (flags.json) out(renderPlanJson(plan));
  else if (flags.markdown) out(renderPlanMarkdown(plan));
  else out(renderPlanText(plan, styleFor(process.stdout)));
}

export async function makePlan(s: Session, mode: "apply" | "destroy"): Promise<Plan> {
  const { plan } = await planSession(s, mode);
  return plan;
}

export async function planCommand(g: GlobalOptions, flags: PlanFlags): Promise<void> {
  const s = open(g, "sbx plan", flags);
  const release = await lockInstance(s, "sbx plan", flags);
  let plan: Plan;
  try {
    plan = await makePlan(s, flags.destroy ? "destroy" : "apply");
  } finally {
    release();
  }
  printPlan(plan, flags);
  if (flags.out) {
    writeAtomic(flags.out, renderPlanJson(plan), 0o600);
    if (!flags.json && !flags.markdown) out(`\nSaved the plan to: ${flags.out}\n\nTo perform exactly these actions, run the following command to apply:\n    sbx apply ${JSON.stringify(flags.out)}`);
  }
  if (plan.errors.length) throw new Exit(1);
  if (flags.detailedExitcode && hasChanges(plan)) throw new Exit(2);
}

export function readPlanFile(file: string): Plan {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    throw new PlanFileError(`Cannot read plan file ${file}.`);
  }
  let plan: Plan;
  try {
    plan = JSON.parse(text) as Plan;
  } catch {
    throw new PlanFileError(`${file} is not a plan file (not JSON). Create one with: sbx plan -out ${file}`);
  }
  if (!plan || typeof plan !== "object" || typeof plan.format_version !== "string" || !Array.isArray(plan.resource_changes))
    throw new PlanFileError(`${file} is not an sbx plan file. Create one with: sbx plan -out ${file}`);
  return plan;
}

export class PlanFileError extends Error {}
