// Copies with kinfra's traversal guards and symlink safety on both sides. A destination
// that is the source itself (the main checkout) is left alone and never deleted; one
// that existed before sbx is kept as a backup and restored on destroy.

import * as path from "node:path";
import type { StateResource } from "../../apply/state.js";
import { DriverError, type DeletePreview, type Driver, type DriverContext, type Planner } from "../driver.js";
import { currentHash, keptOnDelete, removeOwned, sha256, writeOwned, type OwnedFileOutput } from "../owned-file.js";
import type { Resource } from "../spec.js";
import type { CopyAttrs } from "./kind.js";

const TEXT_LIMIT = 256 * 1024;

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** The real directory a new file at `p` would land in, following existing links. */
async function realParent(ctx: DriverContext, p: string): Promise<string> {
  let dir = path.dirname(p);
  const rest: string[] = [];
  for (;;) {
    const real = await ctx.target.realpath(dir);
    if (real) return path.join(real, ...rest);
    rest.unshift(path.basename(dir));
    dir = path.dirname(dir);
  }
}

interface Resolved {
  src: string;
  dest: string;
  /** Source and destination are one file (the main checkout copying onto itself). */
  same: boolean;
}

/** The real paths of the two roots, looked up once per run (every copy checks against them). */
const roots = new WeakMap<DriverContext, Promise<{ main: string; worktree: string }>>();
function realRoots(ctx: DriverContext): Promise<{ main: string; worktree: string }> {
  let r = roots.get(ctx);
  if (!r) {
    // The main checkout is read on this machine; the worktree is where the sandbox is placed.
    const wt = ctx.onTarget.worktree;
    r = (async () => ({ main: (await ctx.source.realpath(ctx.main)) ?? ctx.main, worktree: (await ctx.target.realpath(wt)) ?? wt }))();
    roots.set(ctx, r);
  }
  return r;
}

async function resolvePaths(ctx: DriverContext, a: CopyAttrs): Promise<Resolved> {
  // The source is read on this machine; the destination is in the worktree on the target.
  const src = path.resolve(ctx.main, a.source);
  const wt = ctx.onTarget.worktree;
  const dest = path.resolve(wt, a.dest);
  const problems: string[] = [];
  if (!inside(ctx.main, src)) problems.push(`${a.dest}: Source path escapes project root: ${a.source}`);
  if (!inside(wt, dest)) problems.push(`${a.dest}: Destination path escapes worktree: ${a.dest}`);
  let same = false;
  if (!problems.length) {
    const { main: realMain, worktree: realWt } = await realRoots(ctx);
    const realSrc = await ctx.source.realpath(src);
    const srcStat = await ctx.source.stat(realSrc ?? src);
    if (realSrc && !inside(realMain, realSrc)) problems.push(`${a.dest}: Source ${a.source} is a link that leads out of the main repository; sbx never follows it.`);
    else if (!srcStat) {
      const hint = (await ctx.source.stat(`${src}.example`)) ? ` Hint: cp ${a.source}.example ${a.source}` : "";
      problems.push(`${a.dest}: Source not found at ${src}.${hint}`);
    } else if (srcStat.kind !== "file") problems.push(`${a.dest}: Source ${src} is a ${srcStat.kind === "dir" ? "directory" : "special file"}; [sandbox.files] copies single files.`);
    const destStat = await ctx.target.stat(dest);
    if (!inside(realWt, await realParent(ctx, dest))) problems.push(`${a.dest}: Destination goes through a link out of the worktree; sbx never writes through it.`);
    else if (destStat?.kind === "symlink" && !inside(realWt, (await ctx.target.realpath(dest)) ?? dest))
      problems.push(`${a.dest}: Destination is a link out of the worktree; sbx never writes through it.`);
    else if (destStat?.kind === "dir") problems.push(`${a.dest}: Destination ${dest} is a directory; sbx writes a file there. Move the directory or change the destination.`);
    const realDest = await ctx.target.realpath(dest);
    same = ctx.source === ctx.target && !!realSrc && realSrc === realDest;
  }
  if (problems.length) throw new DriverError(problems.join("; "), problems, "provision");
  return { src, dest, same };
}

