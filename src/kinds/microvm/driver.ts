// Runs a microvm.nix VM the host declares: rebuild the host so it declares the VM, then
// `systemctl start|restart|stop microvm@<name>`. Whether it runs comes from
// `systemctl is-active`, never from a pid file; logs from `journalctl -u microvm@<name>`.

import * as posix from "node:path/posix";
import type { RunResult } from "../../apply/target/types.js";
import { DriverError, type Driver, type DriverContext, type LogSource, type PortHolder, type Preflight, type StatusReporter } from "../driver.js";
import type { Resource } from "../spec.js";
import { nixosHostProblems } from "./host.js";
import { unitOf, type MicrovmAttrs } from "./kind.js";

/** States in which the VM is up (or on its way up). */
const UP = new Set(["active", "activating", "reloading"]);

function lastLines(ctx: DriverContext, r: RunResult, n: number): string[] {
  return r.all
    .trimEnd()
    .split("\n")
    .filter(Boolean)
    .slice(-n)
    .map((l) => `    ${ctx.redactor.redact(l)}`);
}

async function run(ctx: DriverContext, argv: string[], timeoutMs: number): Promise<RunResult> {
  const r = await ctx.target.run(argv, { env: ctx.env, timeoutMs });
  if (r.notFound) throw new DriverError(`${argv[0]} is not on PATH: the microvm backend needs a NixOS host (systemd, nixos-rebuild).`, undefined, "provision");
  return r;
}

/** `systemctl is-active microvm@<name>`: active, inactive, failed, activating... (no systemd: nothing runs). */
async function activeState(ctx: DriverContext, name: string): Promise<string> {
  const r = await ctx.target.run(["systemctl", "is-active", unitOf(name)], { env: ctx.env, timeoutMs: 30_000 });
  if (r.notFound) return "not running (no systemctl on this host)";
  return r.stdout.trim().split("\n")[0] || (r.exitCode === 0 ? "active" : "inactive");
}

async function rebuild(ctx: DriverContext, address: string, a: MicrovmAttrs): Promise<void> {
  if (!a.rebuild.length) return;
  ctx.log(`${address}: ${a.rebuild.join(" ")} (so the host declares microvm.vms.${a.name})`);
  const r = await run(ctx, a.rebuild, 60 * 60_000);
  if (r.exitCode !== 0)
    throw new DriverError(
      `${a.rebuild.join(" ")} failed`,
      [`${address}: ${a.rebuild.join(" ")} failed (exit ${r.exitCode}${r.timedOut ? ", timed out" : ""}). Its last lines:`, ...lastLines(ctx, r, 20), `Fix the host configuration (or backend.microvm.rebuild_command) and run sbx apply again.`],
      "provision",
    );
}

async function start(ctx: DriverContext, r: Resource<MicrovmAttrs>, verb: "start" | "restart"): Promise<{ output: Record<string, unknown> }> {
  const a = r.attrs;
  const unit = unitOf(a.name);
  await rebuild(ctx, r.address, a);
  ctx.log(`${r.address}: systemctl ${verb} ${unit}`);
  const s = await run(ctx, ["systemctl", verb, unit], 10 * 60_000);
  if (s.exitCode !== 0) {
    const declared = await run(ctx, ["systemctl", "cat", `install-microvm-${a.name}.service`], 30_000);
    if (declared.exitCode !== 0)
      throw new DriverError(
        `The host does not declare microvm.vms.${a.name}`,
        [
          `${r.address}: systemctl ${verb} ${unit} failed because the host does not declare microvm.vms.${a.name}.`,
          `The host's NixOS configuration must import ${posix.join(a.dir, "host.nix")} (every ${posix.dirname(a.dir)}/*/host.nix; see README "Agent sandboxes") next to microvm.nixosModules.host, and be rebuilt` +
            (a.rebuild.length ? ` (sbx ran ${a.rebuild.join(" ")}).` : " (backend.microvm.rebuild_command is empty: run nixos-rebuild switch yourself)."),
        ],
        "provision",
      );
    const logs = await run(ctx, ["journalctl", "-u", unit, "-n", "20", "--no-pager"], 30_000);
    throw new DriverError(
      `systemctl ${verb} ${unit} failed`,
      [`${r.address}: systemctl ${verb} ${unit} failed (exit ${s.exitCode}):`, ...lastLines(ctx, s, 5), `Last log lines (journalctl -u ${unit}):`, ...lastLines(ctx, logs, 20)],
      "provision",
    );
  }
  return { output: { unit } };
}

export const microvmDriver: Driver<MicrovmAttrs> & Preflight<MicrovmAttrs> & StatusReporter<MicrovmAttrs> & LogSource<MicrovmAttrs> & PortHolder<MicrovmAttrs> = {
  type: "microvm",
  async read(ctx, prior) {
    const state = await activeState(ctx, prior.attrs.name);
    return UP.has(state) ? { status: "ok" } : { status: "missing", reason: `${unitOf(prior.attrs.name)} is ${state}` };
  },
  create: (ctx, r) => start(ctx, r, "start"),
  update: (ctx, r) => start(ctx, r, "restart"),
  async delete(ctx, prior) {
    const a = prior.attrs;
    const unit = unitOf(a.name);
    const s = await ctx.target.run(["systemctl", "stop", unit], { env: ctx.env, timeoutMs: 10 * 60_000 });
    if (s.notFound) {
      ctx.log(`${prior.address}: no systemctl on this host, so microvm@${a.name} cannot be running here; nothing to stop.`);
      return;
    }
    // A unit the host no longer knows is not running: that is stopped too.
    if (s.exitCode !== 0 && UP.has(await activeState(ctx, a.name)))
      throw new DriverError(`systemctl stop ${unit} failed`, [`${prior.address}: systemctl stop ${unit} failed (exit ${s.exitCode}):`, ...lastLines(ctx, s, 5)], "provision");
    ctx.log(`${prior.address}: stopped. /var/lib/microvms/${a.name} (microvm.nix's runner links and disk images) is left as it is; the host forgets microvm.vms.${a.name} at its next nixos-rebuild switch.`);
  },
  async preflight(ctx, desired) {
    const dirs = [...new Set(desired.map((r) => posix.dirname(r.attrs.dir)))];
    return nixosHostProblems(ctx, { dirs, rebuild: desired[0]?.attrs.rebuild ?? [] });
  },
  async status(ctx, prior) {
    const state = await activeState(ctx, prior.attrs.name);
    const ssh = prior.attrs.ssh;
    const up = UP.has(state);
    return { state: up ? "running" : "stopped", detail: `${unitOf(prior.attrs.name)} ${state}${up && ssh ? `; sbx ssh (port ${ssh.port})` : ""}`, ...(ssh ? { urls: [`ssh://${ssh.user}@${ssh.address}:${ssh.port}`] } : {}) };
  },
  logNames(prior) {
    return [prior.attrs.name];
  },
  async *logs(ctx, prior, opts) {
    const argv = ["journalctl", "-u", unitOf(prior.attrs.name), "-n", String(opts.tail), "--no-pager", ...(opts.follow ? ["-f"] : [])];
    for await (const l of ctx.target.lines(argv, { env: ctx.env })) yield ctx.redactor.redact(l);
  },
  async holdsPort(ctx, prior, port) {
    return prior.attrs.ports.includes(port) && UP.has(await activeState(ctx, prior.attrs.name));
  },
};
