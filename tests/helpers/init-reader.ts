// The InitReader `sbx init` uses (src/apply/init-reader.ts, re-exported here), and
// fixture repositories for the init tests: fixtures/init/<case>/repo copied into a
// fresh git repository, with `_gitignore` renamed to `.gitignore` (so the sbx repository
// itself does not ignore, and therefore drop, the fixture files that must be git-ignored).

import * as fs from "node:fs";
import * as path from "node:path";
import { git, ROOT, tmpdir } from "./sbx.js";

export { gitInitReader } from "../../src/apply/init-reader.js";

export const INIT_FIXTURES = path.join(ROOT, "fixtures", "init");

export function initCases(): string[] {
  return fs
    .readdirSync(INIT_FIXTURES)
    .filter((d) => fs.existsSync(path.join(INIT_FIXTURES, d, "repo")))
    .sort();
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
