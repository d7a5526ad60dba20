// Plan data types (no I/O, no rendering). The JSON form of `Plan` is the contract
// between `sbx plan`, saved plans, `sbx show` and every renderer.

import type { Diagnostic } from "../compile/diagnostics.js";
import type { Action } from "./action.js";

export const PLAN_FORMAT_VERSION = "1.0";

/**
 * One resource's change.
 *
 * | action  | before            | after            |
 * |---------|-------------------|------------------|
 * | create  | null              | desired attrs    |
 * | update  | attrs in state    | desired attrs    |
 * | replace | attrs in state    | desired attrs    |
 * | delete  | attrs in state    | null             |
 * | no-op   | attrs in state    | desired attrs    |
 */
export interface ResourceChange {
  address: string;
  type: string;
  action: Action;
  /** Display only; apply must not read it. */
  reasons: string[];
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  /** Attribute names whose values are never shown. */
  sensitive: string[];
  /** Attribute names whose change forces replacement. */
  replace_paths: string[];
  depends_on: string[];
}

export interface PlanSummary {
  add: number;
  change: number;
  replace: number;
  destroy: number;
}

export interface PlanProfile {
  id: string;
  version: string;
  hash: string;
  file: string;
}

export interface Plan {
  format_version: string;
  sbx_version: string;
  mode: "apply" | "destroy";
  instance: { id: string; project: string; worktree: string; backend: string };
  slot: { number: number; status: "held" | "to-claim" | "none" };
  ports: Record<string, number>;
  profiles: PlanProfile[];
  /** Hash of every input file and --set flag; a saved plan compares it. */
  config_hash: string;
  prior_state: { lineage: string; serial: number } | null;
  /** HMAC fingerprints (never values) used to tell a saved plan is stale. */
  secret_fingerprints: Record<string, string>;
  resource_changes: ResourceChange[];
  summary: PlanSummary;
  diagnostics: Diagnostic[];
  /** Bad news found at plan time (foreign port holders...): apply refuses while present. */
  errors: string[];
}

export function summarise(changes: readonly ResourceChange[]): PlanSummary {
  const s: PlanSummary = { add: 0, change: 0, replace: 0, destroy: 0 };
  for (const c of changes) {
    if (c.action === "create") s.add++;
    else if (c.action === "update") s.change++;
    else if (c.action === "replace") s.replace++;
    else if (c.action === "delete") s.destroy++;
  }
  return s;
}

export function hasChanges(plan: Plan): boolean {
  const s = plan.summary;
  return s.add + s.change + s.replace + s.destroy > 0;
}
