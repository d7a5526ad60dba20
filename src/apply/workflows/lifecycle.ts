// `sbx stop` and `sbx start`: pause and resume a sandbox from its state alone, keeping
// its slot, volumes and files (kinfra's `sandbox down` / `sandbox up`). Resources stop
// in reverse dependency order and start in order; each new output is journaled at once.
// The registry records "stopped", so plans and lists say so instead of calling it drift.

import { error, type Diagnostic } from "../../compile/diagnostics.js";
import { DriverError, hasStopStart, stoppedAt } from "../../kinds/driver.js";
import { KINDS } from "../../kinds/index.js";
import { appendEvent } from "../events.js";
import type { Instance } from "../project.js";
import { findClaim, readRegistry, setClaimStatus } from "../registry.js";
import type { InstanceState, StateResource } from "../state.js";
import { lockInstance } from "./common.js";
import { loadState } from "./plan.js";

export interface LifecycleOutcome {
  diags: Diagnostic[];
  /** Addresses stopped or started. */
  done: string[];
}

/** Resources in dependency order (dependencies first). */
function ordered(state: InstanceState): StateResource[] {
  const out: StateResource[] = [];
  const seen = new Set<string>();
  const visit = (r: StateResource) => {
    if (seen.has(r.address)) return;
    seen.add(r.address);
    for (const d of r.dependsOn) if (state.resources[d]) visit(state.resources[d]!);
    out.push(r);
  };
  for (const r of Object.values(state.resources).sort((a, b) => (a.address < b.address ? -1 : 1))) visit(r);
  return out;
}

/** True when any resource of the state was stopped by `sbx stop` and not started since. */
export function isStopped(state: InstanceState): boolean {
  return Object.values(state.resources).some((r) => stoppedAt(r) !== undefined);
}

async function run(inst: Instance, verb: "stop" | "start", lockTimeoutMs: number): Promise<LifecycleOutcome> {
  const lock = await lockInstance(inst, lockTimeoutMs);
  if ("diags" in lock) return { ...lock, done: [] };
  try {
    const { state, diags } = loadState(inst);
    if (!state) return { diags, done: [] };
    const movable = ordered(state).filter((r) => hasStopStart(KINDS.driver(r.type)));
    if (!movable.length) return { diags: [error("No sandbox here", { code: "usage", detail: `${inst.paths.worktree} has no applied sandbox, so there is nothing to ${verb}. Run \`sbx apply\` first.` })], done: [] };
    if (verb === "stop") movable.reverse();
    const done: string[] = [];
    const failures: Diagnostic[] = [];
    inst.store.init();
    for (const r of movable) {
      const d = KINDS.driver(r.type);
      if (!hasStopStart(d)) continue;
      inst.opts.log(`${r.address}: ${verb === "stop" ? "Stopping" : "Starting"}...`);
      try {
        const res = await d[verb](inst.ctx, r);
        const next: StateResource = { ...r, attrs: { ...r.attrs, ...(res.attrs ?? {}) }, output: res.output };
        inst.store.append({ op: "put", resource: next });
        state.resources[r.address] = next;
        done.push(r.address);
      } catch (e) {
        if (!(e instanceof DriverError)) throw e;
        failures.push(error(`${r.address}: ${e.message}`, { code: e.kind === "health" ? "health" : "provision", address: r.address, detail: e.lines.filter((l) => l !== e.message).join("\n") || undefined }));
        // Starting something whose dependency did not start is pointless; stopping carries on.
        if (verb === "start") break;
      }
    }
    inst.store.commit(state);
    const claim = findClaim(readRegistry(inst.opts.home).registry, inst.id);
    if (claim) await setClaimStatus(inst.opts.home, inst.id, isStopped(state) ? "stopped" : "running", inst.opts);
    appendEvent(inst.opts.home, { event: verb === "stop" ? "stopped" : "started", instance: inst.id, slot: claim?.slot ?? null, failures: failures.map((f) => f.address) });
    return { diags: failures, done };
  } finally {
    lock.release();
  }
}

export const stopInstance = (inst: Instance, opts: { lockTimeoutMs: number }) => run(inst, "stop", opts.lockTimeoutMs);
export const startInstance = (inst: Instance, opts: { lockTimeoutMs: number }) => run(inst, "start", opts.lockTimeoutMs);
