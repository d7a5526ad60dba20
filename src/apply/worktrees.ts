// Host state of the worktrees sbx created (`$SBX_HOME/worktrees.json`): `sbx worktree
// done` removes a directory only when this record says sbx made it.

import * as fs from "node:fs";
import * as path from "node:path";
import { writeAtomic } from "./atomic.js";
import { acquireLock } from "./lock.js";

export interface WorktreeRecord {
  /** Real path of the worktree. */
  path: string;
  /** Real path of the repository's main checkout. */
  main: string;
  feature: string;
  branch: string;
  /** sbx created the branch too (it is kept on done either way). */
  created_branch: boolean;
  project: string;
  created_at: string;
}

interface WorktreeFile {
  version: 1;
  worktrees: Record<string, WorktreeRecord>;
}

const file = (home: string) => path.join(home, "worktrees.json");

export class WorktreeStateError extends Error {}

export function readWorktrees(home: string): WorktreeRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file(home), "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  let parsed: WorktreeFile | undefined;
  try {
    parsed = JSON.parse(text) as WorktreeFile;
  } catch {
    parsed = undefined; // reported below with what to do
  }
  if (!parsed || typeof parsed.worktrees !== "object" || parsed.worktrees === null)
    throw new WorktreeStateError(`${file(home)} is not a valid list of worktrees sbx created. Restore it, or move it away (sbx then removes no worktree directory it does not know it made).`);
  return Object.values(parsed.worktrees);
}

/** Change the records under a lock: `fn` gets them by path and may add or delete. */
export async function updateWorktrees(home: string, who: { command: string; log(line: string): void }, fn: (byPath: Record<string, WorktreeRecord>) => void): Promise<void> {
  const release = await acquireLock(path.join(home, "worktrees"), { what: "The worktree list", command: who.command, timeoutMs: 60_000, warn: (m) => who.log(`Warning: ${m}`) });
  try {
    const byPath: Record<string, WorktreeRecord> = {};
    for (const r of readWorktrees(home)) byPath[r.path] = r;
    fn(byPath);
    writeAtomic(file(home), JSON.stringify({ version: 1, worktrees: byPath } satisfies WorktreeFile, null, 2) + "\n");
  } finally {
    release();
  }
}
