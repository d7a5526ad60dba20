// The apply workflow: lock, plan (or check a saved plan), confirm, claim the slot,
// converge, commit state, record events. The CLI only parses arguments and prints.

import * as fs from "node:fs";
import * as path from "node:path";
import { error, hasErrors, warning, type Diagnostic } from "../../compile/diagnostics.js";
import { slotPortSpecs } from "../../compile/backends/index.js";
import { slotRange, slotRequestProblem, usableSlots } from "../../compile/ports.js";
import { KINDS } from "../../kinds/index.js";
import { hasChanges, planErrors, type Plan } from "../../plan/model.js";
import { staleReason } from "../../plan/planfile.js";
import { stableStringify } from "../../plan/render/json.js";
import { targetPlan } from "../../plan/target.js";
import { globalRedactor } from "../secrets/redact.js";
import { runEngine, type EngineResult } from "../engine.js";
import { appendEvent } from "../events.js";
import { claimSlot, NoSlotError, setClaimStatus } from "../registry.js";
import { registryHost } from "../placement.js";
import { DEFAULT_REMOTE_ROOT, formatPlacement } from "../../compile/placement.js";
import { buildReachability, publishReachability, readReachability, WORKTREE_FILE, type Reachability } from "../reachability.js";
import { StateError, type InstanceMeta, type InstanceState } from "../state.js";
import { claimOf, type Project } from "../project.js";
import { engineDiagnostics, lockInstance, type Interaction } from "./common.js";
import { isStopped } from "./lifecycle.js";
import { planApply } from "./plan.js";
import { preflightPlan } from "./preflight.js";

export interface ApplyRequest extends Interaction {
  /** Apply exactly this saved plan (refused when stale). */
  saved?: { plan: Plan; file: string };
  parallelism: number;
  lockTimeoutMs: number;
  /** `--slot N` at first apply. */
  slot?: number;
  /** `--target ADDR`: only these resources and what they depend on. */
  targets?: string[];
  /** Run at this placement (already chosen: a restore seeded volumes there) instead of routing. */
  placement?: string;
}

export interface ApplyOutcome {
  diags: Diagnostic[];
  texts?: Map<string, string>;
  plan?: Plan;
  result?: EngineResult;
  /** The user answered no. */
  cancelled?: boolean;
}

export async function applyProject(p: Project, req: ApplyRequest): Promise<ApplyOutcome> {
  const lock = await lockInstance(p, req.lockTimeoutMs);
  if ("diags" in lock) return lock;
  try {
    return await applyLocked(p, req);
  } finally {
    lock.release();
  }
}

/** `--slot N`: only at first apply, and only a slot the configuration allows (0 on request). */
function slotRequest(p: Project, slot: number | undefined): Diagnostic | undefined {
  if (slot === undefined) return undefined;
  const held = claimOf(p.opts.home, p.id);
  if (held && held.slot !== slot)
    return error(`This sandbox already holds slot ${held.slot}`, { code: "usage", detail: `--slot chooses the slot at the first apply only. To move to slot ${slot}, run \`sbx destroy\` first (it removes the sandbox's containers and volumes), then \`sbx apply --slot ${slot}\`.` });
  const why = held ? undefined : slotRequestProblem(p.config.infra, slot);
  return why ? error(`Cannot claim slot ${slot}`, { code: "usage", detail: why }) : undefined;
}

