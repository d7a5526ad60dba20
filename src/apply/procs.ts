// Process facts from /proc: start time (so a reused pid is never mistaken for ours),
// and the owner marker sbx puts in every child's environment.

import * as fs from "node:fs";
import { safeReaddir } from "./ports.js";

export const OWNER_VAR = "SBX_OWNER";

/** Start time in clock ticks since boot (field 22 of /proc/<pid>/stat), or undefined if gone. */
export function startTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined; // no such process
  }
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (rest[0] === "Z") return undefined; // a zombie is dead for our purposes
  return rest[19];
}

export function isOurs(pid: number, start: unknown): boolean {
  return typeof start === "string" && startTime(pid) === start;
}

/** Processes carrying `SBX_OWNER=<instance>/<address>` (all of an instance when address is omitted). */
export function ownedProcesses(instance: string, address?: string): { pid: number; address: string }[] {
  const out: { pid: number; address: string }[] = [];
  const prefix = `${OWNER_VAR}=${instance}/`;
  for (const d of safeReaddir("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    let env: string;
    try {
      env = fs.readFileSync(`/proc/${d}/environ`, "utf8");
    } catch {
      continue; // exited, or not ours to read
    }
    const entry = env.split("\0").find((e) => e.startsWith(prefix));
    if (!entry) continue;
    const addr = entry.slice(prefix.length);
    if (address === undefined || addr === address) out.push({ pid: Number(d), address: addr });
  }
  return out;
}

function alive(pid: number): boolean {
  return startTime(pid) !== undefined;
}

/** SIGTERM the process group, then SIGKILL after the grace period. */
export async function stopGroup(pgid: number, graceMs: number): Promise<void> {
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-pgid, s);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
    }
  };
  signal("SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!alive(pgid) && !groupHasMembers(pgid)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  signal("SIGKILL");
  const hard = Date.now() + 2000;
  while (Date.now() < hard && (alive(pgid) || groupHasMembers(pgid))) await new Promise((r) => setTimeout(r, 20));
}

function groupHasMembers(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    // Members may be zombies awaiting their reaper; count only live ones.
    for (const d of safeReaddir("/proc")) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
        const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        if (Number(rest[2]) === pgid && rest[0] !== "Z") return true;
      } catch {
        continue; // exited while we looked
      }
    }
    return false;
  } catch {
    return false;
  }
}
