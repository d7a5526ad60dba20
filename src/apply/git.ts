// The git commands the worktree workflows need, run with a deadline; every failure
// comes back as git's own message, for a diagnostic that says what to do.

import { execa } from "execa";

const TIMEOUT_MS = 60_000;

export interface GitResult {
  ok: boolean;
  stdout: string;
  /** stderr, else stdout, trimmed: what git said when it failed. */
  message: string;
}

export class GitMissing extends Error {}

export async function git(cwd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<GitResult> {
  const r = await execa("git", args, { cwd, reject: false, stdin: "ignore", timeout: TIMEOUT_MS, env: { ...(env ?? process.env), GIT_TERMINAL_PROMPT: "0" }, extendEnv: false });
  if ((r as { code?: string }).code === "ENOENT") throw new GitMissing("git is not installed or not on PATH. Install git.");
  const stdout = String(r.stdout ?? "");
  const message = (String(r.stderr ?? "").trim() || stdout.trim() || (r.timedOut ? `git ${args[0]} timed out after ${TIMEOUT_MS / 1000}s` : `git ${args[0]} failed`)).replace(/^(fatal|error): /gm, "");
  return { ok: r.exitCode === 0, stdout, message };
}

export interface GitWorktree {
  path: string;
  /** Short branch name; undefined when detached. */
  branch?: string;
  head?: string;
  /** The main working tree (first in the list). */
  main: boolean;
  /** git says its directory is gone. */
  prunable: boolean;
}

/** `git worktree list --porcelain`, parsed. */
export async function worktrees(cwd: string): Promise<GitWorktree[] | undefined> {
  const r = await git(cwd, ["worktree", "list", "--porcelain"]);
  if (!r.ok) return undefined;
  const out: GitWorktree[] = [];
  for (const block of r.stdout.split("\n\n")) {
    const lines = block.split("\n").filter(Boolean);
    const p = lines.find((l) => l.startsWith("worktree "))?.slice(9);
    if (!p) continue;
    const branch = lines.find((l) => l.startsWith("branch "))?.slice(7).replace(/^refs\/heads\//, "");
    const head = lines.find((l) => l.startsWith("HEAD "))?.slice(5);
    out.push({ path: p, ...(branch ? { branch } : {}), ...(head ? { head } : {}), main: out.length === 0, prunable: lines.some((l) => l.startsWith("prunable")) });
  }
  return out;
}

export async function branchExists(cwd: string, name: string): Promise<boolean> {
  return (await git(cwd, ["show-ref", "--verify", "--quiet", `refs/heads/${name}`])).ok;
}

/** Paths `git status` reports (modified, staged, untracked), relative to the worktree. */
export async function changedPaths(worktree: string): Promise<string[] | undefined> {
  const r = await git(worktree, ["status", "--porcelain=v1", "-z", "--untracked-files=all"]);
  if (!r.ok) return undefined;
  const out: string[] = [];
  const parts = r.stdout.split("\0");
  for (let i = 0; i < parts.length; i++) {
    const e = parts[i]!;
    if (e.length < 4) continue;
    out.push(e.slice(3));
    if (e[0] === "R" || e[0] === "C") i++; // a rename's second path
  }
  return out;
}

/** Commits on HEAD not on its upstream; undefined when the branch has no upstream. */
export async function unpushed(worktree: string): Promise<number | undefined> {
  const up = await git(worktree, ["rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{u}"]);
  if (!up.ok) return undefined;
  const r = await git(worktree, ["rev-list", "--count", "@{u}..HEAD"]);
  return r.ok ? Number(r.stdout.trim()) || 0 : undefined;
}
