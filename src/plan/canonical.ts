// Canonical JSON: keys sorted at every level, so a value read back from a saved plan or
// state compares equal to the same value built in memory (key order is not meaning).

export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

export function canonicalJson(v: unknown): string {
  return JSON.stringify(sortKeys(v)) ?? "undefined";
}

/** Equal as JSON values, whatever the key order. */
export function sameValue(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
