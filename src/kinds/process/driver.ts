// Runs a service as a detached process group led by `sbx __supervise` (which redacts its
// log). State keeps pid + start time, so a reused pid is never mistaken for ours; the
// owner marker in the environment finds strays after a crash or lost state.

import * as path from "node:path";
import { parseSecretsFile } from "../../apply/secrets/file.js";
import type { StateResource } from "../../apply/state.js";
import type { ProcessControl } from "../../apply/target/types.js";
import { describeProbe } from "../../apply/target/probe.js";
import { DriverError, markStopped, stoppedAt, type Discoverer, type Driver, type DriverContext, type LogSource, type PortHolder, type StatusReporter, type Stoppable } from "../driver.js";
import type { Resource } from "../spec.js";
import { OWNER_VAR, type ProcessAttrs } from "./kind.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Path of the sbx bundle, which doubles as the supervisor. */
export function selfPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.SBX_SELF ?? process.argv[1]!;
}

function procs(ctx: DriverContext): ProcessControl {
  if (!ctx.target.processes) throw new DriverError(`The process backend runs services on this machine only; target ${ctx.target.name} cannot run them.`, undefined, "provision");
  return ctx.target.processes;
}

export function logPath(ctx: DriverContext, name: string): string {
  return path.join(ctx.stateDir, "logs", `${name}.log`);
}

function isOurs(p: ProcessControl, pid: unknown, start: unknown): boolean {
  return typeof pid === "number" && typeof start === "string" && p.startTime(pid) === start;
}

async function tail(ctx: DriverContext, file: string, n: number): Promise<string[]> {
  const data = await ctx.target.readFile(file);
  return data ? data.toString("utf8").split("\n").filter((l) => l.trim() !== "").slice(-n) : [];
}

/** Stop every process group carrying this address's owner marker (left by an interrupted run). */
async function stopStrays(ctx: DriverContext, address: string, graceMs: number): Promise<number> {
  const p = procs(ctx);
  const groups = new Set<number>();
  for (const s of p.withMarker(OWNER_VAR, `${ctx.instanceId}/${address}`)) {
    if (s.value !== `${ctx.instanceId}/${address}`) continue;
    const pgid = p.pgidOf(s.pid);
    if (pgid !== undefined) groups.add(pgid);
  }
  for (const g of groups) await p.stopGroup(g, graceMs);
  return groups.size;
}

async function start(ctx: DriverContext, r: Resource<ProcessAttrs>): Promise<{ output: Record<string, unknown> }> {
  const a = r.attrs;
  const p = procs(ctx);
  const strays = await stopStrays(ctx, r.address, a.stop_grace * 1000);
  if (strays) ctx.log(`${r.address}: stopped ${strays} stray process group${strays === 1 ? "" : "s"} left by an interrupted run`);
  const cwd = await ctx.target.stat(a.cwd);
  if (cwd?.kind !== "dir") throw new DriverError(`working directory ${a.cwd} does not exist. Fix services.${a.name}.cwd.`, undefined, "provision");
  const secretsText = a.secrets_file ? await ctx.target.readFile(a.secrets_file) : undefined;
  const secrets = secretsText ? parseSecretsFile(secretsText.toString("utf8")) : new Map<string, string>();
  ctx.redactor.add(...secrets.values());
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(ctx.env)) if (!k.startsWith("SBX_")) env[k] = v;
  Object.assign(env, a.env, Object.fromEntries(secrets));
  env[OWNER_VAR] = `${ctx.instanceId}/${r.address}`;
  env.SBX_REDACT = ctx.redactor.export();
  const log = logPath(ctx, a.name);
  await ctx.target.mkdir(path.dirname(log), 0o700);
  const pid = p.spawnDetached([process.execPath, selfPath(ctx.env), "__supervise", log, "--", ...a.command], { cwd: a.cwd, env, what: `services.${a.name} (${a.command.join(" ").slice(0, 60)})` });
  let st = p.startTime(pid);
  for (let i = 0; !st && i < 50; i++) {
    await sleep(10);
    st = p.startTime(pid);
  }
  const output = { pid, start_time: st ?? null, log };
  await waitReady(ctx, r, pid, st, log, env);
  return { output };
}

async function waitReady(ctx: DriverContext, r: Resource<ProcessAttrs>, pid: number, st: string | undefined, log: string, env: NodeJS.ProcessEnv): Promise<void> {
  const a = r.attrs;
  const p = procs(ctx);
  const probe = a.ready.type === "exec" ? { type: "exec" as const, command: a.ready.command, cwd: a.cwd, env } : a.ready.type === "none" ? { type: "none" as const } : { ...a.ready, host: "127.0.0.1" };
  if (probe.type !== "none") ctx.log(`${r.address}: waiting for ${describeProbe(probe)} (up to ${a.ready.timeout}s)`);
  const deadline = Date.now() + a.ready.timeout * 1000;
  let last = "";
  let lastNote = Date.now();
  for (;;) {
    if (!isOurs(p, pid, st)) {
      const lines = (await tail(ctx, log, 5)).map((l) => ctx.redactor.redact(l)).filter((l) => l.trim() !== "");
      const shown = lines.length ? `Last log lines (${log}):\n      ${lines.join("\n      ")}` : `It printed nothing (log: ${log}).`;
      throw new DriverError(`exited before it was ready. ${shown}`, undefined, "provision");
    }
    const res = await ctx.target.probe(probe, 2000);
    if (res.ok) return;
    last = res.error;
    if (Date.now() > deadline) {
      await p.stopGroup(pid, a.stop_grace * 1000);
      throw new DriverError(`not ready after ${a.ready.timeout}s: ${ctx.redactor.redact(last)}. Logs: ${log}`, undefined, "provision");
    }
    if (Date.now() - lastNote >= 10_000) {
      ctx.log(`${r.address}: still waiting for ${describeProbe(probe)}: ${ctx.redactor.redact(last)}`);
      lastNote = Date.now();
    }
    await sleep(200);
  }
}

