// `sbx destroy`: removes exactly what state (and owner labels, after state loss) says
// this sandbox created, then releases the slot. Works without a loadable configuration.

import { destroyInstance } from "../../apply/index.js";
import { hasErrors } from "../../compile/diagnostics.js";
import { approver, checkHostConfig, countFlag, durationFlag, instance, interruptible, runOptions, type GlobalOptions, type LockFlags } from "../common.js";
import { err, Exit, finish, out, styleFor } from "../output.js";
import { printPlan } from "./plan.js";

export interface DestroyFlags extends LockFlags {
  autoApprove?: boolean;
  force?: boolean;
  json?: boolean;
  concise?: boolean;
  parallelism?: string;
  target?: string[];
}

export async function destroyCommand(g: GlobalOptions, flags: DestroyFlags): Promise<void> {
  checkHostConfig();
  const opts = runOptions(g, "sbx destroy", { force: !!flags.force });
  const { inst, problems } = instance(opts);
  if (!inst) {
    // Destroy needs no configuration: a broken one is worth a note, not an error, when there is nothing to destroy.
    out(`No sandbox here: nothing to destroy.${problems.diags.length ? " (The configuration here does not load; `sbx validate` shows why.)" : ""}`);
    return;
  }
  if (problems.diags.length && !problems.project) err("The configuration does not load; destroying from state alone.");
  const ctrlC = interruptible();
  try {
    const o = await destroyInstance(inst, {
      show: (plan) => printPlan(plan, { json: flags.json, concise: flags.concise }),
      approve: approver(!!flags.autoApprove),
      stopRequested: ctrlC.stopRequested,
      lockTimeoutMs: durationFlag("--lock-timeout", flags.lockTimeout, 0),
      parallelism: countFlag("--parallelism", flags.parallelism, 10),
      targets: flags.target,
    });
    if (o.cancelled) {
      err("Destroy cancelled.");
      throw new Exit(1);
    }
    if (hasErrors(o.diags) || !o.plan) return finish(o.diags);
    finish(o.diags);
    if (!o.result && o.released === undefined) return;
    const count = o.result?.done.length ?? 0;
    out(`\n${styleFor(process.stdout).bold(`Destroy complete! Resources: ${count} destroyed.`)}${o.released !== undefined ? ` Released slot ${o.released}.` : ""}`);
  } finally {
    ctrlC.dispose();
  }
}
