// Finds the worktree, the main repository and the instance id for a directory.

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { execaSync } from "execa";
import type { ProjectPaths, SourceReader } from "../compile/config.js";
import { splitProfilePath } from "../compile/profiles.js";
import { sbxHome } from "./host.js";

function git(cwd: string, args: string[]): string | undefined {
  const r = execaSync("git", args, { cwd, reject: false, stdin: "ignore" });
  return r.exitCode === 0 ? String(r.stdout).trim() : undefined;
}

/** A directory the user named that cannot be used (-C /nonexistent). */
export class NoSuchDirectory extends Error {}

export function projectPaths(cwd: string, env: NodeJS.ProcessEnv = process.env): ProjectPaths {
  let real: string;
  try {
    real = fs.realpathSync(cwd);
  } catch {
    throw new NoSuchDirectory(`No such directory: ${cwd}`);
  }
  if (!fs.statSync(real).isDirectory()) throw new NoSuchDirectory(`Not a directory: ${cwd}`);
  // One git process for both answers (every command starts here); outside a work tree
  // (inside .git) --show-toplevel fails, so the common dir is asked alone.
  const both = git(real, ["rev-parse", "--show-toplevel", "--path-format=absolute", "--git-common-dir"])?.split("\n");
  const top = both?.length === 2 ? both[0] : undefined;
  const common = both?.length === 2 ? both[1] : git(real, ["rev-parse", "--path-format=absolute", "--git-common-dir"]);
  const worktree = top ? fs.realpathSync(top) : real;
  const main = common ? fs.realpathSync(path.dirname(common)) : worktree;
  const xdgConfig = env.XDG_CONFIG_HOME || (env.HOME ? path.join(env.HOME, ".config") : undefined);
  return { cwd: real, worktree, main, xdgConfig, sbxHome: sbxHome(env), profilePath: splitProfilePath(env.SBX_PROFILE_PATH) };
}

/** Project name + short hash of the worktree's real path: each worktree is its own sandbox. */
export function instanceId(project: string, worktree: string): string {
  const h = createHash("sha256").update(worktree).digest("hex").slice(0, 8);
  return `${project.toLowerCase().replace(/[^a-z0-9_-]/g, "-")}-${h}`;
}

/** Reads configuration and source files; a directory or unreadable file reads as absent. */
export const fsReader: SourceReader = {
  read(abs: string): string | undefined {
    try {
      const st = fs.statSync(abs);
      if (!st.isFile()) return undefined;
      return fs.readFileSync(abs, "utf8");
    } catch (e) {
      if (["ENOENT", "ENOTDIR", "EACCES"].includes((e as NodeJS.ErrnoException).code ?? "")) return undefined;
      throw e;
    }
  },
};
