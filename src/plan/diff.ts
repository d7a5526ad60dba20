// diff(desired, state, observed) -> changes. Pure: observation comes from drivers' read.

import type { Resource } from "../compile/resource.js";
import type { Action } from "./action.js";
import type { ResourceChange } from "./model.js";

export interface PriorResource {
  address: string;
  type: string;
  attrs: Record<string, unknown>;
  dependsOn: string[];
  sensitive?: string[];
}

/** What a driver saw when it looked at the real thing. */
export type Observation =
  | { status: "ok" }
  | { status: "missing"; reason: string }
  | { status: "drifted"; reason: string; action: "update" | "replace" };

/** Per type: which attribute changes force replacement ("*" = any). */
const REPLACE_ON: Record<string, string[]> = {
  slot: ["slot"],
  process: ["*"],
  file: ["path"],
  copy: ["dest"],
  secrets: ["path"],
  health: [],
  compose: ["project"],
};

/** Types that must restart when something they depend on changes. */
const RESTART_ON_DEPENDENCY: Record<string, Action> = { process: "replace", health: "update", compose: "update" };
const RESTART_TRIGGERS = new Set(["file", "copy", "secrets", "process", "compose"]);

export function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k])).sort();
}

export function diffResources(opts: {
  desired: readonly Resource[];
  prior: readonly PriorResource[];
  observed: ReadonlyMap<string, Observation>;
  mode: "apply" | "destroy";
}): ResourceChange[] {
  const priorBy = new Map(opts.prior.map((p) => [p.address, p]));
  const changes = new Map<string, ResourceChange>();
  const desired = opts.mode === "destroy" ? [] : opts.desired;
  for (const r of desired) {
    const p = priorBy.get(r.address);
    const base = { address: r.address, type: r.type, after: r.attrs, sensitive: r.sensitive, depends_on: r.dependsOn };
    if (!p) {
      changes.set(r.address, { ...base, action: "create", reasons: [], before: null, replace_paths: [] });
      continue;
    }
    const keys = changedKeys(p.attrs, r.attrs);
    const rules = REPLACE_ON[r.type] ?? ["*"];
    const forcing = keys.filter((k) => rules.includes("*") || rules.includes(k));
    const obs = opts.observed.get(r.address) ?? { status: "ok" };
    let action: Action = "no-op";
    const reasons: string[] = [];
    if (keys.length) {
      action = forcing.length ? "replace" : "update";
      reasons.push(forcing.length ? `forces replacement: ${forcing.map((k) => `attrs.${k}`).join(", ")}` : `changed: ${keys.join(", ")}`);
    }
    if (obs.status === "missing") {
      action = "create";
      reasons.push(`drift: ${obs.reason}`);
    } else if (obs.status === "drifted") {
      if (action === "no-op" || (action === "update" && obs.action === "replace")) action = obs.action;
      reasons.push(`drift: ${obs.reason}`);
    }
    changes.set(r.address, { ...base, action, reasons, before: p.attrs, replace_paths: action === "replace" ? forcing : [] });
  }
  for (const p of opts.prior) {
    if (changes.has(p.address)) continue;
    changes.set(p.address, {
      address: p.address,
      type: p.type,
      action: "delete",
      reasons: opts.mode === "destroy" ? [] : ["not in configuration"],
      before: p.attrs,
      after: null,
      sensitive: p.sensitive ?? [],
      replace_paths: [],
      depends_on: p.dependsOn,
    });
  }
  // Restart dependents whose inputs change (in dependency order, so it cascades once).
  const order = [...changes.values()].sort((a, b) => a.depends_on.length - b.depends_on.length);
  let moved = true;
  while (moved) {
    moved = false;
    for (const c of order) {
      const restart = RESTART_ON_DEPENDENCY[c.type];
      if (!restart || c.action !== "no-op") continue;
      const trigger = c.depends_on.find((d) => {
        const dc = changes.get(d);
        return dc && RESTART_TRIGGERS.has(dc.type) && dc.action !== "no-op" && dc.action !== "delete";
      });
      if (trigger) {
        c.action = restart;
        c.reasons.push(`${trigger} changes`);
        moved = true;
      }
    }
  }
  return [...changes.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}
