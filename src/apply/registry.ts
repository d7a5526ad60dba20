// The host-wide slot registry: which instance holds which slot, claimed under a lock.

import * as fs from "node:fs";
import type { PortSpec } from "../compile/ports.js";
import { portsForSlot } from "../compile/ports.js";
import { writeAtomic } from "./atomic.js";
import { hostPaths } from "./host.js";
import { acquireLock } from "./lock.js";
import { localTarget } from "./target/local.js";

export interface SlotClaim {
  slot: number;
  instance: string;
  project: string;
  worktree: string;
  ports: Record<string, number>;
  claimed_at: string;
  expires_at: string | null;
  /**
   * provisioning: claimed, the first apply is running; running: the last apply completed;
   * incomplete: the last apply failed or was interrupted (`sbx apply` continues it).
   */
  status: "provisioning" | "running" | "incomplete";
}

export interface Registry {
  version: 1;
  slots: Record<string, SlotClaim>;
}

export function readRegistry(home: string): { registry: Registry; warning?: string; corrupt?: boolean } {
  const file = hostPaths.registry(home);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { registry: { version: 1, slots: {} } };
    throw e;
  }
  let r: Registry | undefined;
  try {
    r = JSON.parse(text) as Registry;
  } catch {
    r = undefined; // reported below, with what to do
  }
  if (r && typeof r === "object" && r.slots && typeof r.slots === "object") return { registry: { version: 1, slots: r.slots } };
  return { registry: { version: 1, slots: {} }, warning: `${file} is not a valid slot registry. Restore it, or move it away to start over (sbx then sees no claims).`, corrupt: true };
}

/** The registry cannot be trusted: claiming or releasing over it would lose other sandboxes' slots. */
export class RegistryError extends Error {}

function writeRegistry(home: string, r: Registry): void {
  writeAtomic(hostPaths.registry(home), JSON.stringify(r, null, 2) + "\n");
}

export function findClaim(r: Registry, instance: string): SlotClaim | undefined {
  return Object.values(r.slots).find((c) => c.instance === instance);
}

/** Who changes the registry: the command (recorded with the lock) and where warnings go. */
export interface RegistryCaller {
  command: string;
  log(line: string): void;
}

async function withRegistry<T>(home: string, who: RegistryCaller, fn: (r: Registry) => Promise<{ result: T; write: boolean }>): Promise<T> {
  const release = await acquireLock(hostPaths.registryLock(home), { what: "The slot registry", command: who.command, timeoutMs: 60_000, warn: (m) => who.log(`Warning: ${m}`) });
  try {
    const { registry, warning, corrupt } = readRegistry(home);
    if (corrupt) throw new RegistryError(warning!);
    const { result, write } = await fn(registry);
    if (write) writeRegistry(home, registry);
    return result;
  } finally {
    release();
  }
}

export interface ClaimRequest {
  home: string;
  instance: string;
  project: string;
  worktree: string;
  specs: readonly PortSpec[];
  range: { min: number; max: number };
  who: RegistryCaller;
}

async function allFree(ports: Record<string, number>): Promise<{ ok: boolean; busy: string[] }> {
  const busy: string[] = [];
  for (const [n, p] of Object.entries(ports)) if (p < 1 || p > 65535 || !(await localTarget.isPortFree(p))) busy.push(`${n}=${p}`);
  return { ok: busy.length === 0, busy };
}

/** First slot in range not claimed and whose ports all bind; no lock, no write (for plans). */
export async function predictSlot(req: Omit<ClaimRequest, "who">): Promise<number | undefined> {
  const { registry } = readRegistry(req.home);
  const held = findClaim(registry, req.instance);
  if (held) return held.slot;
  for (let s = req.range.min; s <= req.range.max; s++) {
    if (registry.slots[String(s)]) continue;
    if ((await allFree(portsForSlot(req.specs, s))).ok) return s;
  }
  return undefined;
}

export class NoSlotError extends Error {}

export interface ClaimResult {
  claim: SlotClaim;
  fresh: boolean;
  skipped: string[];
}

/** Claim a slot (or return the one this instance holds). Skips slots with busy ports, like kinfra. */
export async function claimSlot(req: ClaimRequest): Promise<ClaimResult> {
  return withRegistry<ClaimResult>(req.home, req.who, async (r) => {
    const held = findClaim(r, req.instance);
    if (held) {
      const ports = portsForSlot(req.specs, held.slot);
      const changed = JSON.stringify(ports) !== JSON.stringify(held.ports);
      if (changed) held.ports = ports;
      return { result: { claim: held, fresh: false, skipped: [] }, write: changed };
    }
    const skipped: string[] = [];
    for (let s = req.range.min; s <= req.range.max; s++) {
      if (r.slots[String(s)]) continue;
      const ports = portsForSlot(req.specs, s);
      const free = await allFree(ports);
      if (!free.ok) {
        skipped.push(`Slot ${s} skipped: port ${free.busy.join(", ")} in use`);
        continue;
      }
      const claim: SlotClaim = {
        slot: s,
        instance: req.instance,
        project: req.project,
        worktree: req.worktree,
        ports,
        claimed_at: new Date().toISOString(),
        expires_at: null,
        status: "provisioning",
      };
      r.slots[String(s)] = claim;
      return { result: { claim, fresh: true, skipped }, write: true };
    }
    throw new NoSlotError(`No slots available (${req.range.min}-${req.range.max} all claimed or have port conflicts)`);
  });
}

export async function setClaimStatus(home: string, instance: string, status: SlotClaim["status"], who: RegistryCaller): Promise<void> {
  await withRegistry(home, who, async (r) => {
    const c = findClaim(r, instance);
    if (c && c.status !== status) c.status = status;
    return { result: undefined, write: !!c };
  });
}

export async function releaseSlot(home: string, instance: string, who: RegistryCaller): Promise<SlotClaim | undefined> {
  return withRegistry(home, who, async (r) => {
    const c = findClaim(r, instance);
    if (c) delete r.slots[String(c.slot)];
    return { result: c, write: !!c };
  });
}

/** Set (or clear) the expiry of this instance's claim; returns what was recorded. */
export async function setExpiry(home: string, instance: string, expiresAt: string | null, who: RegistryCaller): Promise<string | null> {
  return withRegistry(home, who, async (r) => {
    const c = findClaim(r, instance);
    if (c) c.expires_at = expiresAt;
    return { result: c ? expiresAt : null, write: !!c };
  });
}
