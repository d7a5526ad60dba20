// Real port facts: is a port free, and which processes listen on it (Linux /proc).

import * as fs from "node:fs";
import * as net from "node:net";

export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const f of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = fs.readFileSync(f, "utf8");
    } catch {
      continue; // not Linux, or no IPv6: nothing to learn from this file
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10 || cols[3] !== "0A") continue;
      const local = cols[1]!;
      const p = parseInt(local.slice(local.lastIndexOf(":") + 1), 16);
      if (p === port) inodes.add(cols[9]!);
    }
  }
  return inodes;
}

/** Pids of processes with a listening socket on `port` (best effort: only visible processes). */
export function portListeners(port: number): number[] {
  const inodes = listeningInodes(port);
  if (!inodes.size) return [];
  const pids: number[] = [];
  for (const d of safeReaddir("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    for (const fd of safeReaddir(`/proc/${d}/fd`)) {
      let target: string;
      try {
        target = fs.readlinkSync(`/proc/${d}/fd/${fd}`);
      } catch {
        continue; // fd closed while we looked
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1]!)) {
        pids.push(Number(d));
        break;
      }
    }
  }
  return pids;
}

export function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return []; // gone or not ours to read
  }
}

export function commandOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean).join(" ").slice(0, 80);
  } catch {
    return "?";
  }
}
