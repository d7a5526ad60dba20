// `sbx worktree add <feature>`: `git worktree add ../<prefix>-<feature> -b <feature>`
// (kinfra's naming: `[project] prefix`, else the name), recorded as made by sbx, then
// the sandbox applied there. A failed apply keeps the worktree and says how to retry.

import * as fs from "node:fs";
import * as path from "node:path";
import { findConfigDir } from "../../compile/config.js";
import { error, warning, type Diagnostic } from "../../compile/diagnostics.js";
import { fsReader, projectPaths } from "../context.js";
import { branchExists, git } from "../git.js";
import { openProject, type RunOptions } from "../project.js";
import { updateWorktrees } from "../worktrees.js";
import { applyProject, type ApplyOutcome, type ApplyRequest } from "./apply.js";

export const FEATURE_NAME = /^[A-Za-z0-9_-]+$/;

export interface WorktreeAddRequest {
  feature: string;
  /** Start the new branch here (default: HEAD of the current worktree). */
  base?: string;
  apply: Omit<ApplyRequest, "saved">;
}

export interface WorktreeAddOutcome {
  diags: Diagnostic[];
  texts?: Map<string, string>;
  worktree?: string;
  branch?: string;
  newBranch?: boolean;
  /** Undefined when the repository has no sandbox configuration (a plain worktree). */
  applied?: ApplyOutcome;
}

const usage = (summary: string, detail: string) => ({ diags: [error(summary, { code: "usage", detail })] });

export async function addWorktree(opts: RunOptions, req: WorktreeAddRequest): Promise<WorktreeAddOutcome> {
  const { feature } = req;
  if (!FEATURE_NAME.test(feature)) return usage(`Invalid feature name \`${feature}'`, "A feature name uses only letters, digits, - and _ (it names the branch and the directory), e.g. sbx worktree add login-form.");
  const paths = projectPaths(opts.cwd, opts.env);
  const common = await git(paths.worktree, ["rev-parse", "--path-format=absolute", "--git-common-dir"]);
  if (!common.ok) return usage("Not inside a git repository", `${opts.cwd}: ${common.message}. Run sbx worktree add from a git checkout.`);
  const diags: Diagnostic[] = [];
  // The configuration of the current checkout names the prefix; the new worktree must carry it committed.
  const found = findConfigDir(paths, fsReader);
  let prefix = path.basename(paths.main);
  let project: string | undefined;
  if (found?.infraFile) {
    const loaded = openProject(opts);
    if (!loaded.project) return { diags: loaded.diags, texts: loaded.texts };
    project = loaded.project.project;
    prefix = loaded.project.config.infra.project?.prefix ?? project;
    const rel = path.relative(paths.worktree, found.infraFile);
    const compose = loaded.project.config.infra.sandbox?.compose_file ?? (loaded.project.config.infra.services ? undefined : "docker-compose.yml");
    const base = req.base ?? "HEAD";
    if (!(await git(paths.worktree, ["cat-file", "-e", `${base}:${rel}`])).ok)
      return usage(`${rel} is not committed on ${base}`, `The new worktree is checked out from ${base}, so it would have no sandbox configuration. Commit it first:\n  git add ${[rel, ...(compose && fs.existsSync(path.join(paths.worktree, compose)) ? [compose] : [])].join(" ")} && git commit -m "sbx config"`);
    const dirty = await git(paths.worktree, ["status", "--porcelain", "--", rel, ...(compose ? [compose] : [])]);
    if (dirty.ok && dirty.stdout.trim())
      diags.push(warning("Uncommitted configuration", { detail: `${dirty.stdout.trim().split("\n").map((l) => l.slice(3)).join(", ")} differ${dirty.stdout.trim().includes("\n") ? "" : "s"} from ${base}; the new worktree gets the committed version.` }));
  }
  const dir = path.join(path.dirname(paths.main), `${prefix}-${feature}`);
  if (fs.existsSync(dir)) return usage(`Worktree already exists at ${dir}`, `Choose another feature name, or work in it: cd ${dir} && sbx apply. \`sbx worktree list\` shows every worktree.`);
  const exists = await branchExists(paths.worktree, feature);
  if (exists && req.base) return usage(`Branch \`${feature}' already exists`, `--base starts a new branch. Drop --base to check out ${feature} in a new worktree, or choose another feature name.`);
  const args = exists ? ["worktree", "add", dir, feature] : ["worktree", "add", "-b", feature, dir, ...(req.base ? [req.base] : [])];
  const added = await git(paths.worktree, args);
  if (!added.ok) return usage("git worktree add failed", `${added.message}\n(git ${args.join(" ")})`);
  const worktree = fs.realpathSync(dir);
  await updateWorktrees(opts.home, opts, (byPath) => {
    byPath[worktree] = { path: worktree, main: paths.main, feature, branch: feature, created_branch: !exists, project: project ?? prefix, created_at: new Date().toISOString() };
  });
  const made = { diags, worktree, branch: feature, newBranch: !exists };
  opts.log(`Created worktree: ${worktree}\n  Branch: ${feature} (${exists ? "existing" : `new, from ${req.base ?? "HEAD"}`})`);
  if (!found) return made;
  // The same directory of the new worktree (infra.toml may live in a subdirectory).
  const there = openProject({ ...opts, cwd: path.join(worktree, path.relative(paths.worktree, found.dir)) });
  if (!there.project) return { ...made, diags: [...diags, ...there.diags, error("The new worktree's configuration does not load", { code: "config", detail: `The worktree is kept at ${worktree}. Fix the configuration there, then: cd ${worktree} && sbx apply` })], texts: there.texts };
  const applied = await applyProject(there.project, req.apply);
  return { ...made, applied, diags: [...diags, ...applied.diags], ...(applied.texts ? { texts: applied.texts } : {}) };
}
