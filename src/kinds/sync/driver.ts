// Ships the worktree to a remote host as a tar stream over the ssh connection: the files
// git lists (tracked, and untracked ones not ignored), never assumed to be there already.
// The instance directory carries an owner marker; sbx writes into, and removes, only a
// directory whose marker is its own. A shipped file that disappears locally is removed
// remotely on the next apply; drift is a remote file changed since sbx shipped it.

import { createHash } from "node:crypto";
import * as path from "node:path";
import { homeId } from "../../apply/placement.js";
import { DriverError, type Driver, type DriverContext, type Planner } from "../driver.js";
import type { Resource } from "../spec.js";
import type { SyncAttrs } from "./kind.js";

const MARKER = ".sbx-instance";
const MANIFEST = ".sbx-worktree.manifest";

interface Listing {
  /** Relative paths, sorted. */
  paths: string[];
  hash: string;
}

/** The files to ship: what git lists in the worktree (on this machine), minus the excluded paths. */
async function listing(ctx: DriverContext, exclude: readonly string[]): Promise<Listing> {
  const r = await ctx.source.run(["git", "-C", ctx.worktree, "ls-files", "-z", "--cached", "--others", "--exclude-standard"], { timeoutMs: 120_000 });
  if (r.exitCode !== 0)
    throw new DriverError(`Cannot list the files of ${ctx.worktree}: ${r.stderr.trim() || `git exited ${r.exitCode}`}. A remote placement ships the files git lists, so the worktree must be a git repository.`, undefined, "provision");
  const skip = new Set(exclude.map((e) => path.normalize(e)));
  const h = createHash("sha256");
  const paths: string[] = [];
  for (const rel of [...new Set(r.stdout.split("\0").filter(Boolean))].sort()) {
    if (skip.has(path.normalize(rel))) continue;
    const abs = path.join(ctx.worktree, rel);
    const st = await ctx.source.stat(abs);
    // Deleted but still tracked, or a submodule (a directory): nothing to ship.
    if (!st || st.kind === "dir" || st.kind === "other") continue;
    if (st.kind === "symlink") h.update(`link ${(await ctx.source.realpath(abs)) ?? ""} ${rel}\n`);
    else h.update(`${createHash("sha256").update((await ctx.source.readFile(abs)) ?? "").digest("hex")} ${(st.mode & 0o111 ? "x" : "-")} ${rel}\n`);
    paths.push(rel);
  }
  return { paths, hash: h.digest("hex") };
}

const ownerOf = (ctx: DriverContext) => `sbx ${ctx.instanceId} ${homeId(ctx.home)}`;

/** The remote files' hash over the manifest (drift check); undefined when the host cannot compute it. */
async function remoteHash(ctx: DriverContext, wt: string): Promise<string | undefined> {
  const manifest = path.posix.join(path.posix.dirname(wt), "state", MANIFEST);
  const r = await ctx.target.run(["sh", "-c", 'command -v sha256sum >/dev/null 2>&1 || exit 127; cd "$1" && [ -f "$2" ] || exit 2; xargs -0 sha256sum -- < "$2" 2>&1 | sha256sum', "sbx", wt, manifest], { timeoutMs: 300_000 });
  if (r.exitCode === 0) return r.stdout.trim().split(/\s+/)[0];
  if (r.exitCode === 2) return "(no manifest)";
  return undefined;
}

