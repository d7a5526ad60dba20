// Plan data types (no I/O, no rendering). The JSON form of `Plan` is the contract
// between `sbx plan`, saved plans, `sbx show`, `sbx diff` and every renderer.

import type { Diagnostic } from "../compile/diagnostics.js";
import type { RenderHint } from "../kinds/spec.js";
import type { Action } from "./action.js";
import type { RouteDecision } from "../compile/route.js";

export const PLAN_FORMAT_VERSION = "2.0";

/** What a driver saw when it looked at the real thing recorded in state. */
export type Observation =
  | { status: "ok" }
  | { status: "missing"; reason: string }
  | {
      status: "drifted";
      reason: string;
      action: "update" | "replace";
      /** Display only: the drifted values as observed now (never secret values)... */
      observed?: Record<string, unknown>;
      /** ...and what apply will make them, where that is not an attribute (a copied file's content). */
      expected?: Record<string, unknown>;
    };

/**
 * One resource's change.
 *
 * | action  | before                          | after            |
 * |---------|---------------------------------|------------------|
 * | create  | null                            | desired attrs    |
 * | update  | attrs in state                  | desired attrs    |
 * | replace | attrs in state                  | desired attrs    |
 * | delete  | attrs in state                  | null             |
 * | no-op   | attrs in state                  | desired attrs    |
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
  /** How attributes render, where not by the shape of their value (from the kind). */
  render: Record<string, RenderHint>;
  depends_on: string[];
  /** Display only: values as observed now and as apply will make them, when the real thing drifted. */
  drift?: { observed: Record<string, unknown>; expected: Record<string, unknown> };
  /** True when the resource was found by its owner label or marker, not in state. */
  discovered?: boolean;
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
  /** The version the running sandbox was built from, when it is older than `version` (display only). */
  built_from?: string;
}

export interface PlanUrl {
  name: string;
  url: string;
}

/** Where the sandbox runs, shown when not on this machine or when a route chose it. */
export interface PlanPlacement {
  /** `ssh://user@host:port`, `local`... */
  target: string;
  /** Display only: which candidate a profile's route chose and why (apply uses `target`). */
  route?: RouteDecision;
}

export interface Plan {
  format_version: string;
  sbx_version: string;
  mode: "apply" | "destroy";
  instance: { id: string; project: string; worktree: string; backend: string };
  placement?: PlanPlacement;
  slot: { number: number; status: "held" | "to-claim" | "none" };
  ports: Record<string, number>;
  profiles: PlanProfile[];
  /** Hash of every input file and --set flag; a saved plan compares it. */
  config_hash: string;
  /** `--set` flags the plan was made with (secret values replaced by "(sensitive)"). */
  sets: string[];
  /** `--target` addresses the plan was limited to (empty: the whole sandbox). */
  targets: string[];
  prior_state: { lineage: string; serial: number } | null;
  /** HMAC fingerprints (never values) used to tell a saved plan is stale. */
  secret_fingerprints: Record<string, string>;
  resource_changes: ResourceChange[];
  summary: PlanSummary;
  /** Where the sandbox answers once applied. */
  outputs: { urls: PlanUrl[] };
  /** Warnings, and errors that make apply refuse (a foreign program on a port...). */
  diagnostics: Diagnostic[];
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

export function planErrors(plan: Plan): Diagnostic[] {
  return plan.diagnostics.filter((d) => d.severity === "error");
}
