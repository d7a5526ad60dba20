// git_exclude.*: a pattern sbx adds to the repository's own `info/exclude` (in the common
// git dir, so every worktree sees it), so a file sbx writes into a worktree is never committed.

import type { KindSpec } from "../spec.js";

export interface GitExcludeAttrs {
  /** The worktree whose repository's exclude file gets the pattern. */
  worktree: string;
  /** A gitignore pattern, e.g. `/.env.sandbox`. */
  pattern: string;
}

export const gitExcludeSpec: KindSpec<GitExcludeAttrs> = {
  type: "git_exclude",
  description: "a pattern in the repository's .git/info/exclude",
  replaceOn: ["worktree"],
  restartsDependents: false,
};
