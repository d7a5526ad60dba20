// Talking to the Docker engine and compose through the target: the compose command
// (plugin or standalone), and what a project owns, found by label.

import * as fs from "node:fs";
import * as path from "node:path";
import { parseSecretsFile } from "../../apply/secrets/file.js";
import type { Target } from "../../apply/target/types.js";
import { DriverError, type DriverContext } from "../driver.js";
import { OWNER_LABEL, type ComposeAttrs } from "./kind.js";

const commands = new Map<string, string[]>();

/**
 * What decides the answer on this machine: the docker and docker-compose found on PATH and
 * their mtimes. `docker-compose version` (Compose v1, Python) takes about half a second, so
 * the answer is kept in $SBX_HOME/cache while these stay the same.
 */
function localKey(env: NodeJS.ProcessEnv): string {
  const parts: string[] = [];
  for (const name of ["docker", "docker-compose"])
    for (const dir of (env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
      const st = fs.statSync(path.join(dir, name), { throwIfNoEntry: false });
      if (st?.isFile()) {
        parts.push(`${path.join(dir, name)}@${st.mtimeMs}`);
        break;
      }
    }
  // The compose plugin lives beside the docker CLI's config, not on PATH.
  const plugin = fs.statSync(path.join(env.DOCKER_CONFIG ?? path.join(env.HOME ?? "/", ".docker"), "cli-plugins", "docker-compose"), { throwIfNoEntry: false });
  if (plugin) parts.push(`plugin@${plugin.mtimeMs}`);
  return parts.join(" ");
}

/** The cached answer, or undefined when there is none yet or it cannot be read (then compose is asked). */
function readCache(file: string): { key?: string; cmd?: string[] } | undefined {
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "";
  try {
    return JSON.parse(text) as { key?: string; cmd?: string[] };
  } catch {
    return undefined; // torn or hand-edited: ask compose again, and the next answer replaces it
  }
}

/** The compose command available on the target: the plugin if present, else standalone. */
export async function composeCommand(target: Target, env: NodeJS.ProcessEnv, home?: string): Promise<string[]> {
  const known = commands.get(target.name);
  if (known) return known;
  const cacheFile = home && target.name === "local" ? path.join(home, "cache", "compose-command.json") : undefined;
  const key = cacheFile ? localKey(env) : "";
  const cached = cacheFile ? readCache(cacheFile) : undefined;
  if (cached?.key === key && Array.isArray(cached.cmd)) {
    commands.set(target.name, cached.cmd);
    return cached.cmd;
  }
  for (const cmd of [["docker", "compose"], ["docker-compose"]]) {
    const r = await target.run([...cmd, "version"], { env, timeoutMs: 30_000 });
    if (r.exitCode === 0) {
      commands.set(target.name, cmd);
      if (cacheFile) {
        fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
        fs.writeFileSync(cacheFile, `${JSON.stringify({ key, cmd })}\n`);
      }
      return cmd;
    }
  }
  throw new DriverError('Docker Compose is not installed: neither `docker compose` nor `docker-compose` works. Install Docker, or use backend = "process".', undefined, "provision");
}

/** The child's environment: no ambient project name or file list, secrets from the secrets file. */
async function composeEnv(ctx: DriverContext, a: ComposeAttrs): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = { ...ctx.env };
  // An ambient project name must never redirect a destructive command to another project.
  delete env.COMPOSE_PROJECT_NAME;
  delete env.COMPOSE_FILE;
  if (a.secrets_file) {
    const data = await ctx.target.readFile(a.secrets_file);
    if (data) {
      const values = parseSecretsFile(data.toString("utf8"));
      ctx.redactor.add(...values.values());
      Object.assign(env, Object.fromEntries(values));
    }
  }
  return env;
}

/**
 * `--project-directory` the worktree's compose file sits in, while it is there. Down, stop and
 * logs read the copy kept in the state dir; without this, its relative paths (env_file, build
 * contexts, bind mounts) would resolve in the state dir, and compose refuses a missing env_file.
 */
export async function projectDirectory(ctx: DriverContext, a: ComposeAttrs): Promise<string[]> {
  const dir = a.compose_file ? path.dirname(a.compose_file) : "";
  return dir && (await ctx.target.stat(dir))?.kind === "dir" ? ["--project-directory", dir] : [];
}

