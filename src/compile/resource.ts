// The desired graph: resources with stable addresses and fully resolved, JSON attrs.

export type ResourceType =
  | "slot"
  | "file"
  | "copy"
  | "secrets"
  | "process"
  | "health"
  | "compose";

export interface Resource {
  /** Stable name: `file.env_sandbox`, `copy["config.yaml"]`, `process.api`. */
  address: string;
  type: ResourceType;
  attrs: Record<string, unknown>;
  /** Attribute paths whose values must never be shown (rendered as "(sensitive value)"). */
  sensitive: string[];
  dependsOn: string[];
}

export interface DesiredGraph {
  resources: Resource[];
}

export function addressOf(type: string, name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) ? `${type}.${name}` : `${type}[${JSON.stringify(name)}]`;
}

/** Topological order (dependencies first); throws only on a bug (cycles are rejected at compile). */
export function topoOrder(resources: readonly Resource[]): Resource[] {
  const byAddr = new Map(resources.map((r) => [r.address, r]));
  const out: Resource[] = [];
  const seen = new Set<string>();
  const visit = (r: Resource, stack: Set<string>): void => {
    if (seen.has(r.address)) return;
    if (stack.has(r.address)) throw new Error(`bug: dependency cycle at ${r.address}`);
    stack.add(r.address);
    for (const d of r.dependsOn) {
      const dep = byAddr.get(d);
      if (dep) visit(dep, stack);
    }
    stack.delete(r.address);
    seen.add(r.address);
    out.push(r);
  };
  for (const r of [...resources].sort((a, b) => (a.address < b.address ? -1 : 1))) visit(r, new Set());
  return out;
}
