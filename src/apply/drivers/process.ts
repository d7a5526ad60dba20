// process.*: a detached process group led by `sbx __supervise`; pid + start time in
// state, logs in the state dir, SIGTERM then SIGKILL after the grace period.

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { runProbe, sleep, type Probe } from "../probe.js";
import { isOurs, OWNER_VAR, ownedProcesses, startTime, stopGroup } from "../procs.js";
import { readSecretsFile } from "../secrets/file.js";
import { DriverError, type Driver, type DriverContext, type ResourceInput } from "./types.js";

/** Path of the sbx bundle, which doubles as the supervisor. */
export function selfPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.SBX_SELF ?? process.argv[1]!;
}

export function logPath(ctx: DriverContext, name: string): string {
  return path.join(ctx.stateDir, "logs", `${name}.log`);
}

function tail(file: string, n: number): string[] {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-n);
  } catch {
    return [];
  }
}

async function killStrays(ctx: DriverContext, address: string, graceMs: number): Promise<number> {
  const strays = ownedProcesses(ctx.instanceId, address);
  for (const s of strays) {
    let pgid = s.pid;
    try {
      pgid = Number(fs.readFileSync(`/proc/${s.pid}/stat`, "utf8").split(") ")[1]!.split(" ")[2]);
    } catch {
      continue; // already gone
    }
    await stopGroup(pgid, graceMs);
  }
  return strays.length;
}

async function start(ctx: DriverContext, r: ResourceInput): Promise<Record<string, unknown>> {
  const a = r.attrs as {
    name: string;
    command: string[];
    cwd: string;
    env: Record<string, string>;
    secrets_file: string | null;
    port: number | null;
    ready: Probe & { timeout: number };
    stop_grace: number;
  };
  const strays = await killStrays(ctx, r.address, a.stop_grace * 1000);
  if (strays) ctx.log(`${r.address}: stopped ${strays} stray process${strays === 1 ? "" : "es"} left by an interrupted run`);
  if (!fs.existsSync(a.cwd) || !fs.statSync(a.cwd).isDirectory()) throw new DriverError(`${r.address}: working directory ${a.cwd} does not exist. Fix services.${a.name}.cwd.`);
  const secrets = a.secrets_file ? (readSecretsFile(a.secrets_file) ?? new Map<string, string>()) : new Map<string, string>();
  ctx.redactor.add(...secrets.values());
  const env: NodeJS.ProcessEnv = { ...ctx.env };
  for (const k of Object.keys(env)) if (k.startsWith("SBX_")) delete env[k];
  Object.assign(env, a.env, Object.fromEntries(secrets));
  env[OWNER_VAR] = `${ctx.instanceId}/${r.address}`;
  env.SBX_REDACT = ctx.redactor.export();
  const log = logPath(ctx, a.name);
  fs.mkdirSync(path.dirname(log), { recursive: true });
  fs.appendFileSync(log, `[sbx] starting ${r.address} at ${new Date().toISOString()}\n`, { mode: 0o600 });
  const child = spawn(process.execPath, [selfPath(ctx.env), "__supervise", log, "--", ...a.command], {
    cwd: a.cwd,
    env,
    detached: true,
    stdio: "ignore",
  });
  const pid = child.pid;
  if (pid === undefined) throw new DriverError(`${r.address}: could not start ${a.command[0]}`);
  child.unref();
  let st = startTime(pid);
  for (let i = 0; !st && i < 50; i++) {
    await sleep(10);
    st = startTime(pid);
  }
  const output = { pid, start_time: st ?? null, log };
  // Wait for readiness, failing early if the process dies.
  const deadline = Date.now() + (a.ready.timeout ?? 30) * 1000;
  let last = "";
  for (;;) {
    if (!isOurs(pid, st)) {
      const lines = tail(log, 5).map((l) => ctx.redactor.redact(l));
      throw new DriverError(`${r.address} exited before it was ready. Last log lines (${log}):\n      ${lines.join("\n      ")}`);
    }
    const res = await runProbe({ ...a.ready, host: a.ready.host ?? "127.0.0.1", cwd: a.cwd, env }, 2000);
    if (res.ok) break;
    last = res.error;
    if (Date.now() > deadline) {
      await stopGroup(pid, a.stop_grace * 1000);
      throw new DriverError(`${r.address} was not ready after ${a.ready.timeout}s: ${last}. Logs: ${log}`);
    }
    await sleep(200);
  }
  return output;
}

export const processDriver = {
  type: "process",
  async read(_ctx, prior) {
    if (!isOurs(Number(prior.output.pid), prior.output.start_time)) return { status: "missing", reason: "process not running" };
    return { status: "ok" };
  },
  create: start,
  async update(ctx, r, prior) {
    await processDriver.delete(ctx, prior);
    return start(ctx, r);
  },
  async delete(ctx, prior) {
    const grace = Number(prior.attrs.stop_grace ?? 5) * 1000;
    const pid = Number(prior.output.pid);
    if (isOurs(pid, prior.output.start_time)) await stopGroup(pid, grace);
    await killStrays(ctx, prior.address, grace);
  },
} satisfies Driver;
