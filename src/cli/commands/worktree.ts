// `sbx worktree add|list|done`: a git worktree per feature with its own running sandbox
// (kinfra's impl / worktrees / done).

import { addWorktree, doneWorktree, listWorktrees, type WorktreeRow } from "../../apply/index.js";
import { hasErrors } from "../../compile/diagnostics.js";
import { countFlag, durationFlag, interruptible, runOptions, type GlobalOptions } from "../common.js";
import { finish, out, printDiagnostics, styleFor } from "../output.js";
import { convergeOptions, printUrls, type ApplyFlags } from "./apply.js";

export async function worktreeAddCommand(g: GlobalOptions, feature: string, flags: ApplyFlags & { base?: string }): Promise<void> {
  const ctrlC = interruptible();
  try {
    const o = await addWorktree(runOptions(g, "sbx worktree add", convergeOptions(flags)), {
      feature,
      ...(flags.base ? { base: flags.base } : {}),
      apply: { show: () => undefined, approve: async () => true, stopRequested: ctrlC.stopRequested, parallelism: countFlag("--parallelism", flags.parallelism, 10), lockTimeoutMs: durationFlag("--lock-timeout", flags.lockTimeout, 0) },
    });
    if (!o.worktree) return finish(o.diags, o.texts);
    if (!o.applied) {
      if (!hasErrors(o.diags)) out("  No sandbox configured (no infra.toml): a plain worktree. `sbx init` proposes a configuration.");
      return finish(o.diags, o.texts);
    }
    if (hasErrors(o.diags)) {
      printDiagnostics(o.diags, o.texts);
      out(`\nWorktree preserved at ${o.worktree}. After fixing, run:\n  cd ${o.worktree} && sbx apply`);
      return finish(o.diags.filter((d) => d.severity === "error").slice(0, 1).map((d) => ({ ...d, summary: "Sandbox not started", detail: undefined, range: undefined })));
    }
    finish(o.diags, o.texts);
    if (o.applied.plan) printUrls(o.applied.plan);
    out(`\nNext: cd ${o.worktree}`);
  } finally {
    ctrlC.dispose();
  }
}

export async function worktreeListCommand(g: GlobalOptions, flags: { json?: boolean }): Promise<void> {
  const { rows, diags } = await listWorktrees(runOptions(g, "sbx worktree list"));
  if (!rows) return finish(diags);
  if (flags.json) return out(JSON.stringify(rows, null, 2));
  const w = (k: (r: WorktreeRow) => string, title: string) => Math.max(title.length, ...rows.map((r) => k(r).length));
  const name = (r: WorktreeRow) => `${r.name}${r.sbx ? "*" : ""}`;
  const branch = (r: WorktreeRow) => r.branch ?? "(detached)";
  const [nw, bw] = [w(name, "NAME"), w(branch, "BRANCH")];
  out(`${"NAME".padEnd(nw)}  ${"BRANCH".padEnd(bw)}  SLOT  ${"STATUS".padEnd(12)}  ${"TTL".padEnd(8)}  PATH`);
  for (const r of rows) {
    out(`${name(r).padEnd(nw)}  ${branch(r).padEnd(bw)}  ${String(r.slot ?? "-").padEnd(4)}  ${r.status.padEnd(12)}  ${(r.ttl ?? "-").padEnd(8)}  ${r.path}`);
    if (Object.keys(r.ports).length) out(`${" ".repeat(nw + bw + 4)}ports: ${Object.entries(r.ports).map(([k, v]) => `${k}=${v}`).join(" ")}`);
  }
  if (rows.some((r) => r.sbx)) out("\n* created by `sbx worktree add`; `sbx worktree done NAME` removes it.");
}

export async function worktreeDoneCommand(g: GlobalOptions, name: string, flags: { force?: boolean; lockTimeout?: string }): Promise<void> {
  const ctrlC = interruptible();
  try {
    const o = await doneWorktree(runOptions(g, "sbx worktree done"), {
      name,
      force: !!flags.force,
      destroy: { show: () => undefined, approve: async () => true, stopRequested: ctrlC.stopRequested, parallelism: 10, lockTimeoutMs: durationFlag("--lock-timeout", flags.lockTimeout, 0) },
    });
    if (!o.removed || !o.record) return finish(o.diags);
    finish(o.diags);
    const r = o.record;
    out(styleFor(process.stdout).bold(`Removed worktree: ${r.feature} (${r.path})`));
    if (o.destroyed?.released !== undefined) out(`  Released slot ${o.destroyed.released}`);
    out(`  Branch ${r.branch} is kept (delete it with: git branch -d ${r.branch})`);
  } finally {
    ctrlC.dispose();
  }
}
