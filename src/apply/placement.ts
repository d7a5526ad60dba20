// From a placement to the target that reaches it: this machine, or another host over ssh
// (one multiplexed connection per host, its control socket in a short directory).

import { createHash, randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { formatPlacement, hostKey, remoteDirs, type Placement } from "../compile/placement.js";
import { hostPaths } from "./host.js";
import { localTarget } from "./target/local.js";
import { sshTarget } from "./target/ssh.js";
import type { Target } from "./target/types.js";

const targets = new Map<string, Target>();

/** Where ssh keeps its control sockets: $SBX_HOME/ssh, or a short directory in /tmp when that path is too long for a socket name. */
function controlDir(home: string): string {
  const inHome = path.join(home, "ssh");
  // A socket path holds at most ~104 bytes; ssh appends "/" + a 40-character hash (+ a temporary suffix).
  if (inHome.length <= 50) return inHome;
  return path.join(os.tmpdir(), `sbx-ssh-${os.userInfo().uid}-${createHash("sha256").update(home).digest("hex").slice(0, 8)}`);
}

/** The target a placement names. Only local and ssh:// are reached this way (swarm and k8s have their own). */
export function targetFor(placement: Placement | undefined, home: string): Target {
  if (!placement || placement.kind !== "ssh") return localTarget;
  const dir = controlDir(home);
  const key = `${formatPlacement(placement)} ${dir}`;
  let t = targets.get(key);
  if (!t) {
    t = sshTarget({ ...(placement.user ? { user: placement.user } : {}), host: placement.host, ...(placement.port ? { port: placement.port } : {}) }, { controlDir: dir });
    targets.set(key, t);
  }
  return t;
}

/** The slot registry a placement's claims live in: undefined for this machine, else the host's key. */
export function registryHost(placement: Placement | undefined): string | undefined {
  return placement?.kind === "ssh" ? hostKey(placement) : undefined;
}

/** Directories on the target for an instance: its remote root's <id>/worktree and /state, or the local worktree and state dir. */
export function targetDirs(placement: Placement | undefined, remoteRoot: string, inst: { id: string; worktree: string; stateDir: string }): { worktree: string; state: string; dir?: string } {
  if (placement?.kind !== "ssh") return { worktree: inst.worktree, state: inst.stateDir };
  return remoteDirs(remoteRoot, inst.id);
}

/** This $SBX_HOME's identity (random, created once): marks what it creates on other hosts. */
export function homeId(home: string): string {
  const file = hostPaths.id(home);
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  fs.mkdirSync(home, { recursive: true });
  const id = randomUUID();
  try {
    fs.writeFileSync(file, id + "\n", { flag: "wx", mode: 0o600 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e; // another sbx wrote it first: use theirs
    return fs.readFileSync(file, "utf8").trim();
  }
  return id;
}
