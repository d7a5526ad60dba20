// The only place a Kubernetes Secret gets its values: at apply, from resolved references.

import type { Manifest } from "../../compile/kubernetes/types.js";

/**
 * A copy of the planned Secret with `data` (base64) from `values`, and the placeholders gone.
 * Returns the keys that had no value instead of a manifest when any is missing.
 */
export function fillSecret(planned: Manifest, values: ReadonlyMap<string, string>): { manifest: Manifest } | { missing: string[] } {
  const keys = Object.keys((planned.stringData as Record<string, string> | undefined) ?? {});
  const missing = keys.filter((k) => !values.has(k));
  if (missing.length) return { missing };
  const { stringData: _placeholders, ...rest } = planned;
  const data = Object.fromEntries(keys.map((k) => [k, Buffer.from(values.get(k)!, "utf8").toString("base64")]));
  return { manifest: { ...rest, data } };
}
