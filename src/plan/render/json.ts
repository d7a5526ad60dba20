// Plan JSON: stable key order so saved plans and CI diffs are deterministic.

import type { Plan } from "../model.js";

export function stableStringify(v: unknown, indent = 2): string {
  return JSON.stringify(sortKeys(v), null, indent);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

export function renderPlanJson(plan: Plan): string {
  return stableStringify(plan) + "\n";
}
