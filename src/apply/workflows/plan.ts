// Making a plan: read state and the registry, build the desired graph for the slot,
// let drivers refine it and look at the real things, then diff. Nothing is changed.

import { error, hasErrors, warning, type Diagnostic } from "../../compile/diagnostics.js";
import { slotPortSpecs } from "../../compile/backends/index.js";
import { portsForSlot, slotRange, usableSlots } from "../../compile/ports.js";
import { hasDeletePreview, hasDiscover, hasPlanner, hasPortHolder, hasRefresh, stoppedAt } from "../../kinds/driver.js";
import { KINDS } from "../../kinds/index.js";
import type { Resource } from "../../kinds/spec.js";
import { diffResources, type PriorResource } from "../../plan/diff.js";
import { targetPlan } from "../../plan/target.js";
import { PLAN_FORMAT_VERSION, summarise, type Observation, type Plan, type PlanUrl } from "../../plan/model.js";
import { SBX_VERSION } from "../../version.js";
import { claimOf, desiredGraph, backendName, recordedSets, type Instance, type Project } from "../project.js";
import { predictSlot } from "../registry.js";
import { registryHost } from "../placement.js";
import { lockInstance } from "./common.js";
import { placeForPlan } from "./place.js";
import { StateError, type InstanceState, type StateResource } from "../state.js";

export interface PlanOutcome {
  plan: Plan;
  state: InstanceState;
  /** Texts of files named in diagnostics (compose file), for carets. */
  texts: Map<string, string>;
}

/** Load state, turning an unusable state file into a diagnostic. */
export function loadState(inst: Instance): { state?: InstanceState; diags: Diagnostic[] } {
  try {
    return { state: inst.store.load().state, diags: [] };
  } catch (e) {
    if (e instanceof StateError) return { diags: [error("Unusable state", { code: "state", detail: e.message })] };
    throw e;
  }
}

async function observe(inst: Instance, resources: readonly StateResource[]): Promise<Map<string, Observation>> {
  const observed = new Map<string, Observation>();
  await Promise.all(resources.map(async (r) => observed.set(r.address, await KINDS.driver(r.type).read(inst.ctx, r))));
  return observed;
}

/** What this instance owns in the world but state does not list (lost state, interrupted runs). */
export async function discoverOwned(inst: Instance, state: InstanceState): Promise<StateResource[]> {
  const found: StateResource[] = [];
  // Every engine is asked at once (each answer is a CLI start: docker, kubectl).
  const kinds = KINDS.all().filter((k) => hasDiscover(k.driver));
  const answers = await Promise.all(kinds.map((k) => (hasDiscover(k.driver) ? k.driver.discover(inst.ctx) : [])));
  for (const [i, k] of kinds.entries()) {
    const stateHasKind = Object.values(state.resources).some((r) => r.type === k.spec.type);
    for (const r of answers[i]!) {
      if (state.resources[r.address]) continue;
      // One stack per instance: a discovered stack is the one in state under another address.
      if (stateHasKind && k.spec.type === "compose" && Object.values(state.resources).some((s) => s.type === "compose" && s.attrs.project === r.attrs.project)) continue;
      if (stateHasKind && k.spec.type === "swarm" && Object.values(state.resources).some((s) => s.type === "swarm" && s.attrs.stack === r.attrs.stack)) continue;
      found.push(r);
    }
  }
  return found;
}

/** Ports of a held slot that some other program listens on. */
async function foreignPorts(p: Project, state: InstanceState, ports: Record<string, number>): Promise<Diagnostic[]> {
  const diags: Diagnostic[] = [];
  const target = p.ctx.target;
  // Ours: what state lists, and what carries our owner marker (left by an interrupted run).
  // Discovery asks engines (docker, kubectl), so it runs only for a busy port state cannot explain.
  let discovered: StateResource[] | undefined;
  const holds = async (rs: readonly StateResource[], port: number) => {
    for (const r of rs) {
      const d = KINDS.driver(r.type);
      if (hasPortHolder(d) && (await d.holdsPort(p.ctx, r, port))) return true;
    }
    return false;
  };
  for (const [name, port] of Object.entries(ports)) {
    if (await target.isPortFree(port)) continue;
    if (await holds(Object.values(state.resources), port)) continue;
    discovered ??= await discoverOwned(p, state);
    if (await holds(discovered, port)) continue;
    const pids = await target.portListeners(port);
    const who = pids.length && target.processes ? ` by ${pids.map((pid) => `pid ${pid} (${target.processes!.commandOf(pid)})`).join(", ")}` : "";
    diags.push(error(`Port ${port} (${name}) is in use${who}`, { code: "port", detail: "Stop that program, or destroy this sandbox and apply again to get another slot." }));
  }
  return diags;
}

function prior(state: InstanceState, discovered: StateResource[]): PriorResource[] {
  return [
    ...Object.values(state.resources).map((r) => ({ address: r.address, type: r.type, attrs: r.attrs, dependsOn: r.dependsOn })),
    ...discovered.map((r) => ({ address: r.address, type: r.type, attrs: r.attrs, dependsOn: r.dependsOn, discovered: true })),
  ];
}