async function ship(ctx: DriverContext, r: Resource<SyncAttrs>): Promise<{ output: Record<string, unknown>; attrs: Partial<SyncAttrs> }> {
  const wt = r.attrs.path;
  const dir = path.posix.dirname(wt);
  const list = await listing(ctx, r.attrs.exclude);
  const tar = await ctx.source.runBytes(["tar", "-c", "-f", "-", "-C", ctx.worktree, "--null", "--no-recursion", "-T", "-"], { input: Buffer.from(list.paths.map((p) => `${p}\0`).join("")), timeoutMs: 600_000 });
  if (tar.exitCode !== 0) throw new DriverError(`Cannot pack the worktree: ${tar.stderr.trim()}`, undefined, "provision");
  ctx.log(`${r.address}: shipping ${list.paths.length} files (${Math.ceil(tar.stdout.length / 1024)} KiB) to ${ctx.target.name}:${wt}`);
  // Claim the instance directory (or find our own marker there), then unpack into the worktree.
  const claim = [
    'd="$1"; owner="$2"',
    'if [ -e "$d" ]; then [ -f "$d/.sbx-instance" ] && [ "$(cat "$d/.sbx-instance")" = "$owner" ] || exit 3;',
    'else mkdir -p "$d" && printf "%s\\n" "$owner" > "$d/.sbx-instance" || exit 4; fi',
    'mkdir -p "$d/worktree" "$d/state" && chmod 700 "$d/state" && tar -x -f - -C "$d/worktree" --no-same-owner',
  ].join("\n");
  const x = await ctx.target.runBytes(["sh", "-c", claim, "sbx", dir, ownerOf(ctx)], { input: tar.stdout, timeoutMs: 600_000 });
  if (x.exitCode === 3)
    throw new DriverError(`${dir} on ${ctx.target.name} exists and was not created by this sandbox (no ${MARKER} of ours in it); sbx never writes into it. Move it away, or set [sandbox] remote_root to another directory.`, undefined, "provision");
  if (x.exitCode !== 0) throw new DriverError(`Cannot unpack the worktree into ${wt} on ${ctx.target.name}: ${x.stderr.trim() || `exit ${x.exitCode}`}`, undefined, "provision");
  // Files shipped last time and no longer listed go (only those: anything else there is not ours to judge).
  const manifest = path.posix.join(dir, "state", MANIFEST);
  const before = ((await ctx.target.readFile(manifest))?.toString("utf8") ?? "").split("\0").filter(Boolean);
  const now = new Set(list.paths);
  const gone = before.filter((p) => !now.has(p) && !p.split("/").includes(".."));
  if (gone.length) {
    const rm = await ctx.target.runBytes(["sh", "-c", 'cd "$1" && xargs -0 rm -f --', "sbx", wt], { input: Buffer.from(gone.map((p) => `${p}\0`).join("")) });
    if (rm.exitCode !== 0) throw new DriverError(`Cannot remove files no longer in the worktree from ${wt} on ${ctx.target.name}: ${rm.stderr.trim()}`);
  }
  await ctx.target.writeFile(manifest, list.paths.map((p) => `${p}\0`).join(""), 0o600);
  return { output: { owner: ownerOf(ctx), remote_hash: await remoteHash(ctx, wt) ?? null }, attrs: { hash: list.hash, files: list.paths.length } };
}

export const syncDriver: Driver<SyncAttrs> & Planner<SyncAttrs> = {
  type: "sync",
  async plan(ctx, desired) {
    const list = await listing(ctx, desired.attrs.exclude);
    return { attrs: { ...desired.attrs, hash: list.hash, files: list.paths.length }, reasons: [] };
  },
  async read(ctx, prior) {
    const dir = path.posix.dirname(prior.attrs.path);
    const marker = await ctx.target.readFile(`${dir}/${MARKER}`);
    if (marker === undefined) return { status: "missing", reason: `${dir} is gone from ${ctx.target.name}` };
    if (marker.toString("utf8").trim() !== ownerOf(ctx)) return { status: "drifted", reason: `${dir} on ${ctx.target.name} now belongs to someone else`, action: "replace" };
    const was = prior.output.remote_hash;
    if (typeof was === "string") {
      const now = await remoteHash(ctx, prior.attrs.path);
      if (now !== undefined && now !== was) return { status: "drifted", reason: `files under ${prior.attrs.path} on ${ctx.target.name} changed since sbx shipped them`, action: "update" };
    }
    return { status: "ok" };
  },
  create: (ctx, r) => ship(ctx, r),
  update: (ctx, r) => ship(ctx, r),
  async delete(ctx, prior) {
    const dir = path.posix.dirname(prior.attrs.path);
    const r = await ctx.target.run(["sh", "-c", '[ -e "$1" ] || exit 0; [ -f "$1/.sbx-instance" ] && [ "$(cat "$1/.sbx-instance")" = "$2" ] || exit 3; rm -rf -- "$1"', "sbx", dir, ownerOf(ctx)], { timeoutMs: 300_000 });
    if (r.exitCode === 3) return { kept: `${dir} on ${ctx.target.name} does not carry this sandbox's marker; left alone` };
    if (r.exitCode !== 0) throw new DriverError(`Cannot remove ${dir} on ${ctx.target.name}: ${r.stderr.trim()}`);
    return {};
  },
};