async function applyLocked(p: Project, req: ApplyRequest): Promise<ApplyOutcome> {
  const home = p.opts.home;
  const bad = req.saved ? undefined : slotRequest(p, req.slot);
  if (bad) return { diags: [bad] };
  const pinned = req.saved ? (req.saved.plan.placement?.target ?? "local") : req.placement;
  let made = await planApply(p, { slot: req.saved?.plan.slot.number ?? req.slot, ...(pinned !== undefined ? { placement: pinned } : {}) });
  if (!("plan" in made)) return { diags: made.diags, texts: made.texts };
  let { plan, state } = made;
  const targeted = targetPlan(plan, req.saved?.plan.targets ?? req.targets ?? []);
  if (hasErrors(targeted.diags)) return { diags: targeted.diags, plan };
  plan = { ...targeted.plan, diagnostics: [...targeted.plan.diagnostics, ...targeted.diags] };
  if (req.saved) {
    // The saved file went through the redactor; the fresh plan is the same plan unmasked.
    const masked = globalRedactor.redact(stableStringify(plan.resource_changes)) !== stableStringify(req.saved.plan.resource_changes);
    const why = staleReason(req.saved.plan, plan) ?? (masked ? "what is running changed after the plan was created" : undefined);
    if (why) return { diags: [error("Saved plan is stale", { code: "plan-stale", detail: `The plan in ${req.saved.file} can no longer be applied because ${why}.\nRun \`sbx plan -out ${req.saved.file}\` again.` })], plan };
  } else req.show(plan);
  if (planErrors(plan).length) return { diags: planErrors(plan), plan, texts: made.texts };
  if (!hasChanges(plan)) {
    if (plan.slot.status === "held") {
      await setClaimStatus(home, p.id, isStopped(state) ? "stopped" : "running", p.opts, registryHost(p.placed.placement));
      // Nothing to converge, but what the sandbox was built from (profile versions) and
      // how to reach it may still need writing down.
      const meta = metaOf(p, plan);
      if (JSON.stringify(state.instance) !== JSON.stringify(meta)) {
        p.store.init();
        p.store.append({ op: "meta", instance: meta });
        state.instance = meta;
        p.store.commit(state);
      }
      const published = await publish(p, state, plan, false);
      return { diags: published.diags, plan };
    }
    return { diags: [], plan };
  }
  // The host must be able to do it before anything changes (no slot claim, no state, no file).
  const pre = await preflightPlan(p, plan);
  if (hasErrors(pre)) return { diags: pre, plan };
  if (!req.saved && !(await req.approve(plan, "\nDo you want to perform these actions?"))) return { diags: [], plan, cancelled: true };
  // Ctrl-C while planning or at the prompt: stop before claiming anything.
  if (req.stopRequested?.()) return { diags: [error("Interrupted", { code: "interrupted", detail: "Stopped before any change was made. Run `sbx apply` again when ready." })], plan };
  p.store.init();
  if (plan.slot.status === "to-claim") {
    const specs = slotPortSpecs(p.config);
    const range = req.slot !== undefined ? { min: req.slot, max: req.slot } : (usableSlots(specs, slotRange(p.config.infra)) ?? slotRange(p.config.infra));
    let claimed;
    try {
      const host = registryHost(p.placed.placement);
      claimed = await claimSlot({ home, instance: p.id, project: p.project, worktree: p.paths.worktree, specs, range, who: p.opts, ...(host ? { host, target: p.ctx.target, placement: formatPlacement(p.placed.placement!) } : {}) });
    } catch (e) {
      if (e instanceof NoSlotError) return { diags: [error("No slots available", { code: "slot", detail: `${e.message}. Destroy sandboxes you no longer need (sbx list; sbx destroy) or run sbx gc.` })], plan };
      throw e;
    }
    for (const line of claimed.skipped) p.opts.log(line);
    if (claimed.claim.slot !== plan.slot.number) {
      if (req.saved) return { diags: [error("Saved plan is stale", { code: "plan-stale", detail: `Slot ${plan.slot.number} was claimed by another sandbox meanwhile. Run sbx plan again.` })], plan };
      p.opts.log(`Slot ${plan.slot.number} was taken meanwhile; using slot ${claimed.claim.slot}.`);
      made = await planApply(p, { slot: claimed.claim.slot, placement: plan.placement?.target ?? "local" });
      if (!("plan" in made)) return { diags: made.diags, texts: made.texts };
      ({ plan, state } = made);
      plan = targetPlan(plan, req.targets ?? []).plan;
    }
    p.opts.log(`Claimed slot ${claimed.claim.slot}.`);
  }
  appendEvent(home, { event: "apply-started", instance: p.id, project: p.project, worktree: p.paths.worktree, slot: plan.slot.number });
  const meta = metaOf(p, plan);
  let result: EngineResult;
  try {
    p.store.append({ op: "meta", instance: meta });
    state.instance = meta;
    p.opts.log("");
    result = await runEngine({ changes: plan.resource_changes, store: p.store, state, ctx: p.ctx, kinds: KINDS, parallelism: req.parallelism, stopRequested: req.stopRequested });
    p.store.commit(state);
  } catch (e) {
    if (!(e instanceof StateError)) throw e;
    appendEvent(home, { event: "apply-failed", instance: p.id, failures: ["state"] });
    await setClaimStatus(home, p.id, "incomplete", p.opts, registryHost(p.placed.placement));
    return { diags: [error("State was lost during apply", { code: "state", detail: e.message })], plan };
  }
  const diags = engineDiagnostics(result, p.paths.worktree);
  const failed = diags.some((d) => d.severity === "error");
  appendEvent(home, { event: failed ? "apply-failed" : "apply-complete", instance: p.id, project: p.project, worktree: p.paths.worktree, slot: plan.slot.number, failures: result.failures.map((f) => f.address) });
  // The claim says how the last apply ended: never left "provisioning" after a failure or Ctrl-C.
  await setClaimStatus(home, p.id, failed ? "incomplete" : isStopped(state) ? "stopped" : "running", p.opts, registryHost(p.placed.placement));
  if (!failed) {
    // Ready: every process answered its probe and the health gate (if any) passed.
    const { doc, diags: published } = await publish(p, state, plan, true);
    diags.push(...published);
    appendEvent(home, { event: "ready", instance: p.id, project: p.project, worktree: p.paths.worktree, slot: plan.slot.number, urls: doc.urls, ports: doc.ports, expires_at: doc.expires_at });
  }
  return { diags, plan, result };
}

