// `sbx destroy`: removes, in reverse dependency order, exactly what state (and owner
// markers, after state loss) says this sandbox created, then releases the slot.

import * as fs from "node:fs";
import { runEngine } from "../../apply/engine.js";
import { ownedProcesses, stopGroup } from "../../apply/procs.js";
import { releaseSlot } from "../../apply/registry.js";
import { appendEvent, planSession } from "../../apply/session.js";
import { hasChanges } from "../../plan/model.js";
import { confirm, home, lockInstance, open, type CommonFlags, type GlobalOptions } from "../common.js";
import { err, Exit, out, styleFor } from "../output.js";
import { reportFailures } from "./apply.js";
import { printPlan } from "./plan.js";

export interface DestroyFlags extends CommonFlags {
  autoApprove?: boolean;
  json?: boolean;
}

export async function destroyCommand(g: GlobalOptions, flags: DestroyFlags): Promise<void> {
  const s = open(g, "sbx destroy", flags);
  const release = await lockInstance(s, "sbx destroy", flags);
  try {
    const { plan, state } = await planSession(s, "destroy");
    const strays = ownedProcesses(s.id);
    printPlan(plan, { json: flags.json });
    if (!hasChanges(plan) && !strays.length && plan.slot.status === "none") {
      if (fs.existsSync(s.stateDir)) fs.rmSync(s.stateDir, { recursive: true, force: true });
      return;
    }
    if (!(await confirm("\nDo you really want to destroy all resources of this sandbox?", !!flags.autoApprove))) {
      err("Destroy cancelled.");
      throw new Exit(1);
    }
    const result = await runEngine({ changes: plan.resource_changes, store: s.store, state, ctx: s.ctx, parallelism: 10 });
    // Anything still carrying our owner marker (state lost, interrupted run) goes too.
    for (const p of ownedProcesses(s.id)) {
      out(`${p.address}: stopping stray process ${p.pid}`);
      await stopGroup(p.pid, 5000);
    }
    if (result.failures.length) {
      s.store.commit(state);
      throw new Exit(reportFailures(s, result) || 1);
    }
    const released = await releaseSlot(home(), s.id, "sbx destroy");
    fs.rmSync(s.stateDir, { recursive: true, force: true });
    appendEvent(home(), { event: "destroyed", instance: s.id, slot: released?.slot ?? null });
    out(`\n${styleFor(process.stdout).bold(`Destroy complete! Resources: ${result.done.length} destroyed.`)}${released ? ` Released slot ${released.slot}.` : ""}`);
  } finally {
    release();
  }
}
