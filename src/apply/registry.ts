// The slot registries: which instance holds which slot, claimed under a lock. One for this
// machine ($SBX_HOME/registry.json) and one per remote host this machine places sandboxes
// on ($SBX_HOME/hosts/<host>/registry.json); a host's ports are checked on that host.

import * as fs from "node:fs";
import * as path from "node:path";
import type { PortSpec } from "../compile/ports.js";
import { portsForSlot } from "../compile/ports.js";
import { writeAtomic } from "./atomic.js";
import { hostPaths } from "./host.js";
import { acquireLock } from "./lock.js";
import { localTarget } from "./target/local.js";
import type { Target } from "./target/types.js";

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
   * incomplete: the last apply failed or was interrupted (`sbx apply` continues it);
   * stopped: by `sbx stop` (slot, volumes and files kept; `sbx start` or an apply runs it again).
   */
  status: "provisioning" | "running" | "incomplete" | "stopped";
  /** Where the sandbox runs, when not on this machine (ssh://user@host). */
  placement?: string;
}

export interface Registry {
  version: 1;
  slots: Record<string, SlotClaim>;
}

const fileOf = (home: string, host?: string) => (host ? hostPaths.hostRegistry(home, host) : hostPaths.registry(home));

/** A registry: this machine's (no host), or a remote host's (its key, see registryHost). */
export function readRegistry(home: string, host?: string): { registry: Registry; warning?: string; corrupt?: boolean } {
  const file = fileOf(home, host);
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

function writeRegistry(home: string, r: Registry, host?: string): void {
  writeAtomic(fileOf(home, host), JSON.stringify(r, null, 2) + "\n");
}

/** Every registry in this $SBX_HOME: this machine's, then each remote host's. */
export function allRegistries(home: string): { host?: string; registry: Registry }[] {
  const out: { host?: string; registry: Registry }[] = [{ registry: readRegistry(home).registry }];
  const dir = path.join(home, "hosts");
  for (const h of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) if (fs.existsSync(hostPaths.hostRegistry(home, h))) out.push({ host: h, registry: readRegistry(home, h).registry });
  return out;
}

export function findClaim(r: Registry, instance: string): SlotClaim | undefined {
  return Object.values(r.slots).find((c) => c.instance === instance);
}

/** Who changes the registry: the command (recorded with the lock) and where warnings go. */
export interface RegistryCaller {
  command: string;
  log(line: string): void;
}

async function withRegistry<T>(home: string, who: RegistryCaller, fn: (r: Registry) => Promise<{ result: T; write: boolean }>, host?: string): Promise<T> {
  if (host) fs.mkdirSync(path.dirname(hostPaths.hostRegistry(home, host)), { recursive: true });
  const lock = host ? hostPaths.hostRegistryLock(home, host) : hostPaths.registryLock(home);
  const release = await acquireLock(lock, { what: host ? `The slot registry of ${host}` : "The slot registry", command: who.command, timeoutMs: 60_000, warn: (m) => who.log(`Warning: ${m}`) });
  try {
    const { registry, warning, corrupt } = readRegistry(home, host);
    if (corrupt) throw new RegistryError(warning!);
    const { result, write } = await fn(registry);
    if (write) writeRegistry(home, registry, host);
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
  /** A remote host's registry key (absent: this machine), the target its ports are checked on, and its placement. */
  host?: string;
  target?: Target;
  placement?: string;
}

async function allFree(ports: Record<string, number>, target: Target): Promise<{ ok: boolean; busy: string[] }> {
  const busy: string[] = [];
  for (const [n, p] of Object.entries(ports)) if (p < 1 || p > 65535 || !(await target.isPortFree(p))) busy.push(`${n}=${p}`);
  return { ok: busy.length === 0, busy };
}

/** First slot in range not claimed and whose ports all bind; no lock, no write (for plans). */
export async function predictSlot(req: Omit<ClaimRequest, "who">): Promise<number | undefined> {
  const { registry } = readRegistry(req.home, req.host);
  const held = findClaim(registry, req.instance);
  if (held) return held.slot;
  for (let s = req.range.min; s <= req.range.max; s++) {
    if (registry.slots[String(s)]) continue;
    if ((await allFree(portsForSlot(req.specs, s), req.target ?? localTarget)).ok) return s;
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
      const free = await allFree(ports, req.target ?? localTarget);
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
        ...(req.placement ? { placement: req.placement } : {}),
      };
      r.slots[String(s)] = claim;
      return { result: { claim, fresh: true, skipped }, write: true };
    }
    throw new NoSlotError(`No slots available (${req.range.min}-${req.range.max} all claimed or have port conflicts${req.placement ? ` on ${req.placement}` : ""})`);
  }, req.host);
}

/** `host`: the remote host's registry the claim is in (absent: this machine's). */
export async function setClaimStatus(home: string, instance: string, status: SlotClaim["status"], who: RegistryCaller, host?: string): Promise<void> {
  await withRegistry(
    home,
    who,
    async (r) => {
      const c = findClaim(r, instance);
      if (c && c.status !== status) c.status = status;
      return { result: undefined, write: !!c };
    },
    host,
  );
}

export async function releaseSlot(home: string, instance: string, who: RegistryCaller, host?: string): Promise<SlotClaim | undefined> {
  return withRegistry(
    home,
    who,
    async (r) => {
      const c = findClaim(r, instance);
      if (c) delete r.slots[String(c.slot)];
      return { result: c, write: !!c };
    },
    host,
  );
}

/** Set (or clear) the expiry of this instance's claim; returns what was recorded. */
export async function setExpiry(home: string, instance: string, expiresAt: string | null, who: RegistryCaller, host?: string): Promise<string | null> {
  return withRegistry(
    home,
    who,
    async (r) => {
      const c = findClaim(r, instance);
      if (c) c.expires_at = expiresAt;
      return { result: c ? expiresAt : null, write: !!c };
    },
    host,
  );
}
