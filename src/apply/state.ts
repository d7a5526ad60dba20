// Instance state: an fsync'd journal of completed operations folded into an atomic
// snapshot (temp + rename, previous kept as .backup). Crash-safe and linear.

import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { writeAtomic } from "./atomic.js";

export const STATE_VERSION = 1;

export interface StateResource {
  address: string;
  type: string;
  attrs: Record<string, unknown>;
  /** Driver-owned facts (pid, start time, hashes, fingerprints). Never secret values. */
  output: Record<string, unknown>;
  dependsOn: string[];
  sensitive: string[];
}

export interface InstanceState {
  version: number;
  lineage: string;
  serial: number;
  instance: { id: string; project: string; worktree: string; backend: string; slot: number | null };
  resources: Record<string, StateResource>;
}

type JournalEntry = { op: "put"; resource: StateResource } | { op: "delete"; address: string } | { op: "meta"; instance: InstanceState["instance"] };

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
    try {
      state = JSON.parse(fs.readFileSync(this.snapshot, "utf8")) as InstanceState;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`State file ${this.snapshot} is unreadable: ${(e as Error).message}. Restore it from ${this.snapshot}.backup.`);
      state = { version: STATE_VERSION, lineage: randomUUID(), serial: 0, instance: { id: "", project: "", worktree: "", backend: "", slot: null }, resources: {} };
    }
    let replayed = 0;
    let text = "";
    try {
      text = fs.readFileSync(this.journal, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
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
    if (replayed) state.serial++;
    return { state, replayed };
  }

  /** Append one completed operation and fsync before the next one starts. */
  append(entry: JournalEntry): void {
    fs.mkdirSync(this.dir, { recursive: true });
    const fd = fs.openSync(this.journal, "a", 0o600);
    try {
      fs.writeSync(fd, JSON.stringify(entry) + "\n");
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Fold the journal into a new snapshot: serial+1, previous snapshot kept as .backup. */
  commit(state: InstanceState): void {
    fs.mkdirSync(this.dir, { recursive: true });
    if (fs.existsSync(this.snapshot)) {
      const onDisk = JSON.parse(fs.readFileSync(this.snapshot, "utf8")) as InstanceState;
      if (onDisk.lineage !== state.lineage) throw new Error(`Refusing to overwrite state with a different lineage (${onDisk.lineage} vs ${state.lineage}).`);
      if (onDisk.serial > state.serial) throw new Error(`Refusing to overwrite newer state (serial ${onDisk.serial} > ${state.serial}).`);
      fs.copyFileSync(this.snapshot, `${this.snapshot}.backup`);
    }
    state.serial++;
    writeAtomic(this.snapshot, JSON.stringify(state, null, 2) + "\n", 0o600);
    fs.rmSync(this.journal, { force: true });
  }
}

export function applyEntry(state: InstanceState, e: JournalEntry): void {
  if (e.op === "put") state.resources[e.resource.address] = e.resource;
  else if (e.op === "delete") delete state.resources[e.address];
  else state.instance = e.instance;
}