/** What state records about the instance: where it is, its slot, what it was built from. */
function metaOf(p: Project, plan: Plan): InstanceMeta {
  return {
    id: p.id,
    project: p.project,
    worktree: p.paths.worktree,
    main: p.paths.main,
    backend: plan.instance.backend,
    slot: plan.slot.number,
    profiles: plan.profiles.map((x) => ({ id: x.id, version: x.version, hash: x.hash })),
    ...(p.origin ? { origin: p.origin } : {}),
    // Where it runs when not here: destroy reaches it from state alone.
    ...(p.placed.placement?.kind === "ssh" ? { placement: formatPlacement(p.placed.placement), remote_root: p.placed.remoteRoot ?? DEFAULT_REMOTE_ROOT } : {}),
    ...(plan.placement?.route?.candidates.length ? { route: `${plan.placement.route.strategy}: ${plan.placement.route.chosen}, ${plan.placement.route.reason}` } : {}),
  };
}

/** Where the sandbox runs: where it was placed (recorded, configured, or chosen by a route). */
export function placementOf(p: Project): string {
  return p.placed.placement ? formatPlacement(p.placed.placement) : "local";
}

/** Write the reachability document (only when something in it changed, unless `always`). */
async function publish(p: Project, state: InstanceState, plan: Plan, always: boolean): Promise<{ doc: Reachability; diags: Diagnostic[] }> {
  const doc = buildReachability({ inst: p, state, claim: claimOf(p.opts.home, p.id), urls: plan.outputs.urls, placement: placementOf(p) });
  const old = readReachability(p, claimOf(p.opts.home, p.id));
  const same = old && JSON.stringify({ ...old, updated_at: "", time_left: null }) === JSON.stringify({ ...doc, updated_at: "", time_left: null });
  if (!always && same && fs.existsSync(path.join(p.paths.worktree, WORKTREE_FILE))) return { doc, diags: [] };
  const { problem } = await publishReachability(p, doc);
  return { doc, diags: problem ? [warning("Reachability file not written", { detail: problem })] : [] };
}