async function copy(ctx: DriverContext, r: Resource<CopyAttrs>, prior?: StateResource<CopyAttrs>, recovering = false): Promise<{ output: Record<string, unknown> }> {
  const { src, dest, same } = await resolvePaths(ctx, r.attrs);
  if (same) {
    ctx.log(`${r.address}: ${r.attrs.dest} is its own source (this is the main checkout); left as it is`);
    return { output: { same_file: true } };
  }
  const data = await ctx.source.readFile(src);
  if (data === undefined) throw new DriverError(`${r.attrs.dest}: Source not found at ${src}.`, undefined, "provision");
  const st = await ctx.source.stat(src);
  const out = await writeOwned(ctx, { file: dest, data, mode: st?.mode ?? 0o644, prior: prior && !prior.output.same_file ? (prior.output as OwnedFileOutput) : undefined, recovering });
  return { output: { ...out, source_hash: sha256(data) } };
}

export const copyDriver: Driver<CopyAttrs> & Planner<CopyAttrs> & DeletePreview<CopyAttrs> = {
  type: "copy",
  async plan(ctx, desired, prior) {
    if (prior) return { attrs: desired.attrs, reasons: [] };
    const dest = path.resolve(ctx.onTarget.worktree, desired.attrs.dest);
    // Nothing at the destination (the usual first apply): nothing to say, nothing to read.
    if (!(await ctx.target.stat(dest))) return { attrs: desired.attrs, reasons: [] };
    const src = path.resolve(ctx.main, desired.attrs.source);
    const [d, s] = [await currentHash(ctx, dest), await currentHash(ctx, src, ctx.source)];
    const realSrc = await ctx.source.realpath(src);
    if (ctx.source === ctx.target && realSrc && realSrc === (await ctx.target.realpath(dest))) return { attrs: desired.attrs, reasons: ["destination is the source itself (main checkout): nothing to copy, never deleted"] };
    if (d !== undefined && d !== s) return { attrs: desired.attrs, reasons: ["will overwrite an existing file (kept as backup, restored on destroy)"] };
    if (d !== undefined) return { attrs: desired.attrs, reasons: ["the same file is already there: it stays the user's, and destroy leaves it"] };
    return { attrs: desired.attrs, reasons: [] };
  },
  async read(ctx, prior) {
    if (prior.output.same_file) return { status: "ok" };
    const dest = path.resolve(ctx.onTarget.worktree, prior.attrs.dest);
    const h = await currentHash(ctx, dest);
    if (h === undefined) return { status: "missing", reason: `${prior.attrs.dest} deleted outside sbx` };
    if (h !== prior.output.hash) {
      const data = await ctx.target.readFile(dest);
      const src = await ctx.source.readFile(path.resolve(ctx.main, prior.attrs.source));
      const text = data && data.length <= TEXT_LIMIT && src && src.length <= TEXT_LIMIT ? data.toString("utf8") : undefined;
      return {
        status: "drifted",
        reason: `${prior.attrs.dest} edited outside sbx`,
        action: "update",
        ...(text !== undefined ? { observed: { content: text }, expected: { content: src!.toString("utf8") } } : {}),
      };
    }
    const s = await currentHash(ctx, path.resolve(ctx.main, prior.attrs.source), ctx.source);
    if (s !== undefined && s !== prior.output.source_hash) return { status: "drifted", reason: `${prior.attrs.source} changed in the main repository`, action: "update" };
    return { status: "ok" };
  },
  create: (ctx, r, opts) => copy(ctx, r, undefined, opts?.recovering),
  update: (ctx, r, prior) => copy(ctx, r, prior),
  async delete(ctx, prior) {
    if (prior.output.same_file) return {};
    const dest = path.resolve(ctx.onTarget.worktree, prior.attrs.dest);
    if (!inside(ctx.onTarget.worktree, dest)) return { kept: `${dest} is outside the worktree; left alone` };
    return removeOwned(ctx, dest, prior.output);
  },
  async keeps(ctx, prior) {
    if (prior.output.same_file) return "the destination is its own source (main checkout): left as it is";
    return keptOnDelete(ctx, path.resolve(ctx.onTarget.worktree, prior.attrs.dest), prior.output);
  },
};
