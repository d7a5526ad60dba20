// Walks the plan's dependency graph with bounded parallelism: deletes first, dependents
// before their dependencies; then creates, updates and replaces, dependencies first. A
// failure stops its dependents only. Each operation's intent is journaled (fsync) before
// it starts, so a crash at any point is recovered by the next run.

import type { DeleteResult, DriverContext, KindRegistry } from "../kinds/driver.js";
import type { Resource } from "../kinds/spec.js";
import type { ResourceChange } from "../plan/model.js";
import { applyEntry, StateError, type InstanceState, type JournalEntry, type StateResource, type StateStore } from "./state.js";

export interface Failure {
  address: string;
  error: Error;
}

export interface EngineResult {
  done: { address: string; action: ResourceChange["action"]; seconds: number }[];
  failures: Failure[];
  /** Not attempted: something they depend on failed, or the run was interrupted. */
  skipped: string[];
  /** What deletes deliberately left in place, with why. */
  kept: string[];
  /** Addresses whose delete kept something that is still sbx's: they stay in state (`--force` finishes them). */
  retained: string[];
  interrupted: boolean;
}

export interface EngineOptions {
  changes: readonly ResourceChange[];
  store: StateStore;
  state: InstanceState;
  ctx: DriverContext;
  kinds: KindRegistry;
  parallelism: number;
  /** Polled before each operation starts: true stops starting new ones (Ctrl-C). */
  stopRequested?: () => boolean;
}

const VERB: Record<string, [string, string]> = {
  create: ["Creating...", "Creation complete"],
  update: ["Modifying...", "Modifications complete"],
  replace: ["Replacing...", "Replacement complete"],
  delete: ["Destroying...", "Destruction complete"],
};

const STILL_EVERY_MS = 10_000;

type JobState = "waiting" | "running" | "done" | "failed" | "skipped";

interface Job {
  change: ResourceChange;
  state: JobState;
  /** Prerequisites not yet done. */
  waiting: number;
  /** Jobs that wait on this one. */
  next: Job[];
}

/** Build jobs where `prereqs(c)` names the addresses that must finish first. */
function jobsFor(changes: readonly ResourceChange[], prereqs: (c: ResourceChange) => string[]): Job[] {
  const jobs = changes.map((change): Job => ({ change, state: "waiting", waiting: 0, next: [] }));
  const byAddr = new Map(jobs.map((j) => [j.change.address, j]));
  for (const j of jobs)
    for (const a of prereqs(j.change)) {
      const p = byAddr.get(a);
      if (!p || p === j) continue;
      p.next.push(j);
      j.waiting++;
    }
  return jobs;
}

/**
 * Run jobs as their prerequisites finish; every job and edge is looked at once. `begin`
 * sees each batch of jobs about to start together (their intents share one fsync).
 */
async function schedule(jobs: Job[], parallelism: number, run: (j: Job) => Promise<boolean>, stop: () => boolean, begin: (batch: Job[]) => void): Promise<void> {
  const ready = jobs.filter((j) => j.waiting === 0);
  let running = 0;
  let wake: (() => void) | undefined;
  // With an explicit stack: a failure at the root of a long chain must not exhaust the call stack.
  const skip = (first: Job) => {
    const todo = [first];
    for (let j = todo.pop(); j; j = todo.pop()) {
      if (j.state !== "waiting") continue;
      j.state = "skipped";
      todo.push(...j.next);
    }
  };
  for (;;) {
    const batch: Job[] = [];
    while (ready.length && running + batch.length < parallelism && !stop()) {
      const j = ready.shift()!;
      if (j.state === "waiting") batch.push(j);
    }
    if (batch.length) begin(batch);
    for (const j of batch) {
      j.state = "running";
      running++;
      void run(j).then((ok) => {
        running--;
        j.state = ok ? "done" : "failed";
        for (const n of j.next) {
          if (!ok) skip(n);
          else if (--n.waiting === 0) ready.push(n);
        }
        wake?.();
      });
    }
    if (running === 0) break;
    await new Promise<void>((r) => (wake = r));
    wake = undefined;
  }
  for (const j of jobs) if (j.state === "waiting") j.state = "skipped";
}

