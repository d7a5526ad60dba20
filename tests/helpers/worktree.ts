// Repositories for worktree tests: each in its own parent directory, since
// `sbx worktree add` puts worktrees next to the main checkout (../<prefix>-<feature>).

import * as fs from "node:fs";
import * as path from "node:path";
import { git, initRepo, tmpdir } from "./sbx.js";

/** A committed git repository at <fresh dir>/<name> holding `files`. */
export function repoIn(name: string, files: Record<string, string>): string {
  const dir = path.join(tmpdir("sbx-wt-"), name);
  fs.mkdirSync(dir);
  return initRepo(dir, files);
}

/** A bare repository as `origin` of `repo`, with main pushed. */
export function withOrigin(repo: string): string {
  const bare = path.join(path.dirname(repo), "origin.git");
  git(path.dirname(repo), "init", "-q", "--bare", "-b", "main", bare);
  git(repo, "remote", "add", "origin", bare);
  git(repo, "push", "-q", "-u", "origin", "main");
  return bare;
}

export function commitFile(dir: string, rel: string, text: string, message = `edit ${rel}`): void {
  fs.writeFileSync(path.join(dir, rel), text);
  git(dir, "add", rel);
  git(dir, "commit", "-qm", message);
}

export function worktreePaths(repo: string): string[] {
  return git(repo, "worktree", "list", "--porcelain")
    .split("\n")
    .filter((l) => l.startsWith("worktree "))
    .map((l) => l.slice(9));
}
