// Snapshots on disk: $SBX_HOME/snapshots/<id>/ holds manifest.json and the parts it lists,
// each with its size and sha256. A snapshot is written under a temporary name and renamed
// into place when complete; one whose parts do not match their hashes is refused.

import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { hostPaths } from "../host.js";

export const SNAPSHOT_FORMAT = 1;

export type PartKind = "diff" | "untracked" | "file" | "volume";

export interface Part {
  kind: PartKind;
  /** What it is: the worktree-relative path of a provisioned file, a volume's compose name (`data`). */
  name: string;
  /** Relative to the snapshot directory. */
  file: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: number;
  id: string;
  name: string | null;
  created_at: string;
  instance: string;
  project: string;
  worktree: string;
  main: string;
  /** The commit the worktree's changes apply to. */
  base_commit: string;
  branch: string | null;
  backend: string;
  placement: string | null;
  /** The compose project whose volumes were saved. */
  compose_project: string | null;
  parts: Part[];
}

/** A snapshot that cannot be used: missing, unreadable, or corrupt. */
export class SnapshotError extends Error {}

export const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

export function newSnapshotId(project: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `${project.toLowerCase().replace(/[^a-z0-9_-]/g, "-")}-${stamp}-${randomBytes(2).toString("hex")}`;
}

/** Writes a snapshot's parts into a temporary directory; `commit` renames it into place. */
export class SnapshotWriter {
  private readonly tmp: string;
  readonly parts: Part[] = [];

  constructor(
    private readonly home: string,
    readonly id: string,
  ) {
    this.tmp = path.join(hostPaths.snapshots(home), `.${id}.partial`);
    fs.mkdirSync(this.tmp, { recursive: true, mode: 0o700 });
  }

  add(kind: PartKind, name: string, file: string, data: Buffer): Part {
    const abs = path.join(this.tmp, file);
    fs.mkdirSync(path.dirname(abs), { recursive: true, mode: 0o700 });
    // Parts may hold secrets (a provisioned .env, a database volume): only the owner reads them.
    fs.writeFileSync(abs, data, { mode: 0o600 });
    const part: Part = { kind, name, file, size: data.length, sha256: sha256(data) };
    this.parts.push(part);
    return part;
  }

  commit(manifest: Omit<Manifest, "parts">): Manifest {
    const full: Manifest = { ...manifest, parts: this.parts };
    const mf = path.join(this.tmp, "manifest.json");
    fs.writeFileSync(mf, JSON.stringify(full, null, 2) + "\n", { mode: 0o600 });
    const fd = fs.openSync(mf, "r");
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(this.tmp, path.join(hostPaths.snapshots(this.home), this.id));
    return full;
  }

  abandon(): void {
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}

function parseManifest(text: string, where: string): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch {
    throw new SnapshotError(`${where} is not valid JSON: the snapshot is corrupt.`);
  }
  const ok = m && typeof m === "object" && typeof m.id === "string" && typeof m.base_commit === "string" && Array.isArray(m.parts) && m.parts.every((p) => p && typeof p.file === "string" && typeof p.sha256 === "string" && typeof p.kind === "string");
  if (!ok) throw new SnapshotError(`${where} is not an sbx snapshot manifest: the snapshot is corrupt.`);
  if (m.format > SNAPSHOT_FORMAT) throw new SnapshotError(`${where} was written by a newer sbx (snapshot format ${m.format}; this sbx reads ${SNAPSHOT_FORMAT}). Upgrade sbx.`);
  return m;
}

/** Every complete snapshot, oldest first; unreadable ones are listed with their problem. */
export function listSnapshots(home: string): { manifest?: Manifest; id: string; problem?: string }[] {
  const dir = hostPaths.snapshots(home);
  const out: { manifest?: Manifest; id: string; problem?: string }[] = [];
  for (const id of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
    if (id.startsWith(".")) continue; // a snapshot still being written, or abandoned
    const mf = path.join(dir, id, "manifest.json");
    try {
      out.push({ id, manifest: parseManifest(fs.readFileSync(mf, "utf8"), mf) });
    } catch (e) {
      if (e instanceof SnapshotError) out.push({ id, problem: e.message });
      else if ((e as NodeJS.ErrnoException).code === "ENOENT") out.push({ id, problem: `${mf} is missing: the snapshot is corrupt.` });
      else throw e;
    }
  }
  return out.sort((a, b) => ((a.manifest?.created_at ?? "") < (b.manifest?.created_at ?? "") ? -1 : 1));
}

/** The snapshot an id or a unique name (--name LABEL) refers to. */
export function findSnapshot(home: string, ref: string): { id: string; dir: string } {
  const all = listSnapshots(home);
  const byId = all.find((s) => s.id === ref);
  if (byId) return { id: byId.id, dir: path.join(hostPaths.snapshots(home), byId.id) };
  const named = all.filter((s) => s.manifest?.name === ref);
  if (named.length === 1) return { id: named[0]!.id, dir: path.join(hostPaths.snapshots(home), named[0]!.id) };
  if (named.length > 1) throw new SnapshotError(`${named.length} snapshots are named ${ref}: ${named.map((s) => s.id).join(", ")}. Name one by its id.`);
  throw new SnapshotError(`No snapshot ${ref}. See \`sbx snapshots list\`.`);
}

/** Load a snapshot and check every part against its recorded size and sha256. */
export function loadVerified(dir: string): { manifest: Manifest; read(p: Part): Buffer } {
  const mf = path.join(dir, "manifest.json");
  let text: string;
  try {
    text = fs.readFileSync(mf, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new SnapshotError(`${mf} is missing: the snapshot is corrupt.`);
    throw e;
  }
  const manifest = parseManifest(text, mf);
  const data = new Map<Part, Buffer>();
  for (const p of manifest.parts) {
    const abs = path.resolve(dir, p.file);
    if (path.relative(dir, abs).startsWith("..")) throw new SnapshotError(`${mf} names a part outside the snapshot (${p.file}): the snapshot is corrupt.`);
    let buf: Buffer;
    try {
      buf = fs.readFileSync(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new SnapshotError(`Snapshot ${manifest.id} is corrupt: ${p.file} (${p.kind} ${p.name}) is missing.`);
      throw e;
    }
    if (buf.length !== p.size || sha256(buf) !== p.sha256)
      throw new SnapshotError(`Snapshot ${manifest.id} is corrupt: ${p.file} (${p.kind} ${p.name}) does not match its recorded ${buf.length === p.size ? "sha256" : `size (${buf.length} bytes, recorded ${p.size})`}. It was changed or damaged after it was taken; sbx restores nothing from it.`);
    data.set(p, buf);
  }
  return { manifest, read: (p) => data.get(p)! };
}