export async function runEngine(opts: EngineOptions): Promise<EngineResult> {
  const { store, state, ctx, kinds } = opts;
  const result: EngineResult = { done: [], failures: [], skipped: [], kept: [], retained: [], interrupted: false };
  // State that can no longer be written (its directory vanished) ends the run: nothing
  // more is started, and the error is thrown once the operations in flight have finished.
  let lost: StateError | undefined;
  const stop = () => {
    if (opts.stopRequested?.()) result.interrupted = true;
    return result.interrupted || !!lost;
  };
  const keep = (address: string, r: DeleteResult | void) => {
    if (!r?.kept) return;
    result.kept.push(r.kept);
    ctx.log(`${address}: ${r.kept}`);
  };
  // What an earlier run began and did not finish (this run's own intents come later).
  const leftPending = new Set(Object.keys(state.pending ?? {}));
  // Completions wait for the next intent's fsync (group commit); a crash before that
  // leaves the intent, and the next run recovers from it.
  let unsynced: JournalEntry[] = [];
  const journal = (e: JournalEntry, sync: boolean) => {
    unsynced.push(e);
    applyEntry(state, e);
    if (sync) {
      store.append(...unsynced);
      unsynced = [];
    }
  };

  const runOne = async (j: Job): Promise<boolean> => {
    const c = j.change;
    if (c.action === "no-op" || c.action === "read") return true;
    if (lost) return false;
    const driver = kinds.driver(c.type);
    // A resource found by its owner label (state lost) is deleted from what discovery saw.
    const prior =
      state.resources[c.address] ?? (c.action === "delete" && c.discovered && c.before ? { address: c.address, type: c.type, attrs: c.before, output: {}, dependsOn: c.depends_on } : undefined);
    const recovering = !prior && leftPending.has(c.address);
    const start = Date.now();
    const [begin, end] = VERB[c.action]!;
    ctx.log(`${c.address}: ${begin}`);
    const verb = begin.replace("...", "");
    ctx.progress?.({ address: c.address, phase: "begin", verb });
    const still = setInterval(() => ctx.log(`${c.address}: Still ${begin.replace("...", "").toLowerCase()}... [${Math.round((Date.now() - start) / 1000)}s elapsed]`), STILL_EVERY_MS);
    try {
      const desired: Resource = { address: c.address, type: c.type, attrs: c.after ?? {}, dependsOn: c.depends_on };
      if (c.action === "delete") {
        const r = prior ? await driver.delete(ctx, prior) : undefined;
        keep(c.address, r);
        if (r?.needsForce && prior) {
          // Still sbx's: it stays in state (which also settles the intent) for `--force`.
          journal({ op: "put", resource: { ...prior, output: r.output ?? prior.output } }, false);
          result.retained.push(c.address);
          return true;
        }
        journal({ op: "delete", address: c.address }, false);
      } else {
        let out;
        if (c.action === "update" && prior) out = await driver.update(ctx, desired, prior);
        else {
          // Replace, or recreate something missing from the world but still in state.
          if (prior) {
            keep(c.address, await driver.delete(ctx, prior, { replacedBy: desired }));
            journal({ op: "delete", address: c.address }, false);
            journal({ op: "intent", address: c.address, action: "create" }, true);
          }
          out = await driver.create(ctx, desired, { recovering });
        }
        const res: StateResource = { address: c.address, type: c.type, attrs: { ...desired.attrs, ...(out.attrs ?? {}) }, output: out.output, dependsOn: c.depends_on };
        journal({ op: "put", resource: res }, false);
      }
      const seconds = Math.round((Date.now() - start) / 1000);
      result.done.push({ address: c.address, action: c.action, seconds });
      const id = typeof (state.resources[c.address]?.output as { pid?: unknown } | undefined)?.pid === "number" ? ` [pid=${String(state.resources[c.address]!.output.pid)}]` : "";
      ctx.progress?.({ address: c.address, phase: "done", verb });
      ctx.log(`${c.address}: ${end} after ${seconds}s${id}`);
      return true;
    } catch (e) {
      ctx.progress?.({ address: c.address, phase: "failed", verb });
      if (e instanceof StateError) {
        lost ??= e;
        return false;
      }
      const error = e instanceof Error ? e : new Error(String(e));
      result.failures.push({ address: c.address, error });
      ctx.log(`${c.address}: ${c.action === "delete" ? "Destruction" : "Apply"} failed`);
      return false;
    } finally {
      clearInterval(still);
    }
  };

  // One fsync for the intents of every operation that starts together.
  const begin = (batch: Job[]) => {
    const intents = batch.filter((j) => j.change.action !== "no-op" && j.change.action !== "read");
    try {
      intents.forEach((j, i) => journal({ op: "intent", address: j.change.address, action: j.change.action }, i === intents.length - 1));
    } catch (e) {
      // No durable intent, so these must not act: runOne sees `lost` and returns at once.
      if (!(e instanceof StateError)) throw e;
      lost ??= e;
    }
  };

  const deletes = opts.changes.filter((c) => c.action === "delete");
  const deleteOf = new Set(deletes.map((c) => c.address));
  // A delete waits for the deletes of everything that depends on it.
  const dependents = new Map<string, string[]>();
  for (const c of deletes)
    for (const d of c.depends_on)
      if (deleteOf.has(d)) {
        const list = dependents.get(d);
        if (list) list.push(c.address);
        else dependents.set(d, [c.address]);
      }
  const deleteJobs = jobsFor(deletes, (c) => dependents.get(c.address) ?? []);
  await schedule(deleteJobs, opts.parallelism, runOne, stop, begin);

  const rest = opts.changes.filter((c) => c.action !== "delete");
  const restJobs = jobsFor(rest, (c) => c.depends_on);
  // Something whose dependency could not be deleted-and-recreated is not attempted.
  const failedDeletes = new Set(deleteJobs.filter((j) => j.state !== "done").map((j) => j.change.address));
  for (const j of restJobs) if (j.change.depends_on.some((d) => failedDeletes.has(d))) j.state = "skipped";
  await schedule(restJobs, opts.parallelism, runOne, stop, begin);

  if (lost) throw lost;
  store.append(...unsynced);
  for (const j of [...deleteJobs, ...restJobs]) if (j.state === "skipped") result.skipped.push(j.change.address);
  return result;
}
