// copy[...]: a file from the main repository into the worktree (kinfra's [sandbox.files]).

import type { KindSpec } from "../spec.js";

export interface CopyAttrs {
  /** Relative to the main repository. */
  source: string;
  /** Relative to the worktree. */
  dest: string;
}

export const copySpec: KindSpec<CopyAttrs> = {
  type: "copy",
  description: "a file copied from the main repository into the worktree",
  replaceOn: ["dest"],
  restartsDependents: true,
};
