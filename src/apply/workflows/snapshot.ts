// Snapshots of a sandbox and restores from them. A snapshot holds the worktree's uncommitted
// changes (a binary diff against HEAD plus the untracked files git does not ignore), the
// files sbx provisioned, and the compose project's named volumes (read through a helper
// container, with the project paused for a consistent copy). A restore makes a new git
// worktree at the snapshot's commit, applies the changes, seeds the volumes as compose
// would create them for the new slot, and applies.

import * as fs from "node:fs";
import * as path from "node:path";
import { error, hasErrors, warning, type Diagnostic } from "../../compile/diagnostics.js";
import { composeProjectName } from "../../compile/names.js";
import { composeVolumeKey, exportVolume, pauseProject, projectLabel, seedVolume, volumesWith } from "../../kinds/compose/engine.js";
import type { ComposeAttrs } from "../../kinds/compose/kind.js";
import type { CopyAttrs } from "../../kinds/copy/kind.js";
import { DriverError } from "../../kinds/driver.js";
import { appendEvent } from "../events.js";
import { openProject, type Instance, type RunOptions } from "../project.js";
import { findSnapshot, loadVerified, newSnapshotId, sha256, SnapshotError, SnapshotWriter, type Manifest } from "../snapshot/store.js";
import { applyProject, type ApplyOutcome } from "./apply.js";
import { localTarget } from "../target/local.js";
import { lockInstance, type Interaction } from "./common.js";
import { loadState, planApply } from "./plan.js";

const nul = (paths: readonly string[]) => Buffer.from(paths.map((p) => `${p}\0`).join(""));

/** git on this machine (the worktree and the main repository are here, whatever the placement). */
async function git(cwd: string, args: string[], input?: Buffer): Promise<Buffer> {
  const r = await localTarget.runBytes(["git", "-C", cwd, ...args], { timeoutMs: 300_000, ...(input ? { input } : {}) });
  if (r.exitCode !== 0) throw new DriverError(`git ${args[0]} in ${cwd} failed: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  return r.stdout;
}

export interface SnapshotOutcome {
  manifest?: Manifest;
  diags: Diagnostic[];
}

/** `sbx snapshot [--name LABEL]`: checkpoint the sandbox of this worktree. */
export async function snapshotInstance(inst: Instance, req: { name?: string; lockTimeoutMs: number }): Promise<SnapshotOutcome> {
  const lock = await lockInstance(inst, req.lockTimeoutMs);
  if ("diags" in lock) return lock;
  try {
    const { state, diags } = loadState(inst);
    if (!state) return { diags };
    if (!Object.keys(state.resources).length) return { diags: [error("No sandbox here to snapshot", { code: "usage", detail: "Run `sbx apply` first; a snapshot checkpoints a sandbox that runs." })] };
    if (req.name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(req.name)) return { diags: [error(`Invalid snapshot name \`${req.name}'`, { code: "usage", detail: "Use letters, digits, '.', '_' and '-'." })] };
    const wt = inst.paths.worktree;
    const base = (await localTarget.run(["git", "-C", wt, "rev-parse", "--verify", "HEAD^{commit}"], { timeoutMs: 60_000 })).stdout.trim();
    if (!/^[0-9a-f]{40,64}$/.test(base)) return { diags: [error("Nothing to snapshot the worktree against", { code: "snapshot", detail: `${wt} has no commit (or is not a git worktree). Commit once; the snapshot keeps the changes on top of that commit.` })] };
    const branch = (await localTarget.run(["git", "-C", wt, "rev-parse", "--abbrev-ref", "HEAD"], { timeoutMs: 60_000 })).stdout.trim();
    const id = newSnapshotId(inst.project);
    const writer = new SnapshotWriter(inst.opts.home, id);
    try {
      const copies = Object.values(state.resources).filter((r) => r.type === "copy") as unknown as { attrs: CopyAttrs }[];
      // The worktree's changes: tracked ones as a binary diff, untracked ones (not ignored, not provisioned by sbx) as a tar.
      const diff = await git(wt, ["diff", "--binary", "HEAD"]);
      if (diff.length) writer.add("diff", "tracked changes", "worktree.diff", diff);
      const provisioned = new Set(copies.map((c) => path.normalize(c.attrs.dest)));
      const untracked = (await git(wt, ["ls-files", "-z", "--others", "--exclude-standard"])).toString("utf8").split("\0").filter((p) => p && !provisioned.has(path.normalize(p)));
      if (untracked.length) {
        const tar = await localTarget.runBytes(["tar", "-c", "-f", "-", "-C", wt, "--null", "--no-recursion", "-T", "-"], { input: nul(untracked), timeoutMs: 600_000 });
        if (tar.exitCode !== 0) throw new DriverError(`Cannot pack the untracked files of ${wt}: ${tar.stderr.trim()}`);
        writer.add("untracked", `${untracked.length} untracked files`, "untracked.tar", tar.stdout);
      }
      // The files sbx provisioned, as they are now where the sandbox runs.
      for (const [i, c] of copies.entries()) {
        const data = await inst.ctx.target.readFile(path.resolve(inst.ctx.onTarget.worktree, c.attrs.dest));
        if (data !== undefined) writer.add("file", c.attrs.dest, `files/${i}`, data);
      }
      // The compose project's named volumes, paused for a consistent copy.
      const stack = Object.values(state.resources).find((r) => r.type === "compose") as { attrs: ComposeAttrs } | undefined;
      if (stack) {
        const vols = await volumesWith(inst.ctx, projectLabel(stack.attrs.project));
        if (vols.length) {
          inst.opts.log(`Pausing ${stack.attrs.project} to copy ${vols.length} volume${vols.length === 1 ? "" : "s"}...`);
          const resume = await pauseProject(inst.ctx, stack.attrs.project);
          try {
            for (const v of vols) {
              const key = await composeVolumeKey(inst.ctx, v);
              writer.add("volume", key, `volumes/${key.replace(/[^A-Za-z0-9._-]/g, "_")}.tar`, await exportVolume(inst.ctx, v));
            }
          } finally {
            await resume();
          }
        }
      }
      const manifest = writer.commit({
        format: 1,
        id,
        name: req.name ?? null,
        created_at: new Date().toISOString(),
        instance: inst.id,
        project: inst.project,
        worktree: wt,
        main: inst.paths.main,
        base_commit: base,
        branch: branch && branch !== "HEAD" ? branch : null,
        backend: state.instance.backend,
        placement: state.instance.placement ?? null,
        compose_project: stack?.attrs.project ?? null,
      });
      appendEvent(inst.opts.home, { event: "snapshot", instance: inst.id, snapshot: id, name: req.name ?? null, parts: manifest.parts.length });
      return { manifest, diags: [] };
    } catch (e) {
      writer.abandon();
      throw e;
    }
  } finally {
    lock.release();
  }
}

