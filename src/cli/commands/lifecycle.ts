// `sbx stop` / `sbx start`: pause and resume this sandbox, keeping its slot, volumes and
// files (kinfra's `sandbox down` / `sandbox up`). `sbx destroy` is the verb that removes.

import { claimOf, startInstance, stopInstance } from "../../apply/index.js";
import { error, hasErrors } from "../../compile/diagnostics.js";
import { durationFlag, home, instance, runOptions, type GlobalOptions, type LockFlags } from "../common.js";
import { finish, out } from "../output.js";
import { convergeOptions, type ApplyFlags } from "./apply.js";

function noSandbox(problems: ReturnType<typeof instance>["problems"]): void {
  finish(problems.diags.some((d) => d.severity === "error") ? problems.diags : [error("No sandbox here", { code: "usage", detail: "Run `sbx apply` first (or `sbx worktree add <feature>`)." })], problems.texts);
}

export async function stopCommand(g: GlobalOptions, flags: LockFlags): Promise<void> {
  const { inst, problems } = instance(runOptions(g, "sbx stop"));
  if (!inst) return noSandbox(problems);
  const o = await stopInstance(inst, { lockTimeoutMs: durationFlag("--lock-timeout", flags.lockTimeout, 0) });
  finish(o.diags);
  const slot = claimOf(home(), inst.id)?.slot;
  out(`Stopped sandbox ${inst.id}${slot !== undefined ? `; slot ${slot}` : ""}, volumes and files are kept. \`sbx start\` runs it again; \`sbx destroy\` removes it.`);
}

export async function startCommand(g: GlobalOptions, flags: ApplyFlags & LockFlags): Promise<void> {
  const { inst, problems } = instance(runOptions(g, "sbx start", convergeOptions(flags)));
  if (!inst) return noSandbox(problems);
  const o = await startInstance(inst, { lockTimeoutMs: durationFlag("--lock-timeout", flags.lockTimeout, 0) });
  if (hasErrors(o.diags)) return finish(o.diags);
  const claim = claimOf(home(), inst.id);
  out(`Started sandbox ${inst.id}${claim ? ` on slot ${claim.slot}: ${Object.entries(claim.ports).map(([k, v]) => `${k}=${v}`).join(" ")}` : ""}.`);
  finish(o.diags);
}
