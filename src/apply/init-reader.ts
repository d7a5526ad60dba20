// An InitReader over a real repository: file texts from disk, the file list and ignore
// checks from git. `sbx init` plans from it; tests use it on fixture repositories too.

import { execaSync } from "execa";
import * as fs from "node:fs";
import * as path from "node:path";
import type { InitReader } from "../compile/init/index.js";

const GIT_TIMEOUT_MS = 20_000;

/** Text of a file under root; undefined when it is missing or not a regular file. */
function readText(root: string, rel: string): string | undefined {
  const abs = path.join(root, rel);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    if (["ENOENT", "ENOTDIR"].includes((e as NodeJS.ErrnoException).code ?? "")) return undefined;
    throw e;
  }
  return st.isFile() ? fs.readFileSync(abs, "utf8") : undefined;
}

/** A git command that failed in a way the user must hear about (not a repository, git missing). */
export class GitError extends Error {}

/**
 * Files from `git ls-files` (tracked and untracked, not ignored); ignore checks through
 * `git check-ignore`. Outside a git repository every file under root is listed and
 * nothing is ignored.
 */
export function gitInitReader(root: string): InitReader {
  const r = execaSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, reject: false, timeout: GIT_TIMEOUT_MS, stdin: "ignore" });
  const inGit = r.exitCode === 0;
  const listed = inGit ? String(r.stdout).split("\0").filter(Boolean) : walk(root, "");
  const ignored = new Map<string, boolean>();
  return {
    read: (rel) => readText(root, rel),
    list: () => listed,
    isIgnored: (rel) => {
      if (!inGit) return false;
      let v = ignored.get(rel);
      if (v === undefined) {
        const c = execaSync("git", ["check-ignore", "-q", "--", rel], { cwd: root, reject: false, timeout: GIT_TIMEOUT_MS, stdin: "ignore" });
        if (c.exitCode !== 0 && c.exitCode !== 1) throw new GitError(`git check-ignore ${rel} failed: ${String(c.stderr).trim() || c.shortMessage}`);
        v = c.exitCode === 0;
        ignored.set(rel, v);
      }
      return v;
    },
  };
}

/** Files under dir (POSIX relative paths), skipping dot-directories and node_modules; a bounded walk for non-git trees. */
function walk(root: string, rel: string, out: string[] = []): string[] {
  if (out.length > 20_000) return out;
  for (const e of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (e.name.startsWith(".") && e.name !== ".devops-ai") continue;
      if (e.name === "node_modules") continue;
      walk(root, r, out);
    } else if (e.isFile()) out.push(r);
  }
  return out;
}
