// Saved plans: the plan JSON, checked against schemas/plan.schema.json on load, and the
// rules that make a saved plan stale. Pure: the caller reads and writes the file.

import { validatePlan } from "../compile/generated/validators.js";
import { error, type Diagnostic } from "../compile/diagnostics.js";
import { sameValue } from "./canonical.js";
import { PLAN_FORMAT_VERSION, type Plan } from "./model.js";
import { renderPlanJson } from "./render/json.js";

export function serializePlan(plan: Plan): string {
  return renderPlanJson(plan);
}

/** Parse a saved plan; problems are diagnostics naming the file and what to do. */
export function parsePlanFile(text: string, file: string): { plan?: Plan; diags: Diagnostic[] } {
  const redo = `Create one with: sbx plan -out ${file}`;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { diags: [error(`${file} is not a plan file`, { code: "plan-file", detail: `It is not JSON. ${redo}` })] };
  }
  const major = (v: unknown) => (typeof v === "string" ? v.split(".")[0] : undefined);
  const version = (raw as { format_version?: unknown } | null)?.format_version;
  if (typeof version === "string" && major(version) !== major(PLAN_FORMAT_VERSION))
    return { diags: [error(`${file} has plan format ${version}`, { code: "plan-file", detail: `This sbx reads plan format ${PLAN_FORMAT_VERSION}. Make the plan again with this sbx: sbx plan -out ${file}` })] };
  if (!validatePlan(raw)) {
    const first = validatePlan.errors?.[0];
    const where = first ? ` (${first.instancePath || "/"} ${first.message ?? "is invalid"})` : "";
    return { diags: [error(`${file} is not an sbx plan file`, { code: "plan-file", detail: `It does not match the plan schema${where}. ${redo}` })] };
  }
  return { plan: raw as Plan, diags: [] };
}

/** Why a saved plan can no longer be applied exactly, or undefined when it can. */
export function staleReason(saved: Plan, fresh: Plan): string | undefined {
  if (saved.mode !== fresh.mode) return `it is a ${saved.mode} plan`;
  if (saved.instance.id !== fresh.instance.id) return "it was made for another sandbox";
  if (!sameValue(saved.prior_state, fresh.prior_state)) return "the state was changed by another operation after the plan was created";
  if (saved.config_hash !== fresh.config_hash) return "the configuration files changed after the plan was created";
  if (!sameValue(saved.secret_fingerprints, fresh.secret_fingerprints)) return "a secret's value changed after the plan was created";
  if (saved.slot.number !== fresh.slot.number) return `slot ${saved.slot.number} is no longer available`;
  if (JSON.stringify(changesOf(saved)) !== JSON.stringify(changesOf(fresh))) return "what is running changed after the plan was created";
  return undefined;
}

function changesOf(p: Plan): string[] {
  return p.resource_changes.filter((c) => c.action !== "no-op").map((c) => `${c.action} ${c.address}`);
}
