// What the microvm kinds share about the NixOS host: where a host path is reached (a
// stand-in root in tests), writing and removing module files with the owned-file rules,
// and what the host must have before sbx changes anything (the preflight).

import * as path from "node:path";
import * as posix from "node:path/posix";
import { error, type Diagnostic } from "../../compile/diagnostics.js";
import type { Observation } from "../../plan/model.js";
import type { DeleteResult, Driver, DriverContext } from "../driver.js";
import { currentHash, removeOwned, writeOwned, type OwnedFileOutput } from "../owned-file.js";

/**
 * Test-only: a directory standing in for the host's `/` (it holds etc/NIXOS and the
 * modules). Commands (systemctl, nixos-rebuild, journalctl) still come from PATH.
 */
export const TEST_HOST_ROOT_VAR = "SBX_TEST_HOST_ROOT";

/** The host path `p` as this process reaches it. */
export function onHost(ctx: DriverContext, p: string): string {
  const root = ctx.env[TEST_HOST_ROOT_VAR];
  return root ? path.join(root, p) : p;
}

export interface ModuleFile {
  /** Relative to the VM's module directory. */
  rel: string;
  text: string;
  /** The attribute holding the text (shown as drift when the file is edited). */
  attr: string;
}

export interface ModulesOutput {
  /** Ownership record per file (by `rel`). */
  files: Record<string, OwnedFileOutput>;
  /** Directories sbx created (outermost first), removed on delete when empty. */
  made_dirs: string[];
  [key: string]: unknown;
}

function isModulesOutput(o: Record<string, unknown>): o is ModulesOutput {
  return typeof o.files === "object" && o.files !== null && Array.isArray(o.made_dirs);
}

/** Directories from `dir` up that do not exist yet, outermost first (host paths). */
async function missingDirs(ctx: DriverContext, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (let d = dir; d !== posix.dirname(d); d = posix.dirname(d)) {
    if (await ctx.target.stat(onHost(ctx, d))) break;
    out.unshift(d);
  }
  return out;
}

/** Write a VM's module files; a file that was there before sbx is kept and restored on delete. */
export async function writeModules(ctx: DriverContext, dir: string, files: readonly ModuleFile[], prior?: Record<string, unknown>, recovering?: boolean): Promise<ModulesOutput> {
  const before = prior && isModulesOutput(prior) ? prior : undefined;
  const made = new Set(before?.made_dirs ?? []);
  const out: ModulesOutput = { files: {}, made_dirs: [] };
  for (const f of files) {
    const file = posix.join(dir, f.rel);
    for (const d of await missingDirs(ctx, posix.dirname(file))) made.add(d);
    out.files[f.rel] = await writeOwned(ctx, { file: onHost(ctx, file), data: f.text, mode: 0o644, prior: before?.files[f.rel], recovering });
  }
  // Files the previous version wrote that this one does not.
  for (const [rel, o] of Object.entries(before?.files ?? {})) if (!(rel in out.files)) await removeOwned(ctx, onHost(ctx, posix.join(dir, rel)), o);
  out.made_dirs = [...made].sort((a, b) => a.length - b.length);
  return out;
}

/** The files as they are now: deleted (missing) or edited (drifted, with the text found). */
export async function observeModules(ctx: DriverContext, dir: string, files: readonly ModuleFile[], prior: Record<string, unknown>): Promise<Observation> {
  if (!isModulesOutput(prior)) return { status: "missing", reason: "no record of the files sbx wrote" };
  const observed: Record<string, unknown> = {};
  const edited: string[] = [];
  for (const f of files) {
    const file = posix.join(dir, f.rel);
    const h = await currentHash(ctx, onHost(ctx, file));
    if (h === undefined) return { status: "missing", reason: `${file} deleted outside sbx` };
    if (h !== prior.files[f.rel]?.hash) {
      edited.push(file);
      const data = await ctx.target.readFile(onHost(ctx, file));
      if (data && data.length <= 256 * 1024) observed[f.attr] = data.toString("utf8");
    }
  }
  if (!edited.length) return { status: "ok" };
  return { status: "drifted", reason: `${edited.join(", ")} edited outside sbx`, action: "update", ...(Object.keys(observed).length ? { observed } : {}) };
}

