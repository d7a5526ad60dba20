// diff(desired, state, observed) -> changes. Pure: observation comes from drivers'
// read, and every per-kind rule (replacement, following dependencies, render hints)
// comes from the kind declarations the caller passes in.

import { sensitiveAttrs, type KindSpec, type KindSpecs, type RenderHint, type Resource } from "../kinds/spec.js";
import type { Action } from "./action.js";
import { sameValue } from "./canonical.js";
import type { Observation, ResourceChange } from "./model.js";

export interface PriorResource {
  address: string;
  type: string;
  attrs: Record<string, unknown>;
  dependsOn: string[];
  /** Found by owner label or marker, not in state. */
  discovered?: boolean;
}

// Key order carries no meaning: attributes read back from a saved plan or state are sorted.
const same = sameValue;

export const KNOWN_AFTER_APPLY = "(known after apply)";

function pick(o: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (k in o) out[k] = o[k];
  return out;
}

export function changedKeys(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => !same(before[k], after[k])).sort();
}

function hintsOf(spec: KindSpec<object> | undefined): Record<string, RenderHint> {
  const out: Record<string, RenderHint> = {};
  for (const [k, h] of Object.entries(spec?.render ?? {}) as [string, RenderHint | undefined][]) if (h && h !== "plain") out[k] = h;
  return out;
}

/** The value at a dotted path inside attributes (`spec.selector`), undefined when absent. */
function valueAt(attrs: Record<string, unknown>, dotted: string): unknown {
  let v: unknown = attrs;
  for (const seg of dotted.split(".")) v = v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>)[seg] : undefined;
  return v;
}

/** Changed attributes (or dotted paths inside them) that the kind says force replacement. */
function forcingKeys(spec: KindSpec<object> | undefined, keys: readonly string[], before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const rule = spec?.replaceOn ?? "all";
  if (rule === "all") return [...keys];
  const rules = rule as readonly string[];
  const out = keys.filter((k) => rules.includes(k));
  for (const p of rules) if (p.includes(".") && keys.includes(p.split(".")[0]!) && !same(valueAt(before, p), valueAt(after, p))) out.push(p);
  return out.sort();
}

export function diffResources(opts: {
  desired: readonly Resource[];
  prior: readonly PriorResource[];
  observed: ReadonlyMap<string, Observation>;
  mode: "apply" | "destroy";
  specs: KindSpecs;
  /** Resources to update even when nothing differs (a driver's planner asked, e.g. `apply --build`), with why. */
  forced?: ReadonlyMap<string, string>;
}): ResourceChange[] {
  const priorBy = new Map(opts.prior.map((p) => [p.address, p]));
  const changes = new Map<string, ResourceChange>();
  const desired = opts.mode === "destroy" ? [] : opts.desired;
  for (const r of desired) {
    const spec = opts.specs.get(r.type);
    const p = priorBy.get(r.address);
    const base = { address: r.address, type: r.type, after: r.attrs as Record<string, unknown>, sensitive: sensitiveAttrs(spec), render: hintsOf(spec), depends_on: r.dependsOn };
    if (!p || p.discovered) {
      // What only apply can know is shown as such (Terraform's "(known after apply)").
      const unknown = (spec?.computed ?? []).filter((k) => !(k in base.after));
      if (unknown.length) base.after = { ...base.after, ...Object.fromEntries(unknown.map((k) => [k, KNOWN_AFTER_APPLY])) };
      changes.set(r.address, { ...base, action: "create", reasons: p?.discovered ? ["found by owner label, not in state: recreated"] : [], before: null, replace_paths: [] });
      continue;
    }
    // Values only apply knows stay as state has them until apply says otherwise.
    const after = { ...(r.attrs as Record<string, unknown>) };
    for (const k of spec?.computed ?? []) if (!(k in after) && k in p.attrs) after[k] = p.attrs[k];
    base.after = after;
    const keys = changedKeys(p.attrs, after);
    const forcing = forcingKeys(spec, keys, p.attrs, after);
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
    const force = opts.forced?.get(r.address);
    if (force && action === "no-op") {
      action = "update";
      reasons.push(force);
    }
    const drift = obs.status === "drifted" && obs.observed ? { observed: obs.observed, expected: obs.expected ?? pick(r.attrs as Record<string, unknown>, Object.keys(obs.observed)) } : undefined;
    changes.set(r.address, { ...base, action, reasons, before: action === "create" ? null : p.attrs, replace_paths: action === "replace" ? forcing : [], ...(drift ? { drift } : {}) });
  }
  for (const p of opts.prior) {
    if (changes.has(p.address)) continue;
    const spec = opts.specs.get(p.type);
    changes.set(p.address, {
      address: p.address,
      type: p.type,
      action: "delete",
      reasons: p.discovered ? ["found by owner label or marker, not in state"] : opts.mode === "destroy" ? [] : ["not in configuration"],
      before: p.attrs,
      after: null,
      sensitive: sensitiveAttrs(spec),
      render: hintsOf(spec),
      replace_paths: [],
      depends_on: p.dependsOn,
      ...(p.discovered ? { discovered: true } : {}),
    });
  }
  followDependencies(changes, opts.specs);
  return [...changes.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

const WORDS: Record<string, string> = { create: "is created", update: "changes", replace: "is replaced" };

/**
 * Resources that follow their dependencies (a process restarts when its env file
 * changes) get the action their kind declares. One pass in dependency order suffices:
 * each resource is decided after everything it depends on.
 */
function followDependencies(changes: Map<string, ResourceChange>, specs: KindSpecs): void {
  const decide = (c: ResourceChange): void => {
    const follow = specs.get(c.type)?.onDependencyChange;
    if (!follow || c.action !== "no-op") return;
    const trigger = c.depends_on
      .map((d) => changes.get(d))
      .find((dc) => dc && specs.get(dc.type)?.restartsDependents && dc.action !== "no-op" && dc.action !== "delete" && dc.action !== "read");
    if (trigger) {
      c.action = follow;
      c.reasons.push(`${follow === "replace" ? "restarts" : "re-runs"} because ${trigger.address} ${WORDS[trigger.action] ?? "changes"}`);
    }
  };
  // Depth-first, post-order, with an explicit stack: a long dependency chain must not
  // exhaust the call stack.
  const seen = new Set<string>();
  for (const root of [...changes.values()].sort((a, b) => (a.address < b.address ? -1 : 1))) {
    if (seen.has(root.address)) continue;
    seen.add(root.address);
    const stack: { c: ResourceChange; next: number }[] = [{ c: root, next: 0 }];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const d = top.c.depends_on[top.next++];
      if (d === undefined) {
        stack.pop();
        decide(top.c);
        continue;
      }
      const dc = changes.get(d);
      if (dc && !seen.has(d)) {
        seen.add(d);
        stack.push({ c: dc, next: 0 });
      }
    }
  }
}
