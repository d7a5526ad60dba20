// The slot is claimed before the graph is built (ports depend on it), so create only
// checks the claim and records the expiry; delete releases it.

import { parseDuration } from "../../compile/duration.js";
import { findClaim, readRegistry, releaseSlot, setExpiry } from "../../apply/registry.js";
import type { Driver } from "../driver.js";
import type { SlotAttrs } from "./kind.js";

function expiry(ttl: string | null): string | null {
  const ms = ttl ? parseDuration(ttl) : undefined;
  return ms === undefined ? null : new Date(Date.now() + ms).toISOString();
}

export const slotDriver: Driver<SlotAttrs> = {
  type: "slot",
  async read(ctx, prior) {
    const claim = findClaim(readRegistry(ctx.home).registry, ctx.instanceId);
    if (!claim) return { status: "missing", reason: "slot claim not in the registry" };
    if (claim.slot !== prior.attrs.slot) return { status: "drifted", reason: `registry says slot ${claim.slot}`, action: "replace", observed: { slot: claim.slot } };
    return { status: "ok" };
  },
  async create(ctx, r) {
    const claim = findClaim(readRegistry(ctx.home).registry, ctx.instanceId);
    if (!claim || claim.slot !== r.attrs.slot) throw new Error(`bug: slot ${r.attrs.slot} was not claimed before apply`);
    const expires_at = await setExpiry(ctx.home, ctx.instanceId, expiry(r.attrs.ttl), ctx);
    return { output: { claimed_at: claim.claimed_at, expires_at } };
  },
  async update(ctx, r, prior) {
    if (r.attrs.ttl === prior.attrs.ttl) return { output: prior.output };
    const expires_at = await setExpiry(ctx.home, ctx.instanceId, expiry(r.attrs.ttl), ctx);
    return { output: { ...prior.output, expires_at } };
  },
  async delete(ctx) {
    await releaseSlot(ctx.home, ctx.instanceId, ctx);
  },
};
