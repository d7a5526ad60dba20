// Where sbx keeps host state: $SBX_HOME, default $XDG_STATE_HOME/sbx.

import * as os from "node:os";
import * as path from "node:path";

export function sbxHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SBX_HOME) return path.resolve(env.SBX_HOME);
  const xdg = env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state");
  return path.join(xdg, "sbx");
}

export const hostPaths = {
  registry: (home: string) => path.join(home, "registry.json"),
  registryLock: (home: string) => path.join(home, "registry"),
  key: (home: string) => path.join(home, "key"),
  /** A random id naming this $SBX_HOME on other hosts (owner markers). */
  id: (home: string) => path.join(home, "home-id"),
  /** A remote host's slot registry (its claims are this machine's only). */
  hostRegistry: (home: string, host: string) => path.join(home, "hosts", host, "registry.json"),
  hostRegistryLock: (home: string, host: string) => path.join(home, "hosts", host, "registry"),
  snapshots: (home: string) => path.join(home, "snapshots"),
  events: (home: string) => path.join(home, "events.jsonl"),
  instance: (home: string, id: string) => path.join(home, "instances", id),
};
