// Talking to a Docker Swarm manager through the target: whether the engine is in a
// swarm, the services, tasks, secrets, networks, configs and volumes of a stack, found
// by label. Every listing is filtered by this instance's owner label.

import { DriverError, type DriverContext } from "../driver.js";
import { NAMESPACE_LABEL, OWNER_LABEL } from "./kind.js";

export interface DockerResult {
  ok: boolean;
  out: string[];
  err: string;
}

export async function dockerTry(ctx: DriverContext, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<DockerResult> {
  const r = await ctx.target.run(["docker", ...args], { env: opts.env ?? ctx.env, timeoutMs: opts.timeoutMs ?? 60_000, ...(opts.input !== undefined ? { input: opts.input } : {}) });
  if (r.notFound) throw new DriverError('docker is not installed. Install Docker, or use backend = "process".', undefined, "provision");
  return { ok: r.exitCode === 0, out: r.stdout.split("\n").filter(Boolean), err: ctx.redactor.redact(r.stderr.trim() || r.stdout.trim()) };
}

export async function docker(ctx: DriverContext, args: string[]): Promise<string[]> {
  const r = await dockerTry(ctx, args);
  if (!r.ok) throw new DriverError(`docker ${args.slice(0, 2).join(" ")} failed: ${r.err}`);
  return r.out;
}

export type SwarmNode = { state: "active"; manager: boolean } | { state: "inactive" | "pending" | "error" | "locked" | "unknown"; manager: false };

/** Whether this engine is in a swarm, and a manager (only managers deploy stacks). */
export async function swarmNode(ctx: DriverContext): Promise<SwarmNode> {
  const r = await dockerTry(ctx, ["info", "--format", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}"], { timeoutMs: 30_000 });
  if (!r.ok) throw new DriverError(`docker info failed: ${r.err}. Is the Docker engine running?`, undefined, "provision");
  const [state, control] = (r.out[0] ?? "").trim().split(" ");
  if (state === "active") return { state, manager: control === "true" };
  return { state: (["inactive", "pending", "error", "locked"].includes(state ?? "") ? state : "unknown") as "inactive", manager: false };
}

export function notInSwarm(node: SwarmNode): DriverError | undefined {
  if (node.state !== "active")
    return new DriverError(
      `This Docker engine is not in a swarm (state: ${node.state}). Run \`docker swarm init --advertise-addr 127.0.0.1\` for a one-node swarm, or use backend = "compose".`,
      undefined,
      "provision",
    );
  if (!node.manager) return new DriverError("This Docker engine is a swarm worker; stacks are deployed from a manager. Point DOCKER_HOST at a manager node.", undefined, "provision");
  return undefined;
}

const byLabels = (labels: string[]) => labels.flatMap((l) => ["--filter", `label=${l}`]);
export const ownerOf = (ctx: DriverContext) => `${OWNER_LABEL}=${ctx.instanceId}`;
export const stackOf = (stack: string) => `${NAMESPACE_LABEL}=${stack}`;

export interface ServiceInfo {
  id: string;
  /** Full name, `<stack>_<service>`. */
  name: string;
  stack: string;
  /** The name in the compose file. */
  service: string;
  replicas: number | "global";
  updateState?: string;
  updateMessage?: string;
  published: number[];
  secrets: string[];
}

interface RawService {
  ID: string;
  Spec: {
    Name: string;
    Labels?: Record<string, string>;
    Mode?: { Replicated?: { Replicas?: number }; Global?: object };
    TaskTemplate?: { ContainerSpec?: { Secrets?: { SecretName: string }[] } };
  };
  UpdateStatus?: { State?: string; Message?: string };
  Endpoint?: { Ports?: { PublishedPort?: number }[] };
}

/** Services carrying this instance's owner label (and, given a stack, that stack's namespace). */
export async function services(ctx: DriverContext, stack?: string): Promise<ServiceInfo[]> {
  const ids = await docker(ctx, ["service", "ls", "-q", ...byLabels([ownerOf(ctx), ...(stack ? [stackOf(stack)] : [])])]);
  if (!ids.length) return [];
  const r = await dockerTry(ctx, ["service", "inspect", "--format", "{{json .}}", ...ids]);
  // A service removed between the two calls: inspect the ones still there.
  const rows = r.ok ? r.out : (await Promise.all(ids.map((id) => dockerTry(ctx, ["service", "inspect", "--format", "{{json .}}", id])))).flatMap((x) => (x.ok ? x.out : []));
  return rows
    .map((l) => JSON.parse(l) as RawService)
    .map((s) => {
      const ns = s.Spec.Labels?.[NAMESPACE_LABEL] ?? "";
      const mode = s.Spec.Mode;
      return {
        id: s.ID,
        name: s.Spec.Name,
        stack: ns,
        service: ns && s.Spec.Name.startsWith(`${ns}_`) ? s.Spec.Name.slice(ns.length + 1) : s.Spec.Name,
        replicas: mode?.Global ? ("global" as const) : (mode?.Replicated?.Replicas ?? 0),
        ...(s.UpdateStatus?.State ? { updateState: s.UpdateStatus.State, updateMessage: s.UpdateStatus.Message ?? "" } : {}),
        published: (s.Endpoint?.Ports ?? []).map((p) => p.PublishedPort ?? 0).filter((p) => p > 0),
        secrets: (s.Spec.TaskTemplate?.ContainerSpec?.Secrets ?? []).map((x) => x.SecretName),
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

export interface TaskInfo {
  name: string;
  desired: string;
  current: string;
  error: string;
}

/** The tasks of a service, newest first per slot, as `docker service ps` lists them. */
export async function tasks(ctx: DriverContext, serviceId: string): Promise<TaskInfo[]> {
  const r = await dockerTry(ctx, ["service", "ps", "--no-trunc", "--format", "{{.Name}}\t{{.DesiredState}}\t{{.CurrentState}}\t{{.Error}}", serviceId]);
  if (!r.ok) return [];
  return r.out.map((l) => {
    const [name, desired, current, err] = l.split("\t");
    return { name: name ?? "", desired: desired ?? "", current: current ?? "", error: err ?? "" };
  });
}

/** Names of objects of a kind (secret, config, network, volume) carrying all these labels. */
export async function objects(ctx: DriverContext, kind: "secret" | "config" | "network" | "volume", labels: string[]): Promise<string[]> {
  return (await docker(ctx, [kind, "ls", "--format", "{{.Name}}", ...byLabels(labels)])).sort();
}

/** Containers (task containers on this node) carrying all these labels; only running ones when asked. */
export async function containerIds(ctx: DriverContext, labels: string[], opts: { running?: boolean } = {}): Promise<string[]> {
  return docker(ctx, ["ps", opts.running ? "-q" : "-aq", ...byLabels(labels)]);
}
