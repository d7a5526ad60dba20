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

/** Hash of the file now at `file` (on the target, or on `on`), or undefined when there is none. */
export async function currentHash(ctx: DriverContext, file: string, on: Target = ctx.target): Promise<string | undefined> {
  const st = await on.stat(file);
  if (!st || st.kind !== "file") return undefined;
  const data = await on.readFile(file);
  return data === undefined ? undefined : sha256(data);
}

/**
 * Write `data` to `file`. On the first write (no prior output) a file already there is
 * kept as a backup first. `recovering`: an earlier run began this write and died, so a
 * backup it made is the original, and a file without one is sbx's own.
 */
export async function writeOwned(ctx: DriverContext, opts: { file: string; data: string | Buffer; mode: number; prior?: OwnedFileOutput; recovering?: boolean }): Promise<OwnedFileOutput> {
  const { file, data, mode, prior } = opts;
  const st = await ctx.target.stat(file);
  if (st?.kind === "dir") throw new DriverError(`${file} is a directory; sbx would write a file there. Move the directory away or choose another destination.`, undefined, "provision");
  let backup = prior?.backup;
  if (!prior && st) {
    const kept = backupPath(ctx, file);
    if (opts.recovering && (await ctx.target.stat(kept))) backup = kept;
    else if (!opts.recovering) {
      const existing = await ctx.target.readFile(file);
      if (existing !== undefined) {
        await ctx.target.writeFile(kept, existing, st.mode & 0o777);
        backup = kept;
        if (sha256(existing) !== sha256(data)) ctx.log(`${file}: kept the existing file as ${kept}; destroy restores it`);
      }
    }
  }
  await ctx.target.writeFile(file, data, mode);
  return { hash: sha256(data), ...(backup ? { backup } : {}) };
}

/** Remove a file sbx wrote, restoring what was there before; keep (and name) anything edited since. */
export async function removeOwned(ctx: DriverContext, file: string, out: Partial<OwnedFileOutput>): Promise<DeleteResult> {
  const now = await currentHash(ctx, file);
  const backup = typeof out.backup === "string" ? out.backup : undefined;
  if (now !== undefined && now !== out.hash && !ctx.force) {
    return { kept: `${file} was edited outside sbx; kept (pass --force to ${backup ? "restore the original" : "delete it"})` };
  }
  if (backup) {
    const original = await ctx.target.readFile(backup);
    if (original !== undefined) {
      const st = await ctx.target.stat(backup);
      await ctx.target.writeFile(file, original, st?.mode ?? 0o644);
      await ctx.target.remove(backup);
      return {};
    }
  }
  if (now !== undefined) await ctx.target.remove(file);
  return {};
}
