// Instance state: an fsync'd journal of completed operations folded into an atomic
// snapshot (temp + rename, previous kept as .backup). Crash-safe and linear.

import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { validateState } from "../compile/generated/validators.js";
import { writeAtomic } from "./atomic.js";

/** Version 2 dropped per-resource `sensitive` (kinds declare it) and added `instance.main`. */
export const STATE_VERSION = 2;

export interface StateResource<A extends object = Record<string, unknown>> {
  address: string;
  type: string;
  attrs: A;
  /** Driver-owned facts (pid, start time, hashes, fingerprints). Never secret values. */
  output: Record<string, unknown>;
  dependsOn: string[];
}

export interface InstanceMeta {
  id: string;
  project: string;
  worktree: string;
  /** The main repository (copy sources, dotenv:// paths). */
  main: string;
  backend: string;
  slot: number | null;
  profiles?: { id: string; version: string; hash: string }[];
  /** Where it runs when not on this machine (ssh://user@host:port): destroy reaches it from state alone. */
  placement?: string;
  /** On a remote placement, the root its directories live under. */
  remote_root?: string;
  /** How a route chose the placement, for `sbx status`. */
  route?: string;
  /** Made with --profile (and --input): used again when the worktree has no infra.toml. */
  origin?: { profile: string; inputs: Record<string, string> };
}

export interface InstanceState {
  version: number;
  lineage: string;
  serial: number;
  instance: InstanceMeta;
  resources: Record<string, StateResource>;
  /** Operations a run began and did not finish (it crashed or was killed): address → action. */
  pending?: Record<string, string>;
}

export type JournalEntry =
  | { op: "intent"; address: string; action: string }
  | { op: "put"; resource: StateResource }
  | { op: "delete"; address: string }
  | { op: "meta"; instance: InstanceMeta };

/** State that cannot be used: unreadable, from a newer sbx, or lost while running. */
export class StateError extends Error {}

export function emptyState(): InstanceState {
  return { version: STATE_VERSION, lineage: randomUUID(), serial: 0, instance: { id: "", project: "", worktree: "", main: "", backend: "", slot: null }, resources: {} };
}

/** Bring an older snapshot up to STATE_VERSION; refuse a newer one. */
export function migrateState(raw: unknown, file: string): InstanceState {
  const s = raw as Partial<InstanceState> & { resources?: Record<string, StateResource & { sensitive?: unknown }> };
  if (!s || typeof s !== "object" || typeof s.lineage !== "string" || typeof s.resources !== "object" || s.resources === null)
    throw new StateError(`${file} is not an sbx state file. Restore it from ${file}.backup, or move it away to start over.`);
  const version = typeof s.version === "number" ? s.version : 1;
  if (version > STATE_VERSION) throw new StateError(`${file} was written by a newer sbx (state version ${version}; this sbx reads up to ${STATE_VERSION}). Upgrade sbx.`);
  const resources: Record<string, StateResource> = {};
  for (const [k, r] of Object.entries(s.resources)) {
    const { sensitive: _dropped, ...rest } = r;
    resources[k] = { ...rest, dependsOn: rest.dependsOn ?? [], output: rest.output ?? {} };
  }
  const inst = (s.instance ?? {}) as Partial<InstanceMeta>;
  const migrated: InstanceState = {
    version: STATE_VERSION,
    lineage: s.lineage,
    serial: typeof s.serial === "number" ? s.serial : 0,
    instance: { id: inst.id ?? "", project: inst.project ?? "", worktree: inst.worktree ?? "", main: inst.main ?? inst.worktree ?? "", backend: inst.backend ?? "", slot: inst.slot ?? null, ...(inst.profiles ? { profiles: inst.profiles } : {}), ...(inst.origin ? { origin: inst.origin } : {}), ...(inst.placement ? { placement: inst.placement } : {}), ...(inst.remote_root ? { remote_root: inst.remote_root } : {}), ...(inst.route ? { route: inst.route } : {}) },
    resources,
    ...(s.pending ? { pending: s.pending } : {}),
  };
  if (!validateState(migrated)) {
    const e = validateState.errors?.[0];
    throw new StateError(`${file} does not match the state schema (${e?.instancePath || "/"} ${e?.message ?? "is invalid"}). Restore it from ${file}.backup, or move it away to start over.`);
  }
  return migrated;
}

export function applyEntry(state: InstanceState, e: JournalEntry): void {
  if (e.op === "intent") {
    state.pending = { ...(state.pending ?? {}), [e.address]: e.action };
    return;
  }
  if (e.op === "meta") {
    state.instance = e.instance;
    return;
  }
  const address = e.op === "put" ? e.resource.address : e.address;
  if (e.op === "put") state.resources[address] = e.resource;
  else delete state.resources[address];
  if (state.pending?.[address]) {
    const { [address]: _done, ...rest } = state.pending;
    state.pending = Object.keys(rest).length ? rest : undefined;
  }
}

