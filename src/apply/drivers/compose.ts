// compose.stack: `docker compose` (plugin) or `docker-compose`, always with -p, env
// through --env-file and the process env (secrets), owned containers found by label.

import * as fs from "node:fs";
import { execa } from "execa";
import { readSecretsFile } from "../secrets/file.js";
import { DriverError, type Driver, type DriverContext, type ResourceInput } from "./types.js";

let cached: string[] | undefined;

/** The compose command available here: the plugin if present, else standalone. */
export async function composeCommand(env: NodeJS.ProcessEnv): Promise<string[]> {
  if (cached) return cached;
  const plugin = await execa("docker", ["compose", "version"], { reject: false, env, stdin: "ignore" });
  if (plugin.exitCode === 0) return (cached = ["docker", "compose"]);
  const standalone = await execa("docker-compose", ["version"], { reject: false, env, stdin: "ignore" }).catch((e: Error) => ({ exitCode: 127, stderr: e.message }));
  if (standalone.exitCode === 0) return (cached = ["docker-compose"]);
  throw new DriverError("Docker Compose is not installed: neither `docker compose` nor `docker-compose` works. Install Docker, or use backend = \"process\".");
}

interface Attrs {
  project: string;
  compose_file: string;
  copy: string;
  override: string;
  env_files: string[];
  services: string[];
}

function childEnv(ctx: DriverContext, a: Attrs): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...ctx.env };
  // An ambient project name must never redirect a destructive command to another project.
  delete env.COMPOSE_PROJECT_NAME;
  delete env.COMPOSE_FILE;
  for (const f of a.env_files.slice(1)) {
    const values = readSecretsFile(f);
    if (values) {
      ctx.redactor.add(...values.values());
      Object.assign(env, Object.fromEntries(values));
    }
  }
  return env;
}

async function compose(ctx: DriverContext, a: Attrs, files: string[], args: string[]): Promise<{ ok: boolean; output: string }> {
  const cmd = await composeCommand(ctx.env);
  const full = [...cmd.slice(1), "-p", a.project, ...files.flatMap((f) => ["-f", f]), "--env-file", a.env_files[0]!, ...args];
  const r = await execa(cmd[0]!, full, { reject: false, env: childEnv(ctx, a), extendEnv: false, all: true, stdin: "ignore", timeout: 600_000 });
  return { ok: r.exitCode === 0, output: ctx.redactor.redact(String(r.all ?? "")) };
}

async function containers(ctx: DriverContext, project: string): Promise<{ name: string; state: string; service: string }[]> {
  const r = await execa("docker", ["ps", "-a", "--filter", `label=com.docker.compose.project=${project}`, "--format", '{{.Names}}\t{{.State}}\t{{.Label "com.docker.compose.service"}}'], {
    reject: false,
    env: ctx.env,
    stdin: "ignore",
  });
  if (r.exitCode !== 0) throw new DriverError(`docker ps failed: ${String(r.stderr).trim()}. Is the Docker engine running?`);
  return String(r.stdout)
    .split("\n")
    .filter(Boolean)
    .map((l) => {
      const [name, state, service] = l.split("\t");
      return { name: name!, state: state!, service: service ?? "" };
    });
}

/** Remove everything labelled with this project: containers, then volumes and networks. */
async function forceClean(ctx: DriverContext, project: string): Promise<void> {
  const label = `label=com.docker.compose.project=${project}`;
  for (const [list, rm] of [
    [["ps", "-aq", "--filter", label], ["rm", "-f"]],
    [["volume", "ls", "-q", "--filter", label], ["volume", "rm", "-f"]],
    [["network", "ls", "-q", "--filter", label], ["network", "rm"]],
  ] as const) {
    const ids = String((await execa("docker", [...list], { reject: false, env: ctx.env, stdin: "ignore" })).stdout).split("\n").filter(Boolean);
    if (ids.length) await execa("docker", [...rm, ...ids], { reject: false, env: ctx.env, stdin: "ignore" });
  }
}

async function up(ctx: DriverContext, r: ResourceInput): Promise<Record<string, unknown>> {
  const a = r.attrs as unknown as Attrs;
  if (!fs.existsSync(a.compose_file)) throw new DriverError(`${a.compose_file} does not exist.`);
  const files = [a.compose_file, a.override];
  const res = await compose(ctx, a, files, ["up", "-d", "--remove-orphans"]);
  if (!res.ok) {
    // Never leave half a stack (or a previous holder's volumes) behind; keep the slot.
    await compose(ctx, a, files, ["down", "--volumes", "--remove-orphans"]);
    await forceClean(ctx, a.project);
    const tail = res.output.trim().split("\n").slice(-8).join("\n      ");
    throw new DriverError(`docker compose up failed for ${a.project}:\n      ${tail}\n    Fix the compose file or its images and run \`sbx apply\` again.`);
  }
  return { containers: (await containers(ctx, a.project)).map((c) => c.name).sort() };
}

export const composeDriver = {
  type: "compose",
  async read(ctx, prior) {
    const a = prior.attrs as unknown as Attrs;
    const cs = await containers(ctx, a.project);
    if (!cs.length) return { status: "missing", reason: "no containers of this project" };
    const down = cs.filter((c) => c.state !== "running");
    if (down.length) return { status: "drifted", reason: `container ${down.map((c) => `${c.name} is ${c.state}`).join(", ")}`, action: "update" };
    const missing = a.services.filter((s) => !cs.some((c) => c.service === s));
    if (missing.length) return { status: "drifted", reason: `service ${missing.join(", ")} has no container`, action: "update" };
    return { status: "ok" };
  },
  create: up,
  async update(ctx, r) {
    return up(ctx, r);
  },
  async delete(ctx, prior) {
    const a = prior.attrs as unknown as Attrs;
    // Tear down from the copy taken at apply time: the worktree's file may have changed or gone.
    const files = [fs.existsSync(a.copy) ? a.copy : a.compose_file, a.override].filter((f) => fs.existsSync(f));
    if (files.length) await compose(ctx, a, files, ["down", "--volumes", "--remove-orphans", "-t", "5"]);
    await forceClean(ctx, a.project);
  },
} satisfies Driver;
