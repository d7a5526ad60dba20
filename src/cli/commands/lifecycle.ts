// `sbx stop` / `sbx start`: pause and resume this sandbox, keeping its slot, volumes and
// files (kinfra's `sandbox down` / `sandbox up`). `sbx destroy` is the verb that removes.

import { claimOf, startInstance, stopInstance } from "../../apply/index.js";
import { error, hasErrors } from "../../compile/diagnostics.js";
import { durationFlag, home, instance, runOptions, type GlobalOptions, type LockFlags } from "../common.js";
import { err, finish, out } from "../output.js";
import { convergeOptions, type ApplyFlags } from "./apply.js";

/** Neither a loadable configuration nor host state names a sandbox here. */
function noSandbox(): void {
  finish([error("No sandbox here", { code: "usage", detail: "sbx knows no sandbox for this directory. Run `sbx apply` first (or `sbx worktree add <feature>` from the main checkout)." })]);
}

export async function stopCommand(g: GlobalOptions, flags: LockFlags): Promise<void> {
  const { inst, problems } = instance(runOptions(g, "sbx stop"));
  if (!inst) return noSandbox();
  if (!problems.project) err("The configuration does not load; stopping from state alone.");
  const o = await stopInstance(inst, { lockTimeoutMs: durationFlag("--lock-timeout", flags.lockTimeout, 0) });
  finish(o.diags);
  const slot = claimOf(home(), inst.id)?.slot;
  out(`Stopped sandbox ${inst.id}${slot !== undefined ? `; slot ${slot}` : ""}, volumes and files are kept. \`sbx start\` runs it again; \`sbx destroy\` removes it.`);
}

export async function startCommand(g: GlobalOptions, flags: ApplyFlags & LockFlags): Promise<void> {
  const { inst, problems } = instance(runOptions(g, "sbx start", convergeOptions(flags)));
  if (!inst) return noSandbox();
  if (!problems.project) err("The configuration does not load; starting what state records (fix it and run `sbx apply` to converge).");
  const o = await startInstance(inst, { lockTimeoutMs: durationFlag("--lock-timeout", flags.lockTimeout, 0) });
  if (hasErrors(o.diags)) return finish(o.diags);
  const claim = claimOf(home(), inst.id);
  out(`Started sandbox ${inst.id}${claim ? ` on slot ${claim.slot}: ${Object.entries(claim.ports).map(([k, v]) => `${k}=${v}`).join(" ")}` : ""}.`);
  finish(o.diags);
}