/** Remove the files sbx wrote (restoring what was there before), then the directories it made, if empty. */
export async function removeModules(ctx: DriverContext, dir: string, prior: Record<string, unknown>): Promise<DeleteResult> {
  if (!isModulesOutput(prior)) return {};
  const kept: string[] = [];
  // Files kept because they were edited stay sbx's (in state, for --force); the rest are done.
  const remaining: Record<string, OwnedFileOutput> = {};
  for (const [rel, o] of Object.entries(prior.files)) {
    const r = await removeOwned(ctx, onHost(ctx, posix.join(dir, rel)), o);
    if (r.kept) kept.push(r.kept);
    if (r.needsForce) remaining[rel] = o;
  }
  for (const d of [...prior.made_dirs].sort((a, b) => b.length - a.length)) {
    // rmdir removes only an empty directory: anything else in it is not sbx's to remove.
    const r = await ctx.target.run(["rmdir", "--", onHost(ctx, d)]);
    if (r.exitCode !== 0 && (await ctx.target.stat(onHost(ctx, d)))) ctx.log(`${d}: not empty, left in place`);
  }
  if (Object.keys(remaining).length) return { kept: kept.join("; "), needsForce: true, output: { ...prior, files: remaining } };
  return kept.length ? { kept: kept.join("; ") } : {};
}

/** What the host lacks to run microVMs, as one diagnostic naming each need (none when it has everything). */
export async function nixosHostProblems(ctx: DriverContext, needs: { dirs: readonly string[]; rebuild: readonly string[] }): Promise<Diagnostic[]> {
  const missing: string[] = [];
  if (!(await ctx.target.stat(onHost(ctx, "/etc/NIXOS")))) missing.push("NixOS: there is no /etc/NIXOS, so this host is not NixOS.");
  const unit = await ctx.target.run(["systemctl", "cat", "microvm@.service"], { timeoutMs: 30_000 });
  if (unit.notFound) missing.push("systemd: systemctl is not on PATH.");
  else if (unit.exitCode !== 0)
    missing.push(`The microvm@.service unit template of microvm.nix: import microvm.nixosModules.host in the host's NixOS configuration (systemctl cat microvm@.service: ${firstLine(unit.all) || `exit ${unit.exitCode}`}).`);
  if (needs.rebuild.length) {
    const found = await ctx.target.run(["sh", "-c", 'command -v "$1"', "sh", needs.rebuild[0]!]);
    if (found.exitCode !== 0) missing.push(`${needs.rebuild[0]}, the first word of backend.microvm.rebuild_command (${needs.rebuild.join(" ")}): not on PATH.`);
  }
  for (const dir of needs.dirs) {
    // The nearest directory that exists must be writable for sbx to create the rest.
    const w = await ctx.target.run(["sh", "-c", 'd="$1"; while [ ! -e "$d" ]; do d=$(dirname "$d"); done; [ -d "$d" ] && [ -w "$d" ]', "sh", onHost(ctx, dir)]);
    if (w.exitCode !== 0) missing.push(`Write access to ${dir} (backend.microvm.host_config_dir), where sbx writes the VM's modules.`);
  }
  if (!missing.length) return [];
  return [
    error("This host cannot run the microvm backend", {
      code: "preflight",
      detail:
        `sbx apply starts an agent's microVM on a NixOS host that imports microvm.nix's host module. This host lacks:\n${missing.map((m) => `  - ${m}`).join("\n")}\n` +
        "Nothing was changed: no slot claimed, no state, no files written.\n" +
        '`sbx plan` and `sbx compile --out DIR` work on any machine; see README "Agent sandboxes" for what the host needs.',
    }),
  ];
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0]?.trim() ?? "";
}

/** The driver of a kind that is a set of module files under `attrs.dir` (nix.guest, nix.host). */
export function moduleFilesDriver<A extends { dir: string }>(type: string, files: (a: A) => ModuleFile[]): Driver<A> {
  return {
    type,
    read: (ctx, prior) => observeModules(ctx, prior.attrs.dir, files(prior.attrs), prior.output),
    async create(ctx, r, opts) {
      return { output: await writeModules(ctx, r.attrs.dir, files(r.attrs), undefined, opts?.recovering) };
    },
    async update(ctx, r, prior) {
      return { output: await writeModules(ctx, r.attrs.dir, files(r.attrs), prior.output) };
    },
    delete: (ctx, prior) => removeModules(ctx, prior.attrs.dir, prior.output),
  };
}
