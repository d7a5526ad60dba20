// Adds two lines to `<git common dir>/info/exclude`: a comment naming this sandbox, and
// the pattern. Each sandbox adds and removes only its own two lines (worktrees of one
// repository share the file; a repeated pattern is harmless), and only while they still
// read exactly as written.

import * as path from "node:path";
import { DriverError, type Driver, type DriverContext } from "../driver.js";
import type { GitExcludeAttrs } from "./kind.js";

async function excludeFile(ctx: DriverContext, worktree: string): Promise<string | undefined> {
  const r = await ctx.target.run(["git", "-C", worktree, "rev-parse", "--path-format=absolute", "--git-common-dir"], { env: ctx.env, timeoutMs: 30_000 });
  if (r.notFound) throw new DriverError("git is not installed; sbx needs it to keep .env.sandbox out of commits.", undefined, "provision");
  return r.exitCode === 0 ? path.join(r.stdout.trim(), "info", "exclude") : undefined;
}

const block = (ctx: DriverContext, pattern: string) => `# added by sbx for sandbox ${ctx.instanceId} (sbx destroy removes these two lines)\n${pattern}\n`;

async function readText(ctx: DriverContext, file: string): Promise<string> {
  return (await ctx.target.readFile(file))?.toString("utf8") ?? "";
}

/** Add this sandbox's lines for `pattern`; the exclude file written, or undefined outside git. */
export async function addExclude(ctx: DriverContext, worktree: string, pattern: string): Promise<string | undefined> {
  const file = await excludeFile(ctx, worktree);
  if (!file) return undefined;
  const text = await readText(ctx, file);
  const b = block(ctx, pattern);
  if (!text.includes(b)) {
    const st = await ctx.target.stat(file);
    await ctx.target.writeFile(file, `${text}${text && !text.endsWith("\n") ? "\n" : ""}${b}`, st?.mode ?? 0o644);
  }
  return file;
}

async function add(ctx: DriverContext, a: GitExcludeAttrs): Promise<{ output: Record<string, unknown> }> {
  const file = await addExclude(ctx, a.worktree, a.pattern);
  if (!file) ctx.log(`git_exclude: ${a.worktree} is not in a git repository; nothing to exclude`);
  return { output: { file: file ?? null } };
}

/** Remove this sandbox's lines for `pattern`, if they still read as written. */
export async function removeExclude(ctx: DriverContext, file: unknown, pattern: string): Promise<void> {
  return remove(ctx, file, pattern);
}

async function remove(ctx: DriverContext, file: unknown, pattern: string): Promise<void> {
  if (typeof file !== "string") return;
  const text = await readText(ctx, file);
  const b = block(ctx, pattern);
  if (!text.includes(b)) return;
  const st = await ctx.target.stat(file);
  await ctx.target.writeFile(file, text.replace(b, ""), st?.mode ?? 0o644);
}

export const gitExcludeDriver: Driver<GitExcludeAttrs> = {
  type: "git_exclude",
  async read(ctx, prior) {
    const file = prior.output.file;
    if (typeof file !== "string") return { status: "ok" };
    return (await readText(ctx, file)).includes(block(ctx, prior.attrs.pattern)) ? { status: "ok" } : { status: "missing", reason: `the exclude lines in ${file} were removed` };
  },
  create: (ctx, r) => add(ctx, r.attrs),
  async update(ctx, r, prior) {
    if (prior.attrs.pattern !== r.attrs.pattern) await remove(ctx, prior.output.file, prior.attrs.pattern);
    return add(ctx, r.attrs);
  },
  async delete(ctx, prior) {
    await remove(ctx, prior.output.file, prior.attrs.pattern);
  },
};
