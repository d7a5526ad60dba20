// Ownership of files sbx writes: a file that was there before sbx is kept as a backup in
// the instance's state dir and restored on destroy; a file is removed only when it still
// holds what sbx wrote. Every kind that writes into the worktree goes through here.

import { createHash } from "node:crypto";
import * as path from "node:path";
import type { Target } from "../apply/target/types.js";
import type { DeleteResult, DriverContext } from "./driver.js";
import { DriverError } from "./driver.js";

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

export interface OwnedFileOutput {
  /** Hash of what sbx wrote. */
  hash: string;
  /** Where the file that was there before sbx is kept, if there was one. */
  backup?: string;
  [key: string]: unknown;
}

function backupPath(ctx: DriverContext, file: string): string {
  return path.join(ctx.onTarget.state, "backups", `${sha256(file).slice(0, 16)}-${path.basename(file)}`);
}

/**
 * The originals ledger: before sbx's first write to a path where nothing was, a line
 * `{"none":PATH}` ("what is here now is sbx's"); when sbx lets go of the path, `{"forget":PATH}`.
 * The last line for a path counts. One append per file, where a marker file per file cost
 * the creation of a file each (about half of a 1,000-file apply's disk time, bench/).
 */
function ledgerPath(ctx: DriverContext): string {
  return path.join(ctx.onTarget.state, "originals.jsonl");
}

/** Written by sbx before the ledger (same meaning as a `none` line); still read for state dirs made then. */
function legacyMarker(ctx: DriverContext, file: string): string {
  return `${backupPath(ctx, file)}.none`;
}

/** Whether the ledger's last word on `file` is "nothing was there"; undefined when it says nothing of it. */
async function ledgerSaysNone(ctx: DriverContext, file: string): Promise<boolean | undefined> {
  const text = (await ctx.target.readFile(ledgerPath(ctx)))?.toString("utf8") ?? "";
  let said: boolean | undefined;
  for (const line of text.split("\n")) {
    if (!line) continue;
    let entry: { none?: string; forget?: string };
    try {
      entry = JSON.parse(line) as { none?: string; forget?: string };
    } catch {
      continue; // a line cut short by a crash says nothing
    }
    if (entry.none === file) said = true;
    else if (entry.forget === file) said = false;
  }
  return said;
}

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/** Hash of the file now at `file` (on the target, or on `on`), or undefined when there is none. */
export async function currentHash(ctx: DriverContext, file: string, on: Target = ctx.target): Promise<string | undefined> {
  const st = await on.stat(file);
  if (!st || st.kind !== "file") return undefined;
  const data = await on.readFile(file);
  return data === undefined ? undefined : sha256(data);
}

/**
 * What was at `file` before sbx's first write, recorded before that write: the original
 * kept as a backup, or a marker saying there was nothing. `recovering`: an earlier run
 * began this write and died, so what it recorded stands; without a record, whatever is
 * there now was there before sbx (the run died before recording, hence before writing).
 */
async function recordOriginal(ctx: DriverContext, file: string, data: string | Buffer, recovering: boolean): Promise<string | undefined> {
  const kept = backupPath(ctx, file);
  if (recovering) {
    if (await ctx.target.stat(kept)) return kept;
    const said = await ledgerSaysNone(ctx, file);
    if (said === true || (said === undefined && (await ctx.target.stat(legacyMarker(ctx, file))))) return undefined;
  }
  const st = await ctx.target.stat(file);
  const existing = st ? await ctx.target.readFile(file) : undefined;
  if (existing === undefined) {
    await ctx.target.appendFile(ledgerPath(ctx), `${JSON.stringify({ none: file })}\n`);
    return undefined;
  }
  await ctx.target.writeFile(kept, existing, st!.mode & 0o777);
  if (sha256(existing) !== sha256(data)) ctx.log(`${file}: kept the existing file as ${kept}; destroy restores it`);
  return kept;
}

/** Write `data` to `file`. On the first write (no prior output) what was there is recorded first. */
export async function writeOwned(ctx: DriverContext, opts: { file: string; data: string | Buffer; mode: number; prior?: OwnedFileOutput; recovering?: boolean }): Promise<OwnedFileOutput> {
  const { file, data, mode, prior } = opts;
  const st = await ctx.target.stat(file);
  if (st?.kind === "dir") throw new DriverError(`${file} is a directory; sbx would write a file there. Move the directory away or choose another destination.`, undefined, "provision");
  const backup = prior ? prior.backup : await recordOriginal(ctx, file, data, !!opts.recovering);
  await ctx.target.writeFile(file, data, mode);
  return { hash: sha256(data), ...(backup ? { backup } : {}) };
}

/** Drop what sbx recorded about the original of `file`. */
async function forget(ctx: DriverContext, file: string, backup: string | undefined): Promise<void> {
  if (backup) await ctx.target.remove(backup);
  // Never re-create a state dir that is gone (that would hide its loss); a state dir from
  // before the ledger has a marker file instead.
  if (await ctx.target.stat(ledgerPath(ctx))) await ctx.target.appendFile(ledgerPath(ctx), `${JSON.stringify({ forget: file })}\n`);
  else await ctx.target.remove(legacyMarker(ctx, file));
}

/**
 * Remove a file sbx wrote, restoring what was there before. A file edited since sbx wrote
 * it is kept and named, and stays sbx's (in state) so `sbx destroy --force` can finish;
 * files in sbx's own state dir are sbx's whatever their content.
 */
export async function removeOwned(ctx: DriverContext, file: string, out: Partial<OwnedFileOutput>): Promise<DeleteResult> {
  const backup = typeof out.backup === "string" ? out.backup : undefined;
  // The worktree itself is gone (git worktree remove, rm -rf): there is nothing to restore
  // into, and writing the original back would re-create the directory.
  if (inside(ctx.onTarget.worktree, file) && !inside(ctx.onTarget.state, file) && !(await ctx.target.stat(ctx.onTarget.worktree))) {
    await forget(ctx, file, backup);
    return {};
  }
  const now = await currentHash(ctx, file);
  if (now !== undefined && now !== out.hash && !ctx.force && !inside(ctx.onTarget.state, file)) {
    const original = backup ? ` The file that was there before sbx is kept at ${backup}.` : "";
    return { kept: `${file} was edited outside sbx; kept (pass --force to ${backup ? "restore the original" : "delete it"}).${original}`, needsForce: true };
  }
  if (backup) {
    const original = await ctx.target.readFile(backup);
    if (original !== undefined) {
      const st = await ctx.target.stat(backup);
      await ctx.target.writeFile(file, original, st?.mode ?? 0o644);
      await forget(ctx, file, backup);
      return {};
    }
  }
  if (now !== undefined) await ctx.target.remove(file);
  await forget(ctx, file, undefined);
  return {};
}

/** What a delete would leave in place, for the plan (undefined: it goes). */
export async function keptOnDelete(ctx: DriverContext, file: string, out: Partial<OwnedFileOutput>): Promise<string | undefined> {
  if (ctx.force || inside(ctx.onTarget.state, file) || !(await ctx.target.stat(ctx.onTarget.worktree))) return undefined;
  const now = await currentHash(ctx, file);
  if (now === undefined || now === out.hash) return undefined;
  return `edited outside sbx: destroy keeps it; --force ${out.backup ? "restores the original" : "deletes it"}`;
}
