// `sbx status` for a compose stack: every service of the compose file with its
// containers' state and the URLs of the host ports it publishes (named by port variable).

import type { StateResource } from "../../apply/state.js";
import { stoppedAt, type DriverContext, type ResourceStatus } from "../driver.js";
import { containers, projectLabel } from "./engine.js";
import type { ComposeAttrs } from "./kind.js";

/** Host ports in `docker ps` Ports text ("0.0.0.0:29001->80/tcp, :::29001->80/tcp"). */
export function publishedPorts(ports: string): number[] {
  return [...new Set([...ports.matchAll(/:(\d+)->/g)].map((m) => Number(m[1])))];
}

/** Port number → variable name, from the env file sbx wrote (`WEB_PORT=29001`). */
async function portNames(ctx: DriverContext, envFile: string): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  const data = envFile ? await ctx.target.readFile(envFile) : undefined;
  for (const line of data?.toString("utf8").split("\n") ?? []) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(\d{1,5})$/.exec(line.trim());
    if (m && m[1] !== "COMPOSE_PROJECT_NAME") names.set(Number(m[2]), m[1]!);
  }
  return names;
}

export async function stackStatus(ctx: DriverContext, prior: StateResource<ComposeAttrs>): Promise<ResourceStatus> {
  const a = prior.attrs;
  const cs = await containers(ctx, projectLabel(a.project));
  const names = await portNames(ctx, a.env_file);
  const services = [...new Set([...a.services, ...cs.map((c) => c.service)])].sort().map((name) => {
    const mine = cs.filter((c) => c.service === name);
    const states = [...new Set(mine.map((c) => c.state))].sort();
    const ports = [...new Set(mine.flatMap((c) => publishedPorts(c.ports)))].sort((x, y) => x - y);
    const state = !mine.length ? "missing" : states.length === 1 ? `${states[0]}${mine.length > 1 ? ` (${mine.length})` : ""}` : states.join("/");
    // The ports are published on the host the stack runs on.
    const host = ctx.placement?.kind === "ssh" ? ctx.placement.host : "localhost";
    return { name, state, urls: ports.map((p) => `http://${host}:${p}${names.has(p) ? ` (${names.get(p)})` : ""}`) };
  });
  const running = cs.filter((c) => c.state === "running").length;
  const stopped = stoppedAt(prior);
  const state: ResourceStatus["state"] = !cs.length ? "missing" : running === cs.length ? "running" : "stopped";
  const detail = stopped ? `stopped by sbx stop at ${stopped}` : `${running}/${cs.length} containers running`;
  return { state, detail, services };
}