export async function compose(ctx: DriverContext, a: ComposeAttrs, files: string[], args: string[]): Promise<{ ok: boolean; output: string }> {
  const env = await composeEnv(ctx, a);
  const cmd = await composeCommand(ctx.target, env, ctx.home);
  const envFile = a.env_file && (await ctx.target.stat(a.env_file)) ? ["--env-file", a.env_file] : [];
  const r = await ctx.target.run([...cmd, "-p", a.project, ...(await projectDirectory(ctx, a)), ...files.flatMap((f) => ["-f", f]), ...envFile, ...args], { env, timeoutMs: 600_000 });
  return { ok: r.exitCode === 0, output: ctx.redactor.redact(r.all) };
}

async function docker(ctx: DriverContext, args: string[]): Promise<string[]> {
  const r = await ctx.target.run(["docker", ...args], { env: ctx.env, timeoutMs: 60_000 });
  if (r.notFound) throw new DriverError("docker is not installed. Install Docker, or use backend = \"process\".", undefined, "provision");
  if (r.exitCode !== 0) throw new DriverError(`docker ${args[0]} failed: ${r.stderr.trim()}. Is the Docker engine running?`);
  return r.stdout.split("\n").filter(Boolean);
}

export interface Container {
  name: string;
  state: string;
  service: string;
  project: string;
  ports: string;
}

const PS_ARGS = (label: string) => ["ps", "-a", "--filter", `label=${label}`, "--format", '{{.Names}}\t{{.State}}\t{{.Label "com.docker.compose.service"}}\t{{.Label "com.docker.compose.project"}}\t{{.Ports}}'];

export async function containers(ctx: DriverContext, label: string): Promise<Container[]> {
  return parseContainers(await docker(ctx, PS_ARGS(label)));
}

/**
 * Containers with a label, or undefined when no engine answers (not installed, not running).
 * Discovery uses this: with no engine nothing of ours can run, and a process sandbox must
 * not need Docker to plan.
 */
export async function containersIfEngine(ctx: DriverContext, label: string): Promise<Container[] | undefined> {
  const r = await ctx.target.run(["docker", ...PS_ARGS(label)], { env: ctx.env, timeoutMs: 60_000 });
  if (r.notFound || r.exitCode !== 0) return undefined;
  return parseContainers(r.stdout.split("\n").filter(Boolean));
}

function parseContainers(rows: string[]): Container[] {
  return rows.map((l) => {
    const [name, state, service, project, ports] = l.split("\t");
    return { name: name!, state: state!, service: service ?? "", project: project ?? "", ports: ports ?? "" };
  });
}

export const projectLabel = (project: string) => `com.docker.compose.project=${project}`;

export async function volumesWith(ctx: DriverContext, label: string): Promise<string[]> {
  return (await docker(ctx, ["volume", "ls", "-q", "--filter", `label=${label}`])).sort();
}

export async function networksWith(ctx: DriverContext, label: string): Promise<string[]> {
  return (await docker(ctx, ["network", "ls", "-q", "--filter", `label=${label}`])).sort();
}

/** Remove containers, then the networks and (when asked) the named volumes, carrying a label. */
/**
 * Containers of a compose project that another sbx sandbox (or no sbx) created: a project name
 * another user's stack already has on this engine (the same name and slot under another SBX_HOME).
 */
export async function foreignContainers(ctx: DriverContext, project: string): Promise<{ name: string; owner: string }[]> {
  const rows = await docker(ctx, ["ps", "-a", "--filter", `label=${projectLabel(project)}`, "--format", `{{.Names}}\t{{.Label "${OWNER_LABEL}"}}`]);
  return rows.map((l) => {
    const [name, owner] = l.split("\t");
    return { name: name!, owner: owner ?? "" };
  }).filter((c) => c.owner !== ctx.instanceId);
}

/** Remove this sandbox's containers (both labels), then the project's named volumes and networks. */
export async function removeLabelled(ctx: DriverContext, label: string, what: { volumes: boolean }): Promise<void> {
  const ids = await docker(ctx, ["ps", "-aq", "--filter", `label=${label}`, "--filter", `label=${OWNER_LABEL}=${ctx.instanceId}`]);
  if (ids.length) await docker(ctx, ["rm", "-f", ...ids]);
  if (what.volumes) {
    const vols = await volumesWith(ctx, label);
    if (vols.length) await docker(ctx, ["volume", "rm", "-f", ...vols]);
  }
  const nets = await networksWith(ctx, label);
  if (nets.length) await ctx.target.run(["docker", "network", "rm", ...nets], { env: ctx.env, timeoutMs: 60_000 });
}

export async function removeVolumes(ctx: DriverContext, names: string[]): Promise<void> {
  if (names.length) await docker(ctx, ["volume", "rm", "-f", ...names]);
}

/** Container ids, networks and volumes of a compose project, as they are now. */
export interface ProjectObjects {
  containers: string[];
  networks: string[];
  volumes: string[];
}

