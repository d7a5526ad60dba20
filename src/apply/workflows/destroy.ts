// The destroy workflow, from state alone (the worktree may be gone or its config broken),
// plus what carries this instance's owner label or marker; then the slot and state dir go.
// And gc: the same destroy for every sandbox whose worktree no longer exists.

import * as fs from "node:fs";
import * as path from "node:path";
import { hasErrors, warning, type Diagnostic } from "../../compile/diagnostics.js";
import { KINDS } from "../../kinds/index.js";
import { hasChanges, summarise, type Plan } from "../../plan/model.js";
import { targetPlan } from "../../plan/target.js";
import { runEngine, type EngineResult } from "../engine.js";
import { appendEvent, type EventName } from "../events.js";
import { hostPaths } from "../host.js";
import { claimOf, instanceFor, type Instance, type RunOptions } from "../project.js";
import { allRegistries, releaseSlot } from "../registry.js";
import { withdrawReachability } from "../reachability.js";
import { StateStore } from "../state.js";
import { engineDiagnostics, lockInstance, type Interaction } from "./common.js";
import { planDestroy } from "./plan.js";

export interface DestroyRequest extends Interaction {
  lockTimeoutMs: number;
  parallelism: number;
  /** The event to record ("destroyed", or "collected" / "expired" for gc and expire). */
  event?: EventName;
  /** `--target ADDR`: only these resources and what depends on them; the slot and state dir stay. */
  targets?: string[];
  /**
   * Checked under the instance lock before anything happens: a reason not to destroy after
   * all (expire: the TTL was extended meanwhile). The outcome then says `skipped`.
   */
  stillWanted?: (inst: Instance) => string | undefined;
  /** Recreate: destroy everything but the slot claim, which this instance keeps (state stays). */
  keepSlot?: boolean;
}

export interface DestroyOutcome {
  diags: Diagnostic[];
  plan?: Plan;
  result?: EngineResult;
  cancelled?: boolean;
  released?: number;
  /** Why nothing was done (stillWanted said no). */
  skipped?: string;
}

/** Remove the state dir, keeping backups of originals a kept file still needs. */
function removeStateDir(inst: Instance, result: EngineResult | undefined, kept?: string): void {
  const keepBackups = [...(result?.kept ?? []), kept ?? ""].some((k) => k.includes("restore the original"));
  if (!fs.existsSync(inst.stateDir)) return;
  if (!keepBackups) {
    fs.rmSync(inst.stateDir, { recursive: true, force: true });
    return;
  }
  for (const e of fs.readdirSync(inst.stateDir)) if (e !== "backups") fs.rmSync(path.join(inst.stateDir, e), { recursive: true, force: true });
}

/** Keep only the state and the backups the resources still in it need. */
function pruneStateDir(inst: Instance): void {
  const keep = new Set(["state.json", "state.json.backup", "backups"]);
  for (const e of fs.readdirSync(inst.stateDir)) if (!keep.has(e)) fs.rmSync(path.join(inst.stateDir, e), { recursive: true, force: true });
}

