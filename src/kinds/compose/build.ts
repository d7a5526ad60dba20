// Build contexts as drift: a hash of every file a `docker build` of the service can see
// (the context directory minus what .dockerignore excludes and minus a top-level .git,
// plus the Dockerfile and the .dockerignore itself). Recorded at apply; a plan that finds another hash rebuilds.
// Walks through the target; a context too large to hash is reported and not tracked.

import { createHash } from "node:crypto";
import * as path from "node:path";
import type { DriverContext } from "../driver.js";
import { hasExceptions, isIgnored, parseDockerignore, type IgnoreRule } from "./dockerignore.js";
import type { ComposeAttrs } from "./kind.js";

const MAX_FILES = 20_000;
const MAX_BYTES = 512 * 1024 * 1024;

/** What a hash covers, or why there is none. */
export type ContextHash = { hash: string } | { untracked: string };

async function walk(ctx: DriverContext, root: string, rules: IgnoreRule[], budget: { files: number; bytes: number }, rel = ""): Promise<string[] | string> {
  const list = ctx.target.readDir;
  if (!list) return `target ${ctx.target.name} cannot list directories`;
  const names = await list.call(ctx.target, path.join(root, rel));
  if (!names) return `${path.join(root, rel)} is not a readable directory`;
  const lines: string[] = [];
  const descend = hasExceptions(rules);
  for (const name of names) {
    // .git changes with every git command (fetch, commit, gc): never a reason to rebuild.
    if (!rel && name === ".git") continue;
    const r = rel ? `${rel}/${name}` : name;
    const ignored = isIgnored(rules, r);
    const abs = path.join(root, r);
    const st = await ctx.target.stat(abs);
    if (!st) continue;
    if (st.kind === "dir") {
      if (ignored && !descend) continue;
      const sub = await walk(ctx, root, rules, budget, r);
      if (typeof sub === "string") return sub;
      lines.push(...sub);
      continue;
    }
    if (ignored) continue;
    if (++budget.files > MAX_FILES) return `more than ${MAX_FILES} files`;
    if (st.kind === "symlink") {
      lines.push(`${r}\0link\0${(await ctx.target.realpath(abs)) ?? "dangling"}`);
      continue;
    }
    if (st.kind !== "file") continue;
    budget.bytes += st.size;
    if (budget.bytes > MAX_BYTES) return `more than ${MAX_BYTES / 1024 / 1024} MiB`;
    const data = await ctx.target.readFile(abs);
    lines.push(`${r}\0${st.mode & 0o111 ? "x" : "-"}\0${createHash("sha256").update(data ?? "").digest("hex")}`);
  }
  return lines;
}

/** Hash one build context as `docker build` would see it. */
export async function hashContext(ctx: DriverContext, b: { context: string; dockerfile: string }): Promise<ContextHash> {
  const ignoreText = (await ctx.target.readFile(path.join(b.context, ".dockerignore")))?.toString("utf8") ?? "";
  const files = await walk(ctx, b.context, parseDockerignore(ignoreText), { files: 0, bytes: 0 });
  if (typeof files === "string") return { untracked: files };
  const h = createHash("sha256");
  h.update(`dockerfile\0${(await ctx.target.readFile(b.dockerfile)) ?? "missing"}\n`);
  h.update(`dockerignore\0${ignoreText}\n`);
  for (const l of files) h.update(`${l}\n`);
  return { hash: h.digest("hex").slice(0, 16) };
}

/** Hashes of every build context (an untracked one is logged and left out). */
export async function hashBuilds(ctx: DriverContext, builds: NonNullable<ComposeAttrs["builds"]>, log: boolean): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [svc, b] of Object.entries(builds).sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
    const r = await hashContext(ctx, b);
    if ("hash" in r) out[svc] = r.hash;
    else if (log) ctx.log(`compose.stack: the build context of ${svc} (${b.context}) is not tracked for changes: ${r.untracked}. Use \`sbx apply --build\` after changing it.`);
  }
  return out;
}

/**
 * The planner: the hashes now, and a reason when they differ from what the last apply
 * built; `--build` asks for a rebuild even when nothing changed.
 */
export async function planBuilds(
  ctx: DriverContext,
  attrs: ComposeAttrs,
  prior: ComposeAttrs | undefined,
): Promise<{ attrs: ComposeAttrs; reasons: string[]; force?: string }> {
  if (!attrs.builds) return { attrs, reasons: [] };
  const now = await hashBuilds(ctx, attrs.builds, true);
  if (!prior) return { attrs: { ...attrs, build_hashes: now }, reasons: [] };
  const before = prior.build_hashes;
  // A state from before build contexts were tracked has no hashes: nothing to compare yet.
  const changed = before ? Object.keys(now).filter((s) => before[s] !== now[s]) : [];
  if (changed.length) {
    const where = changed.map((s) => `${s} (${attrs.builds![s]!.context})`).join(", ");
    return { attrs: { ...attrs, build_hashes: now }, reasons: [`build context changed since the last apply: ${where}; the image${changed.length === 1 ? " is" : "s are"} rebuilt`] };
  }
  if (ctx.build) return { attrs, reasons: [], force: "--build: the images are rebuilt" };
  return { attrs, reasons: [] };
}

/**
 * Whether this `compose up` builds: always at a first start (an image left by an earlier
 * sandbox on the slot may be stale), on `--build`, and when a context changed since the
 * last build. The hashes taken just before the build are what state records.
 */
export async function buildFlags(ctx: DriverContext, a: ComposeAttrs, first: boolean, prior: ComposeAttrs | undefined): Promise<{ args: string[]; attrs: Partial<ComposeAttrs> }> {
  if (!a.builds) return { args: [], attrs: {} };
  const now = await hashBuilds(ctx, a.builds, false);
  const changed = JSON.stringify(now) !== JSON.stringify(prior?.build_hashes ?? {});
  return { args: first || ctx.build || changed ? ["--build"] : [], attrs: { build_hashes: now } };
}
