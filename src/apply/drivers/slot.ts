// slot.this: the host-wide claim. It is taken before the graph is built (ports depend
// on it), so create only records it; delete releases it.

import { findClaim, readRegistry, releaseSlot } from "../registry.js";
import type { Driver } from "./types.js";

export const slotDriver = {
  type: "slot",
  async read(ctx, prior) {
    const claim = findClaim(readRegistry(ctx.home).registry, ctx.instanceId);
    if (!claim) return { status: "missing", reason: "slot claim not in the registry" };
    if (claim.slot !== prior.attrs.slot) return { status: "drifted", reason: `registry says slot ${claim.slot}`, action: "replace" };
    return { status: "ok" };
  },
  async create(ctx, r) {
    const claim = findClaim(readRegistry(ctx.home).registry, ctx.instanceId);
    if (!claim || claim.slot !== r.attrs.slot) throw new Error(`bug: slot ${String(r.attrs.slot)} was not claimed before apply`);
    return { claimed_at: claim.claimed_at };
  },
  async update(_ctx, _r, prior) {
    return prior.output;
  },
  async delete(ctx) {
    await releaseSlot(ctx.home, ctx.instanceId, ctx.command);
  },
} satisfies Driver;