export async function destroyInstance(inst: Instance, req: DestroyRequest): Promise<DestroyOutcome> {
  const lock = await lockInstance(inst, req.lockTimeoutMs);
  if ("diags" in lock) return lock;
  try {
    const skipped = req.stillWanted?.(inst);
    if (skipped) return { diags: [], skipped };
    const made = await planDestroy(inst);
    if (!("plan" in made)) return { diags: made.diags };
    const { state } = made;
    const targeted = targetPlan(req.keepSlot ? withoutSlot(made.plan) : made.plan, req.targets ?? []);
    if (hasErrors(targeted.diags)) return { diags: targeted.diags };
    const plan = { ...targeted.plan, diagnostics: [...targeted.plan.diagnostics, ...targeted.diags] };
    if (req.keepSlot && !hasChanges(plan)) return { diags: [], plan };
    req.show(plan);
    if (!hasChanges(plan) && plan.slot.status === "none") {
      const kept = await withdrawReachability(inst);
      removeStateDir(inst, undefined, kept);
      return { diags: kept ? [warning("Kept", { detail: kept })] : [], plan };
    }
    if (!(await req.approve(plan, "\nDo you really want to destroy all resources of this sandbox?"))) return { diags: [], plan, cancelled: true };
    let result: EngineResult | undefined;
    if (hasChanges(plan)) {
      inst.store.init();
      result = await runEngine({ changes: plan.resource_changes, store: inst.store, state, ctx: inst.ctx, kinds: KINDS, parallelism: req.parallelism, stopRequested: req.stopRequested });
      const diags = engineDiagnostics(result, inst.paths.worktree);
      if (result.failures.length || result.interrupted || req.targets?.length || req.keepSlot) {
        inst.store.commit(state);
        const clean = !result.failures.length && !result.interrupted;
        if (req.keepSlot && clean) appendEvent(inst.opts.home, { event: "destroyed", instance: inst.id, project: inst.project, worktree: inst.paths.worktree, slot: plan.slot.number, slot_kept: true });
        return { diags: [...targeted.diags, ...diags], plan, result };
      }
    }
    const kept = await withdrawReachability(inst);
    const released = await releaseSlot(inst.opts.home, inst.id, inst.opts, claimOf(inst.opts.home, inst.id)?.host);
    const slot = released?.slot ?? (plan.slot.status === "held" ? plan.slot.number : undefined);
    // Files kept because they were edited stay sbx's: their state (and the originals
    // they would restore) stays for `sbx destroy --force`. Everything else goes.
    if (result?.retained.length) {
      state.instance = { ...state.instance, slot: null };
      inst.store.commit(state);
      pruneStateDir(inst);
    } else removeStateDir(inst, result, kept);
    appendEvent(inst.opts.home, { event: req.event ?? "destroyed", instance: inst.id, project: inst.project, worktree: inst.paths.worktree, slot: slot ?? null });
    const diags = result ? engineDiagnostics(result, inst.paths.worktree) : [];
    if (kept) diags.push(warning("Kept", { detail: kept }));
    return { diags, plan, result, released: slot };
  } finally {
    lock.release();
  }
}

/** The destroy plan without the slot claim (recreate keeps it). */
function withoutSlot(plan: Plan): Plan {
  const changes = plan.resource_changes.filter((c) => c.type !== "slot");
  return { ...plan, resource_changes: changes, summary: summarise(changes) };
}

export interface Collected {
  instance: string;
  worktree: string;
  slot: number | null;
  outcome: DestroyOutcome;
}

/** Every instance on this host: from registry claims and from instance state dirs. */
export function knownInstances(home: string): { id: string; project: string; worktree: string; main: string; slot: number | null; expires_at: string | null }[] {
  const out = new Map<string, { id: string; project: string; worktree: string; main: string; slot: number | null; expires_at: string | null }>();
  for (const c of allRegistries(home).flatMap((r) => Object.values(r.registry.slots))) out.set(c.instance, { id: c.instance, project: c.project, worktree: c.worktree, main: c.worktree, slot: c.slot, expires_at: c.expires_at });
  const dir = path.join(home, "instances");
  for (const id of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
    const store = new StateStore(hostPaths.instance(home, id));
    if (!store.exists()) continue;
    let meta;
    try {
      meta = store.load().state.instance;
    } catch {
      continue; // unreadable state: `sbx list` reports it, gc leaves it for a person
    }
    const known = out.get(id);
    out.set(id, { id, project: meta.project || known?.project || "", worktree: meta.worktree || known?.worktree || "", main: meta.main || meta.worktree, slot: known?.slot ?? meta.slot, expires_at: known?.expires_at ?? null });
  }
  return [...out.values()];
}

/** Destroy, from state, every sandbox matching `select`; then release its slot and state dir. */
export async function collect(opts: RunOptions, select: (i: ReturnType<typeof knownInstances>[number]) => boolean, req: DestroyRequest): Promise<Collected[]> {
  const done: Collected[] = [];
  for (const i of knownInstances(opts.home).filter(select)) {
    const inst = instanceFor(opts, i);
    const outcome = await destroyInstance(inst, req);
    done.push({ instance: i.id, worktree: i.worktree, slot: outcome.released ?? claimOf(opts.home, i.id)?.slot ?? i.slot, outcome });
  }
  return done;
}
