// `sbx recreate`: destroy everything the sandbox runs, then apply it again, on the slot it
// already holds (the claim is never released in between, so no other sandbox can take it).
// The result is a new sandbox: its TTL starts again.

import { parseDuration } from "../../compile/duration.js";
import { claimOf, type Project } from "../project.js";
import { updateExpiry } from "../reachability.js";
import { setExpiry } from "../registry.js";
import { applyProject, type ApplyOutcome, type ApplyRequest } from "./apply.js";
import { destroyInstance, type DestroyOutcome } from "./destroy.js";

export interface RecreateOutcome extends ApplyOutcome {
  destroyed?: DestroyOutcome;
}

export async function recreateProject(p: Project, req: ApplyRequest): Promise<RecreateOutcome> {
  const claim = claimOf(p.opts.home, p.id);
  if (!claim) {
    p.opts.log("No sandbox here yet: creating it.");
    return applyProject(p, req);
  }
  const destroyed = await destroyInstance(p, { ...req, keepSlot: true });
  if (destroyed.cancelled || destroyed.diags.some((d) => d.severity === "error")) return { diags: destroyed.diags, destroyed, ...(destroyed.cancelled ? { cancelled: true } : {}) };
  const applied = await applyProject(p, { ...req, slot: claim.slot });
  if (applied.diags.some((d) => d.severity === "error") || applied.cancelled) return { ...applied, destroyed };
  const ttl = p.config.infra.sandbox?.ttl;
  const ms = ttl ? parseDuration(ttl) : undefined;
  if (ms !== undefined) {
    const at = await setExpiry(p.opts.home, p.id, new Date(Date.now() + ms).toISOString(), p.opts);
    await updateExpiry(p, at);
  }
  return { ...applied, destroyed };
}
