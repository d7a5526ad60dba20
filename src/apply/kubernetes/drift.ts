// Observed drift: compare the fields sbx sets with the live objects. Fields the server or
// other controllers add (defaults, status, injected volumes) are not drift. Pure.

import { parseQuantity } from "../../compile/kubernetes/names.js";
import type { KubeObject } from "../../compile/kubernetes/types.js";
import type { DriftReport, FieldDrift, LiveObject, ObjectDrift } from "./types.js";

/** Fields whose values are Kubernetes quantities (compared by amount: 1024Mi equals 1Gi). */
const QUANTITY_PARENTS = new Set(["limits", "requests"]);

export function keyOf(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}/${namespace ?? ""}/${name}`;
}

/** Drift of every owned planned object against the live list (from listOwned). */
export function observeDrift(desired: readonly KubeObject[], live: readonly LiveObject[]): DriftReport {
  const byKey = new Map(live.map((l) => [keyOf(l.kind, l.namespace, l.name), l]));
  const planned = new Set<string>();
  const drifted: ObjectDrift[] = [];
  for (const o of desired) {
    const m = o.manifest;
    const key = keyOf(m.kind, m.metadata.namespace, m.metadata.name);
    planned.add(key);
    const l = byKey.get(key);
    const base = { address: o.address, kind: m.kind, name: m.metadata.name, ...(m.metadata.namespace ? { namespace: m.metadata.namespace } : {}) };
    if (!l) {
      drifted.push({ ...base, status: "missing", fields: [] });
      continue;
    }
    const fields: FieldDrift[] = [];
    if (m.kind === "Secret") secretKeys(m.stringData, l.object.data, fields);
    for (const [k, v] of Object.entries(m)) {
      if (k === "stringData" || k === "apiVersion" || k === "kind") continue;
      compare(v, l.object[k], k, "", fields);
    }
    if (fields.length) drifted.push({ ...base, status: "changed", fields });
  }
  const unexpected = live.filter((l) => !planned.has(keyOf(l.kind, l.namespace, l.name)));
  return { drifted, unexpected };
}

/** A Secret drifts by its keys only; values are never read (state fingerprints track them). */
function secretKeys(desired: unknown, live: unknown, out: FieldDrift[]): void {
  const want = Object.keys((desired as Record<string, unknown>) ?? {}).sort();
  const have = Object.keys((live as Record<string, unknown>) ?? {}).sort();
  for (const k of want) if (!have.includes(k)) out.push({ path: `data.${k}`, desired: "(sensitive value)", live: undefined });
  for (const k of have) if (!want.includes(k)) out.push({ path: `data.${k}`, desired: undefined, live: "(sensitive value)" });
}

function compare(desired: unknown, live: unknown, path: string, parent: string, out: FieldDrift[]): void {
  if (Array.isArray(desired)) {
    if (!Array.isArray(live)) {
      out.push({ path, desired, live });
      return;
    }
    if (desired.every((d) => isNamed(d))) {
      // Lists of named items (containers, env, ports, volumes) match by name; extra live items are not ours.
      for (const d of desired as { name: string }[]) {
        const l = (live as unknown[]).find((x) => isNamed(x) && x.name === d.name);
        compare(d, l, `${path}[${d.name}]`, "", out);
      }
      return;
    }
    if (desired.every((d) => isMounted(d))) {
      for (const d of desired as { mountPath: string }[]) {
        const l = (live as unknown[]).find((x) => isMounted(x) && x.mountPath === d.mountPath);
        compare(d, l, `${path}[${d.mountPath}]`, "", out);
      }
      return;
    }
    if (JSON.stringify(desired) !== JSON.stringify(live)) out.push({ path, desired, live });
    return;
  }
  if (desired !== null && typeof desired === "object") {
    if (live === null || typeof live !== "object" || Array.isArray(live)) {
      out.push({ path, desired, live });
      return;
    }
    const last = path.slice(path.lastIndexOf(".") + 1);
    for (const [k, v] of Object.entries(desired)) compare(v, (live as Record<string, unknown>)[k], `${path}.${k}`, last, out);
    return;
  }
  if (QUANTITY_PARENTS.has(parent) && (typeof desired === "string" || typeof desired === "number") && (typeof live === "string" || typeof live === "number")) {
    const a = parseQuantity(desired);
    const b = parseQuantity(live);
    if (a !== undefined && b !== undefined && Math.abs(a - b) <= Math.abs(a) * 1e-9) return;
  }
  if (desired !== live) out.push({ path, desired, live });
}

function isNamed(x: unknown): x is { name: string } {
  return x !== null && typeof x === "object" && typeof (x as { name?: unknown }).name === "string" && !("mountPath" in (x as object));
}

function isMounted(x: unknown): x is { mountPath: string } {
  return x !== null && typeof x === "object" && typeof (x as { mountPath?: unknown }).mountPath === "string";
}
