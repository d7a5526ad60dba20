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
  events: (home: string) => path.join(home, "events.jsonl"),
  instance: (home: string, id: string) => path.join(home, "instances", id),
};
