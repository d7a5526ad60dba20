// How tools, coding agents and people find a sandbox: URLs, ports, env variable names
// (never values), an SSH one-liner where there is one, placement and TTL. Kept in the
// instance's state dir (for `sbx status --json` and the API) and in the worktree as
// .sbx/sandbox.json, which is written and removed with the owned-file rules and kept out
// of git through the common dir's info/exclude.

import * as fs from "node:fs";
import * as path from "node:path";
import { timeLeft } from "../compile/duration.js";
import { removeOwned, writeOwned, type OwnedFileOutput } from "../kinds/owned-file.js";
import { DriverError, type DriverContext } from "../kinds/driver.js";
import { addExclude, removeExclude } from "../kinds/git-exclude/driver.js";
import { writeAtomic } from "./atomic.js";
import type { Instance } from "./project.js";
import type { SlotClaim } from "./registry.js";
import type { InstanceState } from "./state.js";

export const REACHABILITY_FORMAT = "1";
/** Where the worktree's copy lives, relative to the worktree top. */
export const WORKTREE_FILE = path.join(".sbx", "sandbox.json");
const EXCLUDE_LINE = "/.sbx/sandbox.json";

export interface Reachability {
  format_version: string;
  instance: string;
  project: string;
  worktree: string;
  backend: string;
  /** `local`, or where the sandbox runs (ssh://, k8s://...). */
  placement: string;
  slot: number | null;
  status: SlotClaim["status"] | "no slot";
  ports: Record<string, number>;
  urls: { name: string; url: string }[];
  /** A command that opens a shell where the sandbox runs; null on this machine. */
  ssh: string | null;
  /** Names of the variables in .env.sandbox (values: `sbx env`). */
  env: string[];
  /** Names of the secrets in .env.secrets (values are never shown). */
  secrets: string[];
  env_files: { sandbox: string | null; secrets: string | null };
  ttl: string | null;
  expires_at: string | null;
  profiles: { id: string; version: string }[];
  updated_at: string;
}

function stateFile(inst: Instance): string {
  return path.join(inst.stateDir, "reachability.json");
}

function ownedRecord(inst: Instance): string {
  return path.join(inst.stateDir, "sandbox-json.owned.json");
}

function envNames(content: unknown): string[] {
  if (typeof content !== "string") return [];
  const names: string[] = [];
  for (const line of content.split("\n")) {
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=/.exec(line);
    if (m && !names.includes(m[1]!)) names.push(m[1]!);
  }
  return names;
}

/** The document from state, the claim and what only the apply knew (URLs, placement). */
export function buildReachability(opts: { inst: Instance; state: InstanceState; claim?: SlotClaim; urls: { name: string; url: string }[]; placement: string }): Reachability {
  const { inst, state, claim } = opts;
  const res = Object.values(state.resources);
  const envFile = res.find((r) => r.address === "file.env_sandbox");
  const secrets = res.find((r) => r.type === "secrets");
  const slot = res.find((r) => r.type === "slot");
  return {
    format_version: REACHABILITY_FORMAT,
    instance: inst.id,
    project: inst.project,
    worktree: inst.paths.worktree,
    backend: state.instance.backend,
    placement: opts.placement,
    slot: claim?.slot ?? state.instance.slot,
    status: claim?.status ?? "no slot",
    ports: claim?.ports ?? {},
    urls: opts.urls,
    ssh: null,
    env: envNames(envFile?.attrs.content),
    secrets: Object.keys((secrets?.attrs.refs as Record<string, string> | undefined) ?? {}).sort(),
    env_files: { sandbox: typeof envFile?.attrs.path === "string" ? envFile.attrs.path : null, secrets: typeof secrets?.attrs.path === "string" ? secrets.attrs.path : null },
    ttl: typeof slot?.attrs.ttl === "string" ? slot.attrs.ttl : null,
    expires_at: claim?.expires_at ?? null,
    profiles: (state.instance.profiles ?? []).map((p) => ({ id: p.id, version: p.version })),
    updated_at: new Date().toISOString(),
  };
}

