// `sbx worktree done <feature>`: find the worktree among those sbx created (exact
// feature or branch, else a unique substring, else the directory name), refuse when it
// holds uncommitted work or unpushed commits (unless --force), destroy its sandbox from
// state alone (its configuration may be broken), then `git worktree remove`. A directory
// sbx did not create is never removed; the current directory is never the target.

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { error, hasErrors, type Diagnostic } from "../../compile/diagnostics.js";
import { projectPaths } from "../context.js";
import { changedPaths, git, unpushed, worktrees } from "../git.js";
import { findInstance, type RunOptions } from "../project.js";
import { readWorktrees, updateWorktrees, type WorktreeRecord } from "../worktrees.js";
import { loadState } from "./plan.js";
import { destroyInstance, type DestroyOutcome, type DestroyRequest } from "./destroy.js";

export interface WorktreeDoneRequest {
  name: string;
  force: boolean;
  destroy: Omit<DestroyRequest, "event">;
}

export interface WorktreeDoneOutcome {
  diags: Diagnostic[];
  record?: WorktreeRecord;
  destroyed?: DestroyOutcome;
  removed?: boolean;
}

const usage = (summary: string, detail: string): WorktreeDoneOutcome => ({ diags: [error(summary, { code: "usage", detail })] });

/** kinfra's matching: exact feature or branch, else substring, else directory name. */
export function matchWorktree(records: readonly WorktreeRecord[], name: string): WorktreeRecord[] {
  const exact = records.filter((r) => r.feature === name || r.branch === name);
  if (exact.length) return exact;
  const sub = records.filter((r) => r.feature.includes(name) || r.branch.includes(name));
  if (sub.length) return sub;
  return records.filter((r) => path.basename(r.path) === name || path.basename(r.path).includes(name));
}

const inside = (root: string, p: string) => {
  const rel = path.relative(root, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
};

/** Files sbx wrote into the worktree that still hold what it wrote (not the user's work). */
function sbxFiles(opts: RunOptions, worktree: string): Set<string> {
  const out = new Set<string>();
  const inst = findInstance(opts, worktree);
  const state = inst ? loadState(inst).state : undefined;
  for (const r of Object.values(state?.resources ?? {})) {
    const hash = r.output.hash;
    const file = r.type === "copy" ? path.resolve(worktree, String(r.attrs.dest)) : r.type === "file" ? String(r.attrs.path) : undefined;
    if (!file || typeof hash !== "string" || !inside(worktree, file)) continue;
    try {
      if (createHash("sha256").update(fs.readFileSync(file)).digest("hex") === hash) out.add(path.relative(worktree, file));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
  return out;
}

/** Why the worktree must not be removed without --force, or undefined. */
async function unsaved(opts: RunOptions, rec: WorktreeRecord): Promise<string | undefined> {
  const changed = await changedPaths(rec.path);
  if (!changed) return `git status failed in ${rec.path}`;
  const ours = sbxFiles(opts, rec.path);
  const dirty = changed.filter((p) => !ours.has(p));
  const ahead = await unpushed(rec.path);
  const what = [dirty.length ? "uncommitted changes" : "", ahead ? "unpushed commits" : ""].filter(Boolean);
  if (!what.length) return undefined;
  const lines = [
    ...(dirty.length ? [`Uncommitted: ${dirty.slice(0, 10).join(", ")}${dirty.length > 10 ? ` and ${dirty.length - 10} more` : ""}.`] : []),
    ...(ahead ? [`${ahead} commit${ahead === 1 ? "" : "s"} not pushed to the upstream of ${rec.branch}.`] : []),
  ];
  return `Worktree '${rec.feature}' has ${what.join(" and ")}. Use --force to remove anyway.\n${lines.join("\n")}`;
}

export async function doneWorktree(opts: RunOptions, req: WorktreeDoneRequest): Promise<WorktreeDoneOutcome> {
  const paths = projectPaths(opts.cwd, opts.env);
  const mine = readWorktrees(opts.home).filter((r) => r.main === paths.main);
  const hits = matchWorktree(mine, req.name);
  if (hits.length > 1) return usage(`Ambiguous match for '${req.name}': ${hits.map((h) => h.feature).join(", ")}`, "Give the full feature name.");
  const rec = hits[0];
  if (!rec) {
    const other = (await worktrees(paths.worktree))?.find((w) => !w.main && (w.branch === req.name || path.basename(w.path) === req.name));
    if (other)
      return usage(`${other.path} was not created by sbx`, `sbx removes only worktrees made by \`sbx worktree add\`. To tear down its sandbox: sbx -C ${other.path} destroy; to remove it: git worktree remove ${other.path}`);
    return usage(`No worktree found matching '${req.name}'`, mine.length ? `Worktrees sbx created here: ${mine.map((r) => r.feature).join(", ")}.` : "sbx has created no worktree for this repository; `sbx worktree add <feature>` makes one.");
  }
  if (rec.path === paths.main) return usage(`${rec.path} is the main checkout`, "sbx never removes the main checkout.");
  if (inside(rec.path, fs.realpathSync(opts.cwd))) return usage(`You are inside ${rec.path}`, `Run this from another directory, e.g.: cd ${rec.main} && sbx worktree done ${rec.feature}`);
  const present = fs.existsSync(rec.path);
  if (present && !req.force) {
    const why = await unsaved(opts, rec);
    if (why) return { record: rec, diags: [error(why.split("\n")[0]!, { code: "usage", detail: why.split("\n").slice(1).join("\n") })] };
  }
  // The sandbox, from state alone: the target comes from the record, never from the current directory.
  const inst = findInstance({ ...opts, force: req.force }, rec.path);
  let destroyed: DestroyOutcome | undefined;
  if (inst) {
    destroyed = await destroyInstance(inst, { ...req.destroy, event: "destroyed" });
    if (destroyed.cancelled || hasErrors(destroyed.diags))
      return { record: rec, destroyed, diags: [...destroyed.diags, error("The sandbox was not fully destroyed; the worktree is kept", { code: "provision", detail: `Fix what is reported above and run sbx worktree done ${rec.feature} again.` })] };
  }
  const removed = present ? await git(rec.main, ["worktree", "remove", ...(req.force ? ["--force"] : []), rec.path]) : await git(rec.main, ["worktree", "prune"]);
  if (!removed.ok)
    return { record: rec, destroyed, diags: [...(destroyed?.diags ?? []), error("git worktree remove failed", { code: "usage", detail: `${removed.message}\nThe sandbox is gone; the worktree is kept at ${rec.path}. Use --force to remove it anyway.` })] };
  await updateWorktrees(opts.home, opts, (byPath) => {
    delete byPath[rec.path];
  });
  return { record: rec, destroyed, removed: true, diags: destroyed?.diags ?? [] };
}
