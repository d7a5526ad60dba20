// Before apply changes anything: each kind with the Preflight capability checks that this
// host can do what the plan asks of it (a NixOS host for microVMs), naming what is missing.

import type { Diagnostic } from "../../compile/diagnostics.js";
import { hasPreflight } from "../../kinds/driver.js";
import { KINDS } from "../../kinds/index.js";
import type { Resource } from "../../kinds/spec.js";
import type { Plan } from "../../plan/model.js";
import type { Instance } from "../project.js";

/** Every preflight problem of the resources a plan creates, updates or replaces. */
export async function preflightPlan(inst: Instance, plan: Plan): Promise<Diagnostic[]> {
  const byType = new Map<string, Resource[]>();
  for (const c of plan.resource_changes) {
    if (!c.after || !(c.action === "create" || c.action === "update" || c.action === "replace")) continue;
    const list = byType.get(c.type) ?? [];
    list.push({ address: c.address, type: c.type, attrs: c.after, dependsOn: c.depends_on });
    byType.set(c.type, list);
  }
  const diags: Diagnostic[] = [];
  for (const [type, resources] of [...byType].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const d = KINDS.driver(type);
    if (hasPreflight(d)) diags.push(...(await d.preflight(inst.ctx, resources)));
  }
  return diags;
}