/** The last document written for an instance, with the claim's live status and expiry. */
export function readReachability(inst: Instance, claim: SlotClaim | undefined): (Reachability & { time_left: string | null }) | undefined {
  let doc: Reachability;
  try {
    doc = JSON.parse(fs.readFileSync(stateFile(inst), "utf8")) as Reachability;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || e instanceof SyntaxError) return undefined; // never written, or torn: status falls back to state
    throw e;
  }
  const expires = claim ? claim.expires_at : doc.expires_at;
  return { ...doc, status: claim?.status ?? "no slot", expires_at: expires, time_left: expires ? timeLeft(expires) : null };
}

/** The worktree is on this machine, whichever host the sandbox runs on: its copy is written here. */
function localCtx(inst: Instance): DriverContext {
  return { ...inst.ctx, target: inst.ctx.source, onTarget: { worktree: inst.paths.worktree, state: inst.stateDir } };
}

/**
 * Write both copies. A worktree that is gone gets none (gc's case). A worktree copy that
 * cannot be written (`.sbx` is a file, a read-only checkout) is reported, not fatal: the
 * sandbox runs, and status and the API still have the state dir's copy.
 */
export async function publishReachability(inst: Instance, doc: Reachability): Promise<{ problem?: string }> {
  const text = JSON.stringify(doc, null, 2) + "\n";
  writeAtomic(stateFile(inst), text);
  if (!fs.existsSync(inst.paths.worktree)) return {};
  const file = path.join(inst.paths.worktree, WORKTREE_FILE);
  const prior = readOwned(inst);
  const dir = path.dirname(file);
  const createdDir = prior?.createdDir === true || !fs.existsSync(dir);
  try {
    const written = await writeOwned(localCtx(inst), { file, data: text, mode: 0o644, ...(prior ? { prior } : {}) });
    // Kept out of git by this sandbox's own lines in the repository's info/exclude (withdrawn on destroy).
    const excludeFile = await addExclude(localCtx(inst), inst.paths.worktree, EXCLUDE_LINE);
    writeAtomic(ownedRecord(inst), JSON.stringify({ ...written, createdDir, ...(excludeFile ? { excludeFile } : {}) }) + "\n");
  } catch (e) {
    if (e instanceof DriverError || (e as NodeJS.ErrnoException).code) return { problem: `${file} could not be written (${(e as Error).message}); \`sbx status --json' has the same document.` };
    throw e;
  }
  return {};
}

/** Move the expiry in both copies (extend-ttl), if they exist. */
export async function updateExpiry(inst: Instance, expiresAt: string | null): Promise<{ problem?: string }> {
  let doc: Reachability;
  try {
    doc = JSON.parse(fs.readFileSync(stateFile(inst), "utf8")) as Reachability;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT" || e instanceof SyntaxError) return {}; // nothing published yet: the next apply writes it
    throw e;
  }
  return publishReachability(inst, { ...doc, expires_at: expiresAt, updated_at: new Date().toISOString() });
}

/** Remove the worktree copy (restoring a file that was there before sbx, keeping one edited since). Returns what was kept. */
export async function withdrawReachability(inst: Instance): Promise<string | undefined> {
  const prior = readOwned(inst);
  if (!prior) return undefined;
  const file = path.join(inst.paths.worktree, WORKTREE_FILE);
  if (!fs.existsSync(inst.paths.worktree)) {
    // gc: the worktree is gone, and with it the file; never recreate a directory to put one back.
    // The repository's exclude file (in the main checkout's git dir) may still hold our lines.
    if (prior.excludeFile && fs.existsSync(prior.excludeFile)) await removeExclude(localCtx(inst), prior.excludeFile, EXCLUDE_LINE);
    fs.rmSync(ownedRecord(inst), { force: true });
    return undefined;
  }
  const kept = (await removeOwned(localCtx(inst), file, prior)).kept;
  if (!kept && prior.createdDir) removeEmptyDir(path.dirname(file));
  await removeExclude(localCtx(inst), prior.excludeFile, EXCLUDE_LINE);
  fs.rmSync(ownedRecord(inst), { force: true });
  return kept;
}

function readOwned(inst: Instance): (OwnedFileOutput & { createdDir?: boolean; excludeFile?: string }) | undefined {
  try {
    return JSON.parse(fs.readFileSync(ownedRecord(inst), "utf8")) as OwnedFileOutput & { createdDir?: boolean; excludeFile?: string };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

function removeEmptyDir(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "ENOENT" && code !== "EEXIST") throw e;
    // not empty (the user keeps profiles there) or gone: leave it
  }
}