/** `sbx snapshots show`: the manifest, checked part by part. */
export function showSnapshot(home: string, ref: string): { manifest?: Manifest; dir?: string; diags: Diagnostic[] } {
  try {
    const { dir } = findSnapshot(home, ref);
    return { manifest: loadVerified(dir).manifest, dir, diags: [] };
  } catch (e) {
    if (e instanceof SnapshotError) return { diags: [error(e.message.startsWith("No snapshot") ? "No such snapshot" : "Unusable snapshot", { code: "snapshot", detail: e.message })] };
    throw e;
  }
}

export interface RestoreRequest extends Interaction {
  ref: string;
  /** Where the new worktree goes (default: next to the main repository, named after the snapshot). */
  into?: string;
  lockTimeoutMs: number;
  parallelism: number;
}

export interface RestoreOutcome {
  diags: Diagnostic[];
  manifest?: Manifest;
  dir?: string;
  apply?: ApplyOutcome;
  volumes: string[];
}

/** `sbx restore SNAPSHOT [--into DIR]`: a new sandbox from a snapshot. */
export async function restoreSnapshot(opts: RunOptions, req: RestoreRequest): Promise<RestoreOutcome> {
  const fail = (d: Diagnostic, extra: Partial<RestoreOutcome> = {}): RestoreOutcome => ({ diags: [d], volumes: [], ...extra });
  let snap: ReturnType<typeof loadVerified>;
  try {
    snap = loadVerified(findSnapshot(opts.home, req.ref).dir);
  } catch (e) {
    if (e instanceof SnapshotError) return fail(error(e.message.startsWith("No snapshot") ? "No such snapshot" : "Unusable snapshot", { code: "snapshot", detail: e.message }));
    throw e;
  }
  const m = snap.manifest;
  if (!fs.existsSync(m.main)) return fail(error(`The repository of snapshot ${m.id} is gone`, { code: "snapshot", detail: `${m.main} does not exist; the snapshot's changes apply to commit ${m.base_commit} there.` }));
  const hasBase = await localTarget.run(["git", "-C", m.main, "cat-file", "-e", `${m.base_commit}^{commit}`], { timeoutMs: 60_000 });
  if (hasBase.exitCode !== 0) return fail(error(`Commit ${m.base_commit.slice(0, 12)} is not in ${m.main}`, { code: "snapshot", detail: "The snapshot's changes apply to that commit. Fetch it (or restore the branch that had it), then run sbx restore again." }));
  const dir = path.resolve(opts.cwd, req.into ?? path.join(path.dirname(m.main), `${path.basename(m.main)}-${m.name ?? m.id.slice(-6)}`));
  if (fs.existsSync(dir) && fs.readdirSync(dir).length)
    return fail(error(`${dir} is not empty`, { code: "usage", detail: "sbx restore creates a new worktree there. Name an empty or new directory with --into DIR." }));
  // The worktree, at the snapshot's commit, with its changes.
  opts.log(`Creating a worktree at ${dir} (commit ${m.base_commit.slice(0, 12)}, detached)...`);
  await git(m.main, ["worktree", "add", "--detach", dir, m.base_commit]);
  for (const p of m.parts.filter((x) => x.kind === "diff")) await git(dir, ["apply", "--binary", "--whitespace=nowarn", "-"], snap.read(p));
  for (const p of m.parts.filter((x) => x.kind === "untracked")) {
    const x = await localTarget.runBytes(["tar", "-x", "-f", "-", "-C", dir], { input: snap.read(p), timeoutMs: 600_000 });
    if (x.exitCode !== 0) return fail(error(`Cannot unpack the untracked files into ${dir}`, { code: "snapshot", detail: x.stderr.trim() }), { manifest: m, dir });
  }
  const opened = openProject({ ...opts, cwd: dir });
  if (!opened.project) return { diags: opened.diags, manifest: m, dir, volumes: [] };
  const p = opened.project;
  // Plan once to know where it runs and its slot; the volumes are created for that compose project.
  const made = await planApply(p);
  if (!("plan" in made)) return { diags: made.diags, manifest: m, dir, volumes: [] };
  const diags: Diagnostic[] = [];
  const volumeParts = m.parts.filter((x) => x.kind === "volume");
  const seeded: string[] = [];
  if (volumeParts.length && made.plan.instance.backend !== "compose") diags.push(warning("Volumes not restored", { detail: `The snapshot holds ${volumeParts.length} compose volume(s), but ${dir} runs the ${made.plan.instance.backend} backend.` }));
  else if (volumeParts.length) {
    const project = composeProjectName(p.project, made.plan.slot.number);
    for (const part of volumeParts) {
      seeded.push(await seedVolume(p.ctx, { project, key: part.name, data: snap.read(part) }));
      opts.log(`Restored volume ${part.name} into ${seeded[seeded.length - 1]} on ${p.ctx.target.name}.`);
    }
  }
  const outcome = await applyProject(p, { ...req, slot: made.plan.slot.number, placement: made.plan.placement?.target ?? "local" });
  const stackCreated = p.store.exists() && Object.values(p.store.load().state.resources).some((r) => r.type === "compose");
  if (!stackCreated && seeded.length) {
    // The stack never came up: the volumes sbx just created are its own to remove.
    await p.ctx.target.run(["docker", "volume", "rm", "-f", ...seeded], { env: p.ctx.env, timeoutMs: 60_000 });
  }
  if (!hasErrors(outcome.diags) && !outcome.cancelled) {
    for (const part of m.parts.filter((x) => x.kind === "file")) {
      const dest = path.resolve(p.ctx.onTarget.worktree, part.name);
      const now = await p.ctx.target.readFile(dest);
      if (now !== undefined && sha256(now) === part.sha256) continue;
      await p.ctx.target.writeFile(dest, snap.read(part), 0o644);
      diags.push(warning(`Restored ${part.name} as it was in the snapshot`, { detail: "It differs from what [sandbox.files] provisions now; `sbx plan` shows it as edited outside sbx, and `sbx apply` provisions it again." }));
    }
    appendEvent(opts.home, { event: "restored", instance: p.id, snapshot: m.id, from: m.instance, worktree: dir });
  }
  return { diags: [...diags, ...outcome.diags], manifest: m, dir, apply: outcome, volumes: seeded };
}
