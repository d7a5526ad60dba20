// `sbx worktree list`: every git worktree of this repository with its sandbox (slot,
// ports, status, time left) and whether sbx created it.

import * as path from "node:path";
import { timeLeft } from "../../compile/duration.js";
import { error, type Diagnostic } from "../../compile/diagnostics.js";
import { projectPaths } from "../context.js";
import { git, worktrees } from "../git.js";
import { claimOf, findInstance, type RunOptions } from "../project.js";
import { readWorktrees } from "../worktrees.js";

export interface WorktreeRow {
  path: string;
  name: string;
  branch: string | null;
  main: boolean;
  /** Made by `sbx worktree add` (so `sbx worktree done` may remove it). */
  sbx: boolean;
  slot: number | null;
  ports: Record<string, number>;
  /** running, stopped, provisioning, "no sandbox", or "gone" (the directory no longer exists). */
  status: string;
  ttl: string | null;
}

export async function listWorktrees(opts: RunOptions): Promise<{ rows?: WorktreeRow[]; diags: Diagnostic[] }> {
  const paths = projectPaths(opts.cwd, opts.env);
  const list = await worktrees(paths.worktree);
  if (!list) {
    const why = await git(paths.worktree, ["rev-parse", "--git-dir"]);
    return { diags: [error("Not inside a git repository", { code: "usage", detail: `${opts.cwd}: ${why.message}. Run sbx worktree list from a git checkout; \`sbx list\` shows every sandbox on this host.` })] };
  }
  const made = new Map(readWorktrees(opts.home).map((r) => [r.path, r]));
  const rows = list.map((w): WorktreeRow => {
    const rec = made.get(w.path);
    const inst = findInstance(opts, w.path);
    const claim = inst ? claimOf(opts.home, inst.id) : undefined;
    return {
      path: w.path,
      name: rec?.feature ?? (w.main ? "(main)" : path.basename(w.path)),
      branch: w.branch ?? null,
      main: w.main,
      sbx: !!rec,
      slot: claim?.slot ?? null,
      ports: claim?.ports ?? {},
      status: w.prunable ? "gone" : (claim?.status ?? "no sandbox"),
      ttl: claim?.expires_at ? timeLeft(claim.expires_at) : null,
    };
  });
  return { rows, diags: [] };
}
