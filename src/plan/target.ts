// `--target ADDR`: keep only the named resources and what they need (their dependencies;
// for a destroy, what depends on them), as Terraform's -target does.

import { didYouMean } from "../compile/merge.js";
import { error, warning, type Diagnostic } from "../compile/diagnostics.js";
import { summarise, type Plan, type ResourceChange } from "./model.js";

export function targetPlan(plan: Plan, targets: readonly string[]): { plan: Plan; diags: Diagnostic[] } {
  if (!targets.length) return { plan, diags: [] };
  const byAddr = new Map(plan.resource_changes.map((c) => [c.address, c]));
  const unknown = targets.filter((t) => !byAddr.has(t));
  if (unknown.length) {
    const known = [...byAddr.keys()];
    return {
      plan,
      diags: unknown.map((t) => {
        const hint = didYouMean(t, known);
        return error(`No resource \`${t}' in this plan`, { code: "usage", detail: hint ? `Did you mean \`${hint}'?` : `Resources: ${known.join(", ")}.` });
      }),
    };
  }
  const keep = new Set<string>();
  const dependents = new Map<string, string[]>();
  for (const c of plan.resource_changes)
    for (const d of c.depends_on) {
      const list = dependents.get(d);
      if (list) list.push(c.address);
      else dependents.set(d, [c.address]);
    }
  const next = (c: ResourceChange) => (plan.mode === "destroy" ? (dependents.get(c.address) ?? []) : c.depends_on);
  const stack = [...targets];
  while (stack.length) {
    const a = stack.pop()!;
    if (keep.has(a) || !byAddr.has(a)) continue;
    keep.add(a);
    stack.push(...next(byAddr.get(a)!));
  }
  const changes = plan.resource_changes.filter((c) => keep.has(c.address));
  return {
    plan: { ...plan, targets: [...targets], resource_changes: changes, summary: summarise(changes) },
    diags: [
      warning("Resource targeting is in effect", {
        detail: `Only ${[...keep].sort().join(", ")} ${plan.mode === "destroy" ? "(with what depends on them)" : "(with what they depend on)"} are considered. The rest of the sandbox may not match the configuration afterwards; run a full \`sbx plan\` to see it.`,
      }),
    ],
  };
}