/** Fold journal lines into a state; a torn last line (crash mid-write) ends the replay. */
export function replayJournal(state: InstanceState, text: string): number {
  let replayed = 0;
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let entry: JournalEntry;
    try {
      entry = JSON.parse(line) as JournalEntry;
    } catch {
      break; // a torn last line from a crash: everything before it is complete
    }
    applyEntry(state, entry);
    replayed++;
  }
  return replayed;
}

export class StateStore {
  readonly snapshot: string;
  readonly journal: string;

  constructor(readonly dir: string) {
    this.snapshot = path.join(dir, "state.json");
    this.journal = path.join(dir, "journal.jsonl");
  }

  exists(): boolean {
    return fs.existsSync(this.snapshot) || fs.existsSync(this.journal);
  }

  /** Snapshot plus any journal left by an interrupted run. */
  load(): { state: InstanceState; replayed: number } {
    let state: InstanceState;
    let text: string | undefined;
    try {
      text = fs.readFileSync(this.snapshot, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new StateError(`State file ${this.snapshot} is unreadable: ${(e as Error).message}.`);
    }
    if (text === undefined) state = emptyState();
    else {
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        throw new StateError(`State file ${this.snapshot} is not valid JSON. Restore it from ${this.snapshot}.backup.`);
      }
      state = migrateState(raw, this.snapshot);
    }
    let journal = "";
    try {
      journal = fs.readFileSync(this.journal, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new StateError(`Journal ${this.journal} is unreadable: ${(e as Error).message}.`);
    }
    const replayed = replayJournal(state, journal);
    if (replayed) state.serial++;
    return { state, replayed };
  }

  /** A token `init` leaves in the directory: a later write requires this very directory (a
   * directory removed and made again, say by a driver's mkdir -p, has no token; inode
   * numbers are reused at once, so they cannot tell). */
  private token: string | undefined;

  private get tokenFile(): string {
    return path.join(this.dir, ".run");
  }

  /** Create the instance directory; every later write requires it to still be there. */
  init(): void {
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.token = randomUUID();
    fs.writeFileSync(this.tokenFile, this.token + "\n", { mode: 0o600 });
  }

  /** The directory is still the one `init` saw: gone, or removed and made again, both mean state was lost. */
  private requireDir(): void {
    if (!this.stillOurs())
      throw new StateError(`The state directory ${this.dir} disappeared while sbx was running. What this run created is still running; run \`sbx destroy\` (it finds it by owner labels) or \`sbx apply\` again.`);
  }

  private stillOurs(): boolean {
    try {
      if (this.token === undefined) return fs.statSync(this.dir).isDirectory();
      return fs.readFileSync(this.tokenFile, "utf8").trim() === this.token;
    } catch (e) {
      if (["ENOENT", "ENOTDIR"].includes((e as NodeJS.ErrnoException).code ?? "")) return false;
      throw e;
    }
  }

  /**
   * Append entries with one fsync (group commit). Intents are made durable before their
   * action starts; a completion may wait for the next group, since a crash before it
   * leaves the intent, which the next run recovers from.
   */
  append(...entries: JournalEntry[]): void {
    if (!entries.length) return;
    this.requireDir();
    const fd = fs.openSync(this.journal, "a", 0o600);
    try {
      fs.writeSync(fd, entries.map((e) => JSON.stringify(e) + "\n").join(""));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Fold the journal into a new snapshot: serial+1, previous snapshot kept as .backup. */
  commit(state: InstanceState): void {
    this.requireDir();
    if (fs.existsSync(this.snapshot)) {
      let raw: unknown;
      try {
        raw = JSON.parse(fs.readFileSync(this.snapshot, "utf8"));
      } catch (e) {
        throw new StateError(`State file ${this.snapshot} became unreadable during the run (${(e as Error).message}); restore it from ${this.snapshot}.backup.`);
      }
      const onDisk = migrateState(raw, this.snapshot);
      if (onDisk.lineage !== state.lineage) throw new StateError(`Refusing to overwrite state with a different lineage (${onDisk.lineage} vs ${state.lineage}).`);
      if (onDisk.serial > state.serial) throw new StateError(`Refusing to overwrite newer state (serial ${onDisk.serial} > ${state.serial}).`);
      fs.copyFileSync(this.snapshot, `${this.snapshot}.backup`);
    }
    state.serial++;
    if (state.pending && !Object.keys(state.pending).length) delete state.pending;
    writeAtomic(this.snapshot, JSON.stringify(state, null, 2) + "\n", 0o600);
    fs.rmSync(this.journal, { force: true });
  }
}