function basePlan(inst: Instance, state: InstanceState, mode: Plan["mode"]): Plan {
  return {
    format_version: PLAN_FORMAT_VERSION,
    sbx_version: SBX_VERSION,
    mode,
    instance: { id: inst.id, project: inst.project, worktree: inst.paths.worktree, backend: state.instance.backend },
    slot: { number: state.instance.slot ?? 0, status: "none" },
    ports: {},
    profiles: [],
    config_hash: "",
    sets: [],
    targets: [],
    prior_state: state.serial > 0 || Object.keys(state.resources).length ? { lineage: state.lineage, serial: state.serial } : null,
    secret_fingerprints: {},
    resource_changes: [],
    summary: { add: 0, change: 0, replace: 0, destroy: 0 },
    outputs: { urls: [] },
    diagnostics: [],
  };
}

/**
 * A destroy plan from state alone, plus whatever carries this instance's owner label or
 * marker. The returned state holds the discovered resources too, so destroy acts on them;
 * computed attributes are refreshed (a stack's volumes) and each change says what its
 * delete would leave in place, so the plan names exactly what goes and what stays.
 */
export async function planDestroy(inst: Instance): Promise<PlanOutcome | { diags: Diagnostic[] }> {
  const { state, diags } = loadState(inst);
  if (!state) return { diags };
  const claim = claimOf(inst.opts.home, inst.id);
  const discovered = await discoverOwned(inst, state);
  for (const r of discovered) state.resources[r.address] = r;
  const keeps = new Map<string, string>();
  // Resources are asked at once: a stack's refresh is a docker call, a remote file's an ssh round trip.
  await Promise.all(
    Object.values(state.resources).map(async (r) => {
      const d = KINDS.driver(r.type);
      if (hasRefresh(d)) state.resources[r.address] = { ...r, attrs: { ...r.attrs, ...(await d.refresh(inst.ctx, r)) } };
      const kept = hasDeletePreview(d) ? await d.keeps(inst.ctx, r) : undefined;
      if (kept) keeps.set(r.address, kept);
    }),
  );
  const found = new Set(discovered.map((r) => r.address));
  const known = Object.values(state.resources).filter((r) => !found.has(r.address));
  const observed = await observe(inst, known);
  const fromState = { ...state, resources: Object.fromEntries(known.map((r) => [r.address, r])) };
  const changes = diffResources({ desired: [], prior: prior(fromState, Object.values(state.resources).filter((r) => found.has(r.address))), observed, mode: "destroy", specs: KINDS });
  for (const c of changes) if (keeps.has(c.address)) c.reasons.push(keeps.get(c.address)!);
  const plan = basePlan(inst, state, "destroy");
  plan.slot = { number: claim?.slot ?? state.instance.slot ?? 0, status: claim ? "held" : "none" };
  if (state.instance.placement) plan.placement = { target: state.instance.placement };
  plan.ports = claim?.ports ?? {};
  plan.resource_changes = changes;
  plan.summary = summarise(changes);
  // What was found by label joins the in-memory state, so the engine's delete sees it (with the
  // driver's output: pid, project); it reaches the state file only if its delete fails.
  for (const r of discovered) state.resources[r.address] = r;
  return { plan, state, texts: new Map() };
}

export interface ApplyPlanRequest {
  /** Use this slot (a saved plan's, or one just claimed) instead of the held or predicted one. */
  slot?: number;
  /** Use this placement (a saved plan's, or the one just chosen) instead of routing again. */
  placement?: string;
}

