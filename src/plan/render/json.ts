// Plan JSON: stable key order so saved plans and CI diffs are deterministic.

import { sortKeys } from "../canonical.js";
import type { Plan } from "../model.js";

export function stableStringify(v: unknown, indent = 2): string {
  return JSON.stringify(sortKeys(v), null, indent);
}

export function renderPlanJson(plan: Plan): string {
  return stableStringify(plan) + "\n";
}
