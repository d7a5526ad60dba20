// A one-node Docker Swarm for tests: joined only when the engine is not in one already,
// and left (with the docker_gwbridge network it leaves behind) only by the test that joined.

import { execFileSync } from "node:child_process";

const docker = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });

export function swarmState(): string {
  return docker("info", "--format", "{{.Swarm.LocalNodeState}}").trim();
}

export interface SwarmLease {
  /** True when this lease ran `docker swarm init` (and so must leave). */
  joined: boolean;
  /** True when docker_gwbridge was created by this lease's init. */
  madeBridge: boolean;
}

function hasNetwork(name: string): boolean {
  return docker("network", "ls", "--format", "{{.Name}}").split("\n").includes(name);
}

/** Make sure the engine is a swarm manager; init a one-node swarm on 127.0.0.1 if it is in none. */
export function joinSwarm(): SwarmLease {
  const state = swarmState();
  if (state === "active") return { joined: false, madeBridge: false };
  if (state !== "inactive") throw new Error(`the Docker engine's swarm state is ${state}; fix it by hand (docker swarm leave --force)`);
  const bridgeBefore = hasNetwork("docker_gwbridge");
  docker("swarm", "init", "--advertise-addr", "127.0.0.1");
  console.log("  (joined a one-node Docker Swarm for this test: docker swarm init --advertise-addr 127.0.0.1)");
  return { joined: true, madeBridge: !bridgeBefore };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Leave the swarm if this lease joined it, and remove the docker_gwbridge it made. */
export async function leaveSwarm(lease: SwarmLease): Promise<void> {
  if (!lease.joined) return;
  docker("swarm", "leave", "--force");
  if (!lease.madeBridge) return;
  const end = Date.now() + 20_000;
  for (;;) {
    try {
      if (hasNetwork("docker_gwbridge")) docker("network", "rm", "docker_gwbridge");
      return;
    } catch (e) {
      // Task containers may hold it for a moment after the leave.
      if (Date.now() > end) throw e;
      await sleep(500);
    }
  }
}
