// Walks the plan's dependency graph with bounded parallelism: deletes first in reverse
// dependency order, then creates/updates/replaces. A failure stops its dependents only;
// every completed operation is journaled before the next one starts.

import type { ResourceChange } from "../plan/model.js";
import { driverFor } from "./drivers/index.js";
import { DriverError, type DriverContext } from "./drivers/types.js";
import type { StateStore, InstanceState, StateResource } from "./state.js";
import { applyEntry } from "./state.js";

export interface Failure {
  address: string;
  error: DriverError | Error;
}

export interface EngineResult {
  done: { address: string; action: ResourceChange["action"]; seconds: number }[];
  failures: Failure[];
  skipped: string[];
}

const VERB: Record<string, [string, string]> = {
  create: ["Creating...", "Creation complete"],
  update: ["Modifying...", "Modifications complete"],
  replace: ["Replacing...", "Replacement complete"],
  delete: ["Destroying...", "Destruction complete"],
};

async function runPool<T>(items: T[], parallelism: number, ready: (t: T) => boolean, blocked: (t: T) => boolean, run: (t: T) => Promise<void>): Promise<void> {
  const pending = new Set(items);
  const running = new Set<Promise<void>>();
  for (;;) {
    for (const t of [...pending]) {
      if (running.size >= parallelism) break;
      if (blocked(t)) {
        pending.delete(t);
        continue;
      }
      if (!ready(t)) continue;
      pending.delete(t);
      const p: Promise<void> = run(t).finally(() => running.delete(p));
      running.add(p);
    }
    if (!running.size) {
      // Nothing running and nothing startable: whatever is left waits on failed work.
      for (const t of pending) if (blocked(t)) pending.delete(t);
      if (!pending.size) return;
      if (![...pending].some(ready)) return;
      continue;
    }
    await Promise.race(running);
  }
}

export async function runEngine(opts: {
  changes: readonly ResourceChange[];
  store: StateStore;
  state: InstanceState;
  ctx: DriverContext;
  parallelism: number;
}): Promise<EngineResult> {
  const { store, state, ctx } = opts;
  const result: EngineResult = { done: [], failures: [], skipped: [] };
  const byAddr = new Map(opts.changes.map((c) => [c.address, c]));
  const finished = new Set<string>();
  const failed = new Set<string>();
  const note = (c: ResourceChange, start: number) => {
    const seconds = Math.round((Date.now() - start) / 1000);
    result.done.push({ address: c.address, action: c.action, seconds });
  };
  const put = (c: ResourceChange, output: Record<string, unknown>) => {
    // The secrets driver reports the real fingerprints; state keeps those, never values.
    const attrs = output.fingerprints && c.after ? { ...c.after, fingerprints: output.fingerprints } : c.after!;
    const res: StateResource = { address: c.address, type: c.type, attrs, output, dependsOn: c.depends_on, sensitive: c.sensitive };
    store.append({ op: "put", resource: res });
    applyEntry(state, { op: "put", resource: res });
  };
  const del = (address: string) => {
    store.append({ op: "delete", address });
    applyEntry(state, { op: "delete", address });
  };
  const fail = (c: ResourceChange, e: unknown) => {
    failed.add(c.address);
    result.failures.push({ address: c.address, error: e instanceof Error ? e : new Error(String(e)) });
    ctx.log(`${c.address}: ${c.action === "delete" ? "Destruction" : "Apply"} failed`);
  };

  // Phase 1: deletes, dependents before their dependencies.
  const deletes = opts.changes.filter((c) => c.action === "delete");
  const dependentsOf = (addr: string) => deletes.filter((d) => d.depends_on.includes(addr));
  await runPool(
    deletes,
    opts.parallelism,
    (c) => dependentsOf(c.address).every((d) => finished.has(d.address)),
    (c) => dependentsOf(c.address).some((d) => failed.has(d.address)),
    async (c) => {
      const prior = state.resources[c.address];
      const start = Date.now();
      ctx.log(`${c.address}: ${VERB.delete![0]}`);
      try {
        if (prior) await driverFor(c.type).delete(ctx, prior);
        del(c.address);
        finished.add(c.address);
        note(c, start);
        ctx.log(`${c.address}: ${VERB.delete![1]} after ${Math.round((Date.now() - start) / 1000)}s`);
      } catch (e) {
        fail(c, e);
      }
    },
  );
  for (const c of deletes) if (!finished.has(c.address) && !failed.has(c.address)) result.skipped.push(c.address);

  // Phase 2: everything else, dependencies first.
  const rest = opts.changes.filter((c) => c.action !== "delete");
  const depOk = (d: string) => {
    const dc = byAddr.get(d);
    return !dc || dc.action === "no-op" || finished.has(d);
  };
  const depFailed = (c: ResourceChange): boolean => c.depends_on.some((d) => failed.has(d) || result.skipped.includes(d));
  await runPool(
    rest,
    opts.parallelism,
    (c) => c.depends_on.every(depOk),
    (c) => {
      if (depFailed(c)) {
        result.skipped.push(c.address);
        failed.add(c.address);
        return true;
      }
      return false;
    },
    async (c) => {
      if (c.action === "no-op" || c.action === "read") {
        finished.add(c.address);
        return;
      }
      const driver = driverFor(c.type);
      const input = { address: c.address, type: c.type, attrs: c.after! };
      const start = Date.now();
      ctx.log(`${c.address}: ${VERB[c.action]![0]}`);
      try {
        const prior = state.resources[c.address];
        let output: Record<string, unknown>;
        if (c.action === "create") {
          // A resource missing from the world but still in state is recreated from scratch.
          if (prior) await driver.delete(ctx, prior);
          output = await driver.create(ctx, input);
        } else if (c.action === "update" && prior) {
          output = await driver.update(ctx, input, prior);
        } else {
          if (prior) {
            await driver.delete(ctx, prior);
            del(c.address);
          }
          output = await driver.create(ctx, input);
        }
        put(c, output);
        finished.add(c.address);
        note(c, start);
        const id = output.pid ? ` [pid=${String(output.pid)}]` : "";
        ctx.log(`${c.address}: ${VERB[c.action]![1]} after ${Math.round((Date.now() - start) / 1000)}s${id}`);
      } catch (e) {
        fail(c, e);
      }
    },
  );
  return result;
}