async function stop(ctx: DriverContext, prior: StateResource<ProcessAttrs>): Promise<void> {
  const p = procs(ctx);
  const grace = (prior.attrs.stop_grace ?? 5) * 1000;
  if (isOurs(p, prior.output.pid, prior.output.start_time)) await p.stopGroup(prior.output.pid as number, grace);
  await stopStrays(ctx, prior.address, grace);
}

export const processDriver: Driver<ProcessAttrs> & StatusReporter<ProcessAttrs> & LogSource<ProcessAttrs> & Discoverer & PortHolder<ProcessAttrs> & Stoppable<ProcessAttrs> = {
  type: "process",
  async read(ctx, prior) {
    if (stoppedAt(prior)) return { status: "ok" }; // stopped by `sbx stop`
    if (!isOurs(procs(ctx), prior.output.pid, prior.output.start_time)) return { status: "missing", reason: "process not running" };
    return { status: "ok" };
  },
  create: start,
  async update(ctx, r, prior) {
    await stop(ctx, prior);
    return start(ctx, r);
  },
  async delete(ctx, prior) {
    await stop(ctx, prior);
  },
  async stop(ctx, prior) {
    await stop(ctx, prior);
    return { output: markStopped(prior.output) };
  },
  async start(ctx, prior) {
    if (!stoppedAt(prior) && isOurs(procs(ctx), prior.output.pid, prior.output.start_time)) return { output: prior.output };
    return start(ctx, { address: prior.address, type: prior.type, attrs: prior.attrs, dependsOn: prior.dependsOn });
  },
  async status(ctx, prior) {
    const up = isOurs(procs(ctx), prior.output.pid, prior.output.start_time);
    const stopped = stoppedAt(prior);
    if (stopped && !up) return { state: "stopped", detail: `stopped by sbx stop at ${stopped}` };
    const url = prior.attrs.port !== null ? `${prior.attrs.ready.type === "tcp" ? "tcp" : "http"}://localhost:${prior.attrs.port}` : undefined;
    return { state: up ? "running" : "stopped", ...(up ? { detail: `pid ${String(prior.output.pid)}` } : {}), ...(url ? { urls: [url] } : {}) };
  },
  logNames(prior) {
    return [prior.attrs.name];
  },
  async *logs(ctx, prior, opts) {
    const file = logPath(ctx, prior.attrs.name);
    const data = await ctx.target.readFile(file);
    let size = data?.length ?? 0;
    for (const l of (data?.toString("utf8") ?? "").trimEnd().split("\n").slice(-opts.tail)) if (l) yield l;
    while (opts.follow) {
      await sleep(250);
      const now = await ctx.target.readFile(file);
      if (now && now.length > size) {
        for (const l of now.subarray(size).toString("utf8").split("\n")) if (l) yield l;
        size = now.length;
      }
    }
  },
  async discover(ctx) {
    const p = ctx.target.processes;
    if (!p) return [];
    const byAddress = new Map<string, number>();
    for (const s of p.withMarker(OWNER_VAR, `${ctx.instanceId}/`)) {
      const address = s.value.slice(ctx.instanceId.length + 1);
      const pgid = p.pgidOf(s.pid);
      if (pgid !== undefined && !byAddress.has(address)) byAddress.set(address, pgid);
    }
    return [...byAddress].map(([address, pgid]) => ({
      address,
      type: "process",
      attrs: { name: address.replace(/^process\./, ""), command: [p.commandOf(pgid)], cwd: "", env: {}, secrets_file: null, port: null, ready: { type: "none", timeout: 0 }, stop_grace: 5 },
      output: { pid: pgid, start_time: p.startTime(pgid) ?? null },
      dependsOn: [],
    }));
  },
  async holdsPort(ctx, prior, port) {
    const p = procs(ctx);
    if (!isOurs(p, prior.output.pid, prior.output.start_time)) return false;
    const listeners = await ctx.target.portListeners(port);
    if (!listeners.length) return prior.attrs.port === port; // sockets we may not inspect
    const mine = new Set(p.withMarker(OWNER_VAR, `${ctx.instanceId}/${prior.address}`).filter((s) => s.value === `${ctx.instanceId}/${prior.address}`).map((s) => s.pid));
    return listeners.every((pid) => mine.has(pid) || p.pgidOf(pid) === prior.output.pid);
  },
};