/** The plan to converge a project to its configuration. */
export async function planApply(p: Project, req: ApplyPlanRequest = {}): Promise<PlanOutcome | { diags: Diagnostic[]; texts?: Map<string, string> }> {
  const { state, diags: stateDiags } = loadState(p);
  if (!state) return { diags: stateDiags };
  const diags: Diagnostic[] = [];
  // Configuration errors first, before any host (maybe another one, over ssh) is asked anything.
  const early = desiredGraph(p, req.slot ?? claimOf(p.opts.home, p.id)?.slot ?? (usableSlots(slotPortSpecs(p.config), slotRange(p.config.infra)) ?? slotRange(p.config.infra)).min);
  if (hasErrors(early.diags)) return { diags: early.diags, texts: new Map([...p.config.texts, ...early.texts]) };
  // Where it runs decides the target every driver below acts through (and the slot registry).
  const placed = await placeForPlan(p, state, req.placement !== undefined ? { placement: req.placement } : {});
  if (hasErrors(placed.diags)) return { diags: placed.diags };
  const stopped = Object.values(state.resources).map(stoppedAt).find((s) => s !== undefined);
  if (stopped)
    diags.push(warning("Sandbox stopped by `sbx stop`", { detail: `Stopped at ${stopped}; its slot, volumes and files are kept, so its stopped services are not drift. \`sbx start\` runs it again (an apply that changes a service starts that service); \`sbx destroy\` removes it.` }));
  const specs = slotPortSpecs(p.config);
  const claim = claimOf(p.opts.home, p.id);
  let slot = req.slot ?? claim?.slot;
  if (slot === undefined) {
    const range = usableSlots(specs, slotRange(p.config.infra)) ?? slotRange(p.config.infra);
    const host = registryHost(p.placed.placement);
    slot = await predictSlot({ home: p.opts.home, instance: p.id, project: p.project, worktree: p.paths.worktree, specs, range, ...(host ? { host, target: p.ctx.target } : {}) });
    if (slot === undefined)
      return { diags: [error("No slots available", { code: "slot", detail: `Every slot from ${range.min} to ${range.max} is claimed or has a port in use. Destroy sandboxes you no longer need (sbx list; sbx destroy) or run sbx gc.` })] };
  }
  const built = desiredGraph(p, slot);
  for (const [k, v] of p.config.texts) if (!built.texts.has(k)) built.texts.set(k, v);
  diags.push(...built.diags);
  // Checks that load schemas first (Kubernetes manifests against the API schemas), as validate runs them.
  if (!hasErrors(diags) && built.check) diags.push(...(await built.check()));
  if (hasErrors(diags)) return { diags, texts: built.texts };
  // Drivers refine desired attributes with what only this host knows (secret fingerprints...).
  const reasons = new Map<string, string[]>();
  const forced = new Map<string, string>();
  const desired: Resource[] = [];
  for (const r of built.resources) {
    const d = KINDS.driver(r.type);
    if (!hasPlanner(d)) {
      desired.push(r);
      continue;
    }
    const refined = await d.plan(p.ctx, r, state.resources[r.address]);
    desired.push({ ...r, attrs: refined.attrs as Record<string, unknown> });
    if (refined.reasons.length) reasons.set(r.address, refined.reasons);
    if (refined.force) forced.set(r.address, refined.force);
  }
  if (claim) diags.push(...(await foreignPorts(p, state, portsForSlot(specs, slot))));
  const observed = await observe(p, Object.values(state.resources));
  const changes = diffResources({ desired, prior: prior(state, []), observed, mode: "apply", specs: KINDS, forced });
  for (const c of changes) {
    const extra = reasons.get(c.address);
    if (extra && c.action !== "no-op") c.reasons.push(...extra);
    if (state.pending?.[c.address] && !state.resources[c.address]) c.reasons.push("an interrupted run began creating it");
  }
  // A changed profile version is flagged in the heading, and is worth a reason on every resource it shapes.
  const profiles = p.config.profiles.map((x) => {
    const old = state.instance.profiles?.find((o) => o.id === x.id);
    const built = old && old.version !== x.version ? { built_from: old.version } : {};
    return { id: x.id, version: x.version, hash: x.hash, file: x.file, ...built };
  });
  for (const x of profiles) if (x.built_from !== undefined) for (const c of changes) if (c.action !== "no-op") c.reasons.push(`profile ${x.id}@${x.built_from} → ${x.id}@${x.version}`);
  if (claim?.expires_at && Date.parse(claim.expires_at) <= Date.now())
    diags.push(
      warning("This sandbox has expired", {
        detail: `Its TTL ran out at ${claim.expires_at}; \`sbx expire --apply' will destroy it. To keep it, run \`sbx extend-ttl 2h' (or apply a new sandbox.ttl).`,
      }),
    );
  const plan = basePlan(p, state, "apply");
  // The kubernetes backend keeps its fingerprints on the Secret object (no local secrets file).
  const secrets = desired.find((r) => r.type === "secrets" || r.type === "k8s.secret");
  const urls: PlanUrl[] = built.urls;
  Object.assign(plan, {
    instance: { id: p.id, project: p.project, worktree: p.paths.worktree, backend: backendName(p) },
    ...(placed.placement ? { placement: placed.placement } : {}),
    slot: { number: slot, status: claim ? "held" : "to-claim" },
    ports: portsForSlot(specs, slot),
    profiles,
    config_hash: p.configHash,
    sets: recordedSets(p.opts.sets),
    secret_fingerprints: (secrets?.attrs.fingerprints ?? {}) as Record<string, string>,
    resource_changes: changes,
    summary: summarise(changes),
    outputs: { urls },
    diagnostics: [...p.warnings, ...diags],
  } satisfies Partial<Plan>);
  return { plan, state, texts: built.texts };
}

/** `sbx plan`: under the instance lock, so it never reads state halfway through an apply. */
export async function planLocked(inst: Instance, p: Project | undefined, mode: Plan["mode"], opts: { lockTimeoutMs: number; targets?: string[] }): Promise<PlanOutcome | { diags: Diagnostic[]; texts?: Map<string, string> }> {
  const lock = await lockInstance(inst, opts.lockTimeoutMs);
  if ("diags" in lock) return lock;
  try {
    const made = mode === "destroy" || !p ? await planDestroy(inst) : await planApply(p);
    if (!("plan" in made)) return made;
    const t = targetPlan(made.plan, opts.targets ?? []);
    if (hasErrors(t.diags)) return { diags: t.diags, texts: made.texts };
    return { ...made, plan: { ...t.plan, diagnostics: [...t.plan.diagnostics, ...t.diags] } };
  } finally {
    lock.release();
  }
}
