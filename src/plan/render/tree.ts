// The differ: before/after values of a change plus each attribute's render hint become a
// tree of computed diffs. The text and Markdown renderers walk this tree; neither diffs.

import { diffArrays } from "diff";
import type { RenderHint } from "../../kinds/spec.js";
import type { ResourceChange } from "../model.js";

export type NodeAction = "create" | "delete" | "update" | "no-op";

export type DiffNode =
  | { kind: "primitive"; action: NodeAction; before: unknown; after: unknown }
  | { kind: "sensitive"; action: NodeAction }
  | { kind: "text"; action: NodeAction; before?: string; after?: string }
  | { kind: "map" | "object"; action: NodeAction; entries: Entry[] }
  | { kind: "list"; action: NodeAction; items: DiffNode[] };

export interface Entry {
  key: string;
  node: DiffNode;
  /** Changing this attribute forces the resource to be replaced. */
  forces?: boolean;
}

const ABSENT = Symbol("absent");
type Value = unknown | typeof ABSENT;

const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function actionOf(before: Value, after: Value, changed: boolean): NodeAction {
  if (before === ABSENT) return "create";
  if (after === ABSENT) return "delete";
  return changed ? "update" : "no-op";
}

/** Diff one value; `hint` comes from the kind's declaration for top-level attributes. */
export function diffValue(before: Value, after: Value, hint?: RenderHint): DiffNode {
  if (hint === "sensitive") return { kind: "sensitive", action: actionOf(before, after, !same(before, after)) };
  const b = before === ABSENT ? undefined : before;
  const a = after === ABSENT ? undefined : after;
  const multiline = (v: unknown) => typeof v === "string" && v.includes("\n");
  if ((hint === "text" && (typeof b === "string" || typeof a === "string")) || multiline(b) || multiline(a)) {
    if ((b === undefined || typeof b === "string") && (a === undefined || typeof a === "string"))
      return { kind: "text", action: actionOf(before, after, b !== a), before: b as string | undefined, after: a as string | undefined };
  }
  if ((isObj(b) || b === undefined) && (isObj(a) || a === undefined) && (isObj(b) || isObj(a))) {
    const keys = [...new Set([...Object.keys(b ?? {}), ...Object.keys(a ?? {})])].sort();
    const entries = keys.map((key) => ({ key, node: diffValue(b && key in b ? b[key] : ABSENT, a && key in a ? a[key] : ABSENT) }));
    // A map's keys are data (quoted); an object's are names (bare where they can be).
    return { kind: hint === "map" ? "map" : "object", action: actionOf(before, after, entries.some((e) => e.node.action !== "no-op")), entries };
  }
  if ((Array.isArray(b) || b === undefined) && (Array.isArray(a) || a === undefined) && (Array.isArray(b) || Array.isArray(a))) {
    const items: DiffNode[] = [];
    // Elements matched by a longest common subsequence, so an insertion shows as one line.
    for (const part of diffArrays((b ?? []).map((x) => JSON.stringify(x)), (a ?? []).map((x) => JSON.stringify(x)))) {
      for (const json of part.value) {
        const v = JSON.parse(json) as unknown;
        items.push(part.added ? diffValue(ABSENT, v) : part.removed ? diffValue(v, ABSENT) : diffValue(v, v));
      }
    }
    return { kind: "list", action: actionOf(before, after, items.some((i) => i.action !== "no-op")), items };
  }
  return { kind: "primitive", action: actionOf(before, after, !same(b, a)), before: b, after: a };
}

/** The attributes of one resource change as a tree. */
export function diffChange(c: ResourceChange): { kind: "object"; action: NodeAction; entries: Entry[] } {
  const before = c.action === "create" ? null : c.before;
  const after = c.action === "delete" ? null : c.after;
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
  const entries: Entry[] = keys.map((key) => {
    const hint: RenderHint | undefined = c.sensitive.includes(key) ? "sensitive" : c.render[key];
    const node = diffValue(before && key in before ? before[key] : ABSENT, after && key in after ? after[key] : ABSENT, hint);
    const forces = c.replace_paths.some((p) => p === key || p.startsWith(`${key}.`));
    return { key, node, ...(forces && node.action !== "no-op" ? { forces: true } : {}) };
  });
  const action: NodeAction = c.action === "create" ? "create" : c.action === "delete" ? "delete" : entries.some((e) => e.node.action !== "no-op") ? "update" : "no-op";
  return { kind: "object", action, entries };
}

/** The drift block of a change, as a tree: values as found now against what apply makes them. */
export function diffDrift(c: ResourceChange): { kind: "object"; action: NodeAction; entries: Entry[] } | undefined {
  if (!c.drift) return undefined;
  const keys = [...new Set([...Object.keys(c.drift.observed), ...Object.keys(c.drift.expected)])].sort();
  const entries = keys.map((key) => ({
    key,
    node: diffValue(key in c.drift!.observed ? c.drift!.observed[key] : ABSENT, key in c.drift!.expected ? c.drift!.expected[key] : ABSENT, c.sensitive.includes(key) ? "sensitive" : c.render[key]),
  }));
  return { kind: "object", action: "update", entries };
}
