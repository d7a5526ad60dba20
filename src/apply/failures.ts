// Failures of host state that can surface anywhere (a corrupt registry, unusable state,
// a held lock), as diagnostics: the CLI's last resort before calling something a bug.

import { error, type Diagnostic } from "../compile/diagnostics.js";
import { DriverError } from "../kinds/driver.js";
import { LockHeldError } from "./lock.js";
import { RegistryError } from "./registry.js";
import { StateError } from "./state.js";
import { GitMissing } from "./git.js";
import { WorktreeStateError } from "./worktrees.js";

export function knownFailure(e: unknown): Diagnostic | undefined {
  if (e instanceof RegistryError) return error("Unusable slot registry", { code: "state", detail: e.message });
  if (e instanceof StateError) return error("Unusable state", { code: "state", detail: e.message });
  if (e instanceof LockHeldError) return error("Locked", { code: "lock-held", detail: e.message });
  if (e instanceof WorktreeStateError) return error("Unusable worktree list", { code: "state", detail: e.message });
  if (e instanceof GitMissing) return error(e.message, { code: "usage" });
  if (e instanceof DriverError) return error(e.message, { code: "provision", detail: e.lines.filter((l) => l !== e.message).join("\n") || undefined });
  return undefined;
}
