// An InitReader over a real directory and git (what the `sbx init` command will use),
// and fixture repositories for the init tests: fixtures/init/<case>/repo copied into a
// fresh git repository, with `_gitignore` renamed to `.gitignore` (so the sbx repository
// itself does not ignore, and therefore drop, the fixture files that must be git-ignored).

import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { InitReader } from "../../src/compile/init/index.js";
import { git, ROOT, tmpdir } from "./sbx.js";

const GIT_TIMEOUT_MS = 20_000;

export const INIT_FIXTURES = path.join(ROOT, "fixtures", "init");

export function initCases(): string[] {
  return fs
    .readdirSync(INIT_FIXTURES)
    .filter((d) => fs.existsSync(path.join(INIT_FIXTURES, d, "repo")))
    .sort();
}

/** Text of a file under root; undefined when it is missing or not a regular file. */
function readText(root: string, rel: string): string | undefined {
  const abs = path.join(root, rel);
  let st: fs.Stats;
  try {
    st = fs.statSync(abs);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw e;
  }
  return st.isFile() ? fs.readFileSync(abs, "utf8") : undefined;
}

/** Files from `git ls-files` (tracked + untracked, not ignored); ignore checks through `git check-ignore`. */
export function gitInitReader(root: string): InitReader {
  const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: root, encoding: "utf8", timeout: GIT_TIMEOUT_MS })
    .split("\0")
    .filter(Boolean);
  const ignored = new Map<string, boolean>();
  return {
    read: (rel) => readText(root, rel),
    list: () => listed,
    isIgnored: (rel) => {
      let v = ignored.get(rel);
      if (v === undefined) {
        const r = spawnSync("git", ["check-ignore", "-q", "--", rel], { cwd: root, timeout: GIT_TIMEOUT_MS });
        if (r.status !== 0 && r.status !== 1) throw new Error(`git check-ignore ${rel} failed: ${r.error?.message ?? r.stderr.toString()}`);
        v = r.status === 0;
        ignored.set(rel, v);
      }
      return v;
    },
  };
}

/** A git repository holding fixtures/init/<name>/repo, committed (ignored files stay on disk, untracked). */
export function fixtureRepo(name: string): string {
  const dir = path.join(tmpdir("sbx-init-"), name);
  fs.cpSync(path.join(INIT_FIXTURES, name, "repo"), dir, { recursive: true });
  if (fs.existsSync(path.join(dir, "_gitignore"))) fs.renameSync(path.join(dir, "_gitignore"), path.join(dir, ".gitignore"));
  git(dir, "init", "-q", "-b", "main");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "fixture");
  return dir;
}
