// TTL enforcement: the sandboxes on this host whose expiry has passed, and their destroy
// (from state, as gc does) with an `expired` event. gc collects sandboxes whose worktree
// is gone; expire those whose time is up, worktree or not. Neither touches a sandbox that
// has time left: the expiry is checked again under the instance's lock.

import { timeLeft } from "../../compile/duration.js";
import { claimOf, type Instance, type RunOptions } from "../project.js";
import { collect, knownInstances, type Collected, type DestroyRequest } from "./destroy.js";

export interface ExpiredInstance {
  id: string;
  project: string;
  worktree: string;
  slot: number | null;
  expires_at: string;
  /** How long ago it expired ("12m"). */
  overdue: string;
}

function passed(expiresAt: string | null | undefined, now: number): expiresAt is string {
  return !!expiresAt && Date.parse(expiresAt) <= now;
}

/** Every sandbox on this host whose expiry has passed (from the slot registry). */
export function expiredInstances(home: string, now = Date.now()): ExpiredInstance[] {
  return knownInstances(home)
    .filter((i) => passed(i.expires_at, now))
    .map((i) => ({ id: i.id, project: i.project, worktree: i.worktree, slot: i.slot, expires_at: i.expires_at!, overdue: timeLeft(new Date(now).toISOString(), Date.parse(i.expires_at!)) }))
    .sort((a, b) => (a.expires_at < b.expires_at ? -1 : 1));
}

/** Destroy every expired sandbox (each under its own lock, its expiry checked again there). */
export async function expireInstances(opts: RunOptions, req: Omit<DestroyRequest, "event" | "stillWanted" | "keepSlot" | "targets">): Promise<Collected[]> {
  const now = Date.now();
  return collect(opts, (i) => passed(i.expires_at, now), {
    ...req,
    event: "expired",
    stillWanted: (inst: Instance) => {
      const claim = claimOf(opts.home, inst.id);
      if (!claim) return "it no longer holds a slot";
      if (!claim.expires_at) return "it no longer expires";
      return passed(claim.expires_at, Date.now()) ? undefined : `its TTL was extended meanwhile (now expires at ${claim.expires_at})`;
    },
  });
}
