// The slot is claimed before the graph is built (ports depend on it), so create only
// checks the claim and records the expiry; delete releases it.

import { parseDuration } from "../../compile/duration.js";
import { claimSlot, findClaim, NoSlotError, readRegistry, releaseSlot, setExpiry } from "../../apply/registry.js";
import { registryHost } from "../../apply/placement.js";
import { formatPlacement } from "../../compile/placement.js";
import { DriverError, type Driver, type DriverContext, type Planner } from "../driver.js";
import type { SlotAttrs } from "./kind.js";

function expiry(ttl: string | null): string | null {
  const ms = ttl ? parseDuration(ttl) : undefined;
  return ms === undefined ? null : new Date(Date.now() + ms).toISOString();
}

/** Make sure this instance holds exactly this slot (the workflow claims it first; this also repairs a lost claim). */
async function hold(ctx: DriverContext, a: SlotAttrs): Promise<string> {
  const host = registryHost(ctx.placement);
  const held = findClaim(readRegistry(ctx.home, host).registry, ctx.instanceId);
  if (held && held.slot === a.slot) return held.claimed_at;
  const specs = Object.entries(a.ports).map(([name, port]) => ({ name, base: port, stride: 0, standard: port }));
  try {
    const r = await claimSlot({ home: ctx.home, instance: ctx.instanceId, project: a.project, worktree: ctx.worktree, specs, range: { min: a.slot, max: a.slot }, who: ctx, ...(host ? { host, target: ctx.target, placement: formatPlacement(ctx.placement!) } : {}) });
    return r.claim.claimed_at;
  } catch (e) {
    if (e instanceof NoSlotError) throw new DriverError(`Slot ${a.slot} is held by another sandbox or its ports are busy; run \`sbx apply\` again to get another slot.`, undefined, "provision");
    throw e;
  }
}

export const slotDriver: Driver<SlotAttrs> & Planner<SlotAttrs> = {
  type: "slot",
  /** A TTL change moves the expiry: say where to. */
  async plan(_ctx, desired, prior) {
    if (!prior || prior.attrs.ttl === desired.attrs.ttl) return { attrs: desired.attrs, reasons: [] };
    const at = expiry(desired.attrs.ttl);
    return { attrs: desired.attrs, reasons: [at ? `expiry moves to about ${at} (now + ${desired.attrs.ttl})` : "the sandbox will no longer expire"] };
  },
  async read(ctx, prior) {
    const claim = findClaim(readRegistry(ctx.home, registryHost(ctx.placement)).registry, ctx.instanceId);
    if (!claim) return { status: "missing", reason: "slot claim not in the registry" };
    if (claim.slot !== prior.attrs.slot) return { status: "drifted", reason: `registry says slot ${claim.slot}`, action: "replace", observed: { slot: claim.slot } };
    return { status: "ok" };
  },
  async create(ctx, r) {
    const claimed_at = await hold(ctx, r.attrs);
    const expires_at = await setExpiry(ctx.home, ctx.instanceId, expiry(r.attrs.ttl), ctx, registryHost(ctx.placement));
    return { output: { claimed_at, expires_at } };
  },
  async update(ctx, r, prior) {
    const claimed_at = await hold(ctx, r.attrs);
    if (r.attrs.ttl === prior.attrs.ttl && prior.output.claimed_at === claimed_at) return { output: prior.output };
    const expires_at = await setExpiry(ctx.home, ctx.instanceId, expiry(r.attrs.ttl), ctx, registryHost(ctx.placement));
    return { output: { ...prior.output, claimed_at, expires_at } };
  },
  async delete(ctx) {
    await releaseSlot(ctx.home, ctx.instanceId, ctx, registryHost(ctx.placement));
  },
};