export async function projectObjects(ctx: DriverContext, project: string): Promise<ProjectObjects> {
  const label = projectLabel(project);
  // Three listings at once: each docker CLI start costs tens of milliseconds.
  const [ids, networks, volumes] = await Promise.all([docker(ctx, ["ps", "-aq", "--no-trunc", "--filter", `label=${label}`]), networksWith(ctx, label), volumesWith(ctx, label)]);
  return { containers: ids.sort(), networks, volumes };
}

/** Remove what a project has now and did not have in `before`: containers, then networks, then volumes. */
export async function removeCreatedSince(ctx: DriverContext, project: string, before: ProjectObjects): Promise<void> {
  const now = await projectObjects(ctx, project);
  const fresh = (k: keyof ProjectObjects) => now[k].filter((x) => !before[k].includes(x));
  if (fresh("containers").length) await docker(ctx, ["rm", "-f", ...fresh("containers")]);
  if (fresh("networks").length) await ctx.target.run(["docker", "network", "rm", ...fresh("networks")], { env: ctx.env, timeoutMs: 60_000 });
  await removeVolumes(ctx, fresh("volumes"));
}

/** The image helper containers run (volume export and import): $SBX_HELPER_IMAGE, default busybox. No registry is needed when it is already there. */
export function helperImage(env: NodeJS.ProcessEnv): string {
  return env.SBX_HELPER_IMAGE || "busybox:stable";
}

/** Runs tar in the helper image (its own tar, else busybox's). */
const TAR_IN_HELPER = (args: string) => `if command -v tar >/dev/null 2>&1; then exec tar ${args}; else exec busybox tar ${args}; fi`;

/** A named volume's contents as a tar stream, read through a throwaway helper container on the target (read-only mount, no network). */
export async function exportVolume(ctx: DriverContext, volume: string): Promise<Buffer> {
  const r = await ctx.target.runBytes(["docker", "run", "--rm", "--network", "none", "-v", `${volume}:/v:ro`, helperImage(ctx.env), "sh", "-c", TAR_IN_HELPER("-c -f - -C /v .")], { timeoutMs: 600_000 });
  if (r.exitCode !== 0) throw new DriverError(`Cannot export volume ${volume} on ${ctx.target.name}: ${r.stderr.trim() || `exit ${r.exitCode}`}. The helper image is ${helperImage(ctx.env)} (set SBX_HELPER_IMAGE to an image with sh and tar that the engine has).`);
  return r.stdout;
}

/** The compose volume key (`data`) of a volume compose created, from its label. */
export async function composeVolumeKey(ctx: DriverContext, volume: string): Promise<string> {
  const [key] = await docker(ctx, ["volume", "inspect", "--format", '{{index .Labels "com.docker.compose.volume"}}', volume]);
  return key && key !== "<no value>" ? key : volume;
}

/** Create a volume as compose would for `project` (its labels, so compose adopts it) and fill it from a tar stream. */
export async function seedVolume(ctx: DriverContext, opts: { project: string; key: string; data: Buffer }): Promise<string> {
  const name = `${opts.project}_${opts.key}`;
  if ((await ctx.target.run(["docker", "volume", "inspect", name], { env: ctx.env, timeoutMs: 60_000 })).exitCode === 0) throw new DriverError(`Volume ${name} already exists on ${ctx.target.name}; sbx restores only into a volume it creates. Remove it or restore into another slot.`, undefined, "provision");
  await docker(ctx, ["volume", "create", "--label", `com.docker.compose.project=${opts.project}`, "--label", `com.docker.compose.volume=${opts.key}`, name]);
  const r = await ctx.target.runBytes(["docker", "run", "--rm", "-i", "--network", "none", "-v", `${name}:/v`, helperImage(ctx.env), "sh", "-c", TAR_IN_HELPER("-x -f - -C /v")], { input: opts.data, timeoutMs: 600_000 });
  if (r.exitCode !== 0) {
    await docker(ctx, ["volume", "rm", "-f", name]);
    throw new DriverError(`Cannot fill volume ${name} on ${ctx.target.name}: ${r.stderr.trim() || `exit ${r.exitCode}`}. The helper image is ${helperImage(ctx.env)}.`, undefined, "provision");
  }
  return name;
}

/** Pause a project's running containers (a consistent volume copy), returning a function that resumes them. */
export async function pauseProject(ctx: DriverContext, project: string): Promise<() => Promise<void>> {
  const running = (await containers(ctx, projectLabel(project))).filter((c) => c.state === "running").map((c) => c.name);
  if (running.length) await docker(ctx, ["pause", ...running]);
  return async () => {
    if (running.length) await docker(ctx, ["unpause", ...running]);
  };
}
