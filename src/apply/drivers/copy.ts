// copy[...]: a file from the main repository into the worktree, with kinfra's
// traversal guards and symlink safety on both sides.

import * as fs from "node:fs";
import * as path from "node:path";
import { sha256 } from "./file.js";
import { DriverError, type Driver, type DriverContext, type ResourceInput } from "./types.js";

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

function hashOf(p: string): string | undefined {
  try {
    return sha256(fs.readFileSync(p));
  } catch (e) {
    if (["ENOENT", "EISDIR", "ENOTDIR"].includes((e as NodeJS.ErrnoException).code ?? "")) return undefined;
    throw e;
  }
}

/** The real directory a new file at `p` would land in, following existing links. */
function realParent(p: string): string {
  let dir = path.dirname(p);
  const rest: string[] = [];
  while (!fs.existsSync(dir)) {
    rest.unshift(path.basename(dir));
    dir = path.dirname(dir);
  }
  return path.join(fs.realpathSync(dir), ...rest);
}

function resolvePaths(ctx: DriverContext, r: ResourceInput): { src: string; dest: string; source: string; destRel: string } {
  const source = String(r.attrs.source);
  const destRel = String(r.attrs.dest);
  const src = path.resolve(ctx.main, source);
  const dest = path.resolve(ctx.worktree, destRel);
  const problems: string[] = [];
  if (!inside(ctx.main, src)) problems.push(`${destRel}: Source path escapes project root: ${source}`);
  if (!inside(ctx.worktree, dest)) problems.push(`${destRel}: Destination path escapes worktree: ${destRel}`);
  if (!problems.length) {
    if (fs.existsSync(src) && !inside(fs.realpathSync(ctx.main), fs.realpathSync(src)))
      problems.push(`${destRel}: Source ${source} is a link that leads out of the main repository; sbx never follows it.`);
    else if (!fs.existsSync(src) || !fs.statSync(src).isFile()) {
      const hint = fs.existsSync(`${src}.example`) ? ` Hint: cp ${source}.example ${source}` : "";
      problems.push(`${destRel}: Source not found at ${src}.${hint}`);
    }
    const realWt = fs.realpathSync(ctx.worktree);
    if (!inside(realWt, realParent(dest))) problems.push(`${destRel}: Destination goes through a link out of the worktree; sbx never writes through it.`);
    else if (fs.existsSync(dest) && fs.lstatSync(dest).isSymbolicLink() && !inside(realWt, fs.realpathSync(dest)))
      problems.push(`${destRel}: Destination is a link out of the worktree; sbx never writes through it.`);
  }
  if (problems.length) throw new DriverError(problems.join("; "), problems, "provision");
  return { src, dest, source, destRel };
}

function copy(ctx: DriverContext, r: ResourceInput): Record<string, unknown> {
  const { src, dest } = resolvePaths(ctx, r);
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  if (fs.existsSync(dest) && fs.lstatSync(dest).isSymbolicLink()) fs.rmSync(dest);
  fs.copyFileSync(src, dest);
  const st = fs.statSync(src);
  fs.chmodSync(dest, st.mode & 0o7777);
  fs.utimesSync(dest, st.atime, st.mtime);
  const h = sha256(fs.readFileSync(dest));
  return { source_hash: h, dest_hash: h };
}

export const copyDriver = {
  type: "copy",
  async read(ctx, prior) {
    const dest = path.resolve(ctx.worktree, String(prior.attrs.dest));
    const src = path.resolve(ctx.main, String(prior.attrs.source));
    const d = hashOf(dest);
    if (d === undefined) return { status: "missing", reason: "file deleted outside sbx" };
    if (d !== prior.output.dest_hash) return { status: "drifted", reason: "file edited outside sbx", action: "update" };
    const s = hashOf(src);
    if (s !== undefined && s !== prior.output.source_hash) return { status: "drifted", reason: "source changed in the main repository", action: "update" };
    return { status: "ok" };
  },
  async create(ctx, r) {
    return copy(ctx, r);
  },
  async update(ctx, r) {
    return copy(ctx, r);
  },
  async delete(ctx, prior) {
    const dest = path.resolve(ctx.worktree, String(prior.attrs.dest));
    if (!inside(ctx.worktree, dest)) return;
    const h = hashOf(dest);
    if (h === undefined) return;
    if (h !== prior.output.dest_hash && !ctx.force) {
      ctx.log(`${String(prior.attrs.dest)}: kept (edited outside sbx; pass --force to delete it)`);
      return;
    }
    fs.rmSync(dest, { force: true });
  },
} satisfies Driver;
