// Linux /proc facts: one parser for /proc/<pid>/stat, listening sockets per port,
// and owner markers in process environments.

import * as fs from "node:fs";

export interface ProcStat {
  state: string;
  ppid: number;
  pgid: number;
  /** Clock ticks since boot (field 22): with the pid, identifies a process uniquely. */
  startTime: string;
}

/** Parse /proc/<pid>/stat. The command name may hold spaces and parentheses, so split after the last `)`. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(" ");
  // f[0] is field 3 (state); field N is f[N - 3].
  if (f.length < 20) return undefined;
  return { state: f[0]!, ppid: Number(f[1]), pgid: Number(f[2]), startTime: f[19]! };
}

export function procStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined; // no such process (or not Linux)
  }
  return parseProcStat(text);
}

/** Numeric entries of /proc. */
export function pids(): number[] {
  let names: string[];
  try {
    names = fs.readdirSync("/proc");
  } catch {
    return []; // not Linux
  }
  return names.filter((d) => /^\d+$/.test(d)).map(Number);
}

/** Socket inodes listening on `port` in the text of /proc/net/tcp or tcp6 (any Linux host's). */
export function listeningInodesIn(text: string, port: number): string[] {
  const out: string[] = [];
  for (const line of text.split("\n").slice(1)) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 10 || cols[3] !== "0A") continue;
    const local = cols[1]!;
    if (parseInt(local.slice(local.lastIndexOf(":") + 1), 16) === port) out.push(cols[9]!);
  }
  return out;
}

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = fs.readFileSync(f, "utf8");
    } catch {
      continue; // no IPv6, or not Linux: nothing to learn from this file
    }
    for (const i of listeningInodesIn(text, port)) inodes.add(i);
  }
  return inodes;
}

function fdTargets(pid: number): string[] {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return []; // gone, or not ours to read
  }
  const out: string[] = [];
  for (const fd of fds) {
    try {
      out.push(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      continue; // fd closed while we looked
    }
  }
  return out;
}

/** Pids of processes with a listening socket on `port` (only processes we may inspect). */
export function portListeners(port: number): number[] {
  const inodes = listeningInodes(port);
  if (!inodes.size) return [];
  return pids().filter((pid) => fdTargets(pid).some((t) => inodes.has(/^socket:\[(\d+)\]$/.exec(t)?.[1] ?? "")));
}

/** Processes whose environment has `NAME=value` with value starting with `prefix`. */
export function withMarker(name: string, prefix: string): { pid: number; value: string }[] {
  const out: { pid: number; value: string }[] = [];
  const head = `${name}=${prefix}`;
  for (const pid of pids()) {
    let env: string;
    try {
      env = fs.readFileSync(`/proc/${pid}/environ`, "utf8");
    } catch {
      continue; // exited, or not ours to read
    }
    const entry = env.split("\0").find((e) => e.startsWith(head));
    if (entry) out.push({ pid, value: entry.slice(name.length + 1) });
  }
  return out;
}

export function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ").slice(0, 80);
  } catch {
    return "?"; // exited while we looked
  }
}

/** Live (non-zombie) members of a process group. */
export function groupMembers(pgid: number): number[] {
  return pids().filter((pid) => {
    const s = procStat(pid);
    return s !== undefined && s.pgid === pgid && s.state !== "Z";
  });
}
