// Finds the worktree, the main repository and the instance id for a directory.

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { execaSync } from "execa";
import type { ProjectPaths } from "../compile/config.js";

function git(cwd: string, args: string[]): string | undefined {
  const r = execaSync("git", args, { cwd, reject: false, stdin: "ignore" });
  return r.exitCode === 0 ? String(r.stdout).trim() : undefined;
}

export function projectPaths(cwd: string, env: NodeJS.ProcessEnv = process.env): ProjectPaths {
  const real = fs.realpathSync(cwd);
  const top = git(real, ["rev-parse", "--show-toplevel"]);
  const common = git(real, ["rev-parse", "--path-format=absolute", "--git-common-dir"]);
  const worktree = top ? fs.realpathSync(top) : real;
  const main = common ? fs.realpathSync(path.dirname(common)) : worktree;
  const xdgConfig = env.XDG_CONFIG_HOME || (env.HOME ? path.join(env.HOME, ".config") : undefined);
  return { cwd: real, worktree, main, xdgConfig };
}

/** Project name + short hash of the worktree's real path: each worktree is its own sandbox. */
export function instanceId(project: string, worktree: string): string {
  const h = createHash("sha256").update(worktree).digest("hex").slice(0, 8);
  return `${project.toLowerCase().replace(/[^a-z0-9_-]/g, "-")}-${h}`;
}

export const fsReader = {
  read(abs: string): string | undefined {
    try {
      const st = fs.statSync(abs);
      if (!st.isFile()) return undefined;
      return fs.readFileSync(abs, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
      throw e;
    }
  },
};
