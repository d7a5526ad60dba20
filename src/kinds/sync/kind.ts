// sync.worktree: the worktree's files shipped to the directory a remote placement runs from.

import type { KindSpec } from "../spec.js";

export interface SyncAttrs {
  /** The worktree directory on the remote host (`<remote_root>/<instance>/worktree`). */
  path: string;
  /** Paths (relative) not shipped: the [sandbox.files] destinations, which copy[...] provisions. */
  exclude: string[];
  /** Hash of what is shipped (every file `git ls-files` lists, with its content): known at plan time. */
  hash?: string;
  /** How many files are shipped: known at plan time. */
  files?: number;
}

export const syncSpec: KindSpec<SyncAttrs> = {
  type: "sync",
  description: "the worktree's files (what git lists), shipped over ssh to the remote host's worktree directory",
  replaceOn: ["path"],
  restartsDependents: true,
  render: { exclude: "list" },
};
