// What the workflows share: the caller's hooks (show a plan, ask for approval, notice
// Ctrl-C), the instance lock, and the diagnostics an engine run ends with.

import * as path from "node:path";
import { error, warning, type Diagnostic } from "../../compile/diagnostics.js";
import { DriverError } from "../../kinds/driver.js";
import type { Plan } from "../../plan/model.js";
import type { EngineResult } from "../engine.js";
import { acquireLock, LockHeldError } from "../lock.js";
import type { Instance } from "../project.js";

export interface Interaction {
  /** Print the plan before asking. */
  show(plan: Plan): void;
  /** Ask the user; resolves true to go ahead. */
  approve(plan: Plan, question: string): Promise<boolean>;
  /** True once the user asked to stop (first Ctrl-C). */
  stopRequested?: () => boolean;
}

export async function lockInstance(inst: Instance, timeoutMs: number): Promise<{ release: () => void } | { diags: Diagnostic[] }> {
  try {
    const release = await acquireLock(path.join(inst.opts.home, "locks", inst.id), { what: `Sandbox ${inst.id}`, command: inst.opts.command, timeoutMs, warn: (m) => inst.opts.log(`Warning: ${m}`) });
    return { release };
  } catch (e) {
    if (e instanceof LockHeldError) return { diags: [error("Sandbox is locked", { code: "lock-held", detail: e.message })] };
    throw e;
  }
}

/** Every failure of a run as a diagnostic, with what to do next. */
export function engineDiagnostics(result: EngineResult, worktree: string): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const provision: string[] = [];
  for (const f of result.failures) {
    const de = f.error instanceof DriverError ? f.error : undefined;
    if (de?.kind === "health") diags.push(error(de.message, { code: "health", address: f.address, detail: `${de.lines.join("\n")}\n\nThe sandbox is running but not healthy. Check \`sbx logs\`, fix, and run \`sbx apply\` again.` }));
    // A driver's own report lines name what failed; a bare message gets the address.
    else if (de?.kind === "provision") provision.push(de.lines.length === 1 && de.lines[0] === de.message ? `${f.address}: ${de.message}` : de.lines.join("\n\n"));
    else diags.push(error(`${f.address}: ${f.error.message}`, { code: "provision", address: f.address, detail: "Fix the problem and run `sbx apply` again; it continues from where this run stopped." }));
  }
  if (provision.length) diags.push(error("Provisioning failed", { code: "provision", detail: `${provision.join("\n\n")}\n\nSandbox not started. After fixing, run:\n  cd ${worktree} && sbx apply` }));
  if (result.interrupted) diags.push(error("Interrupted", { code: "interrupted", detail: `Stopped after the operations in flight; state is saved.${result.skipped.length ? ` Not started: ${result.skipped.join(", ")}.` : ""} Run \`sbx apply\` to continue.` }));
  else if (result.skipped.length) diags.push(warning("Not attempted", { detail: `Something these depend on failed: ${result.skipped.join(", ")}.` }));
  for (const k of result.kept) diags.push(warning("Kept", { detail: k }));
  return diags;
}
