// `sbx ssh` and `sbx exec`: reach the agent's microVM through its forwarded SSH port on
// 127.0.0.1, as keystone's attach/ssh/exec did (`ssh -p PORT user@localhost`), starting
// in the guest's /workspace.

import { spawn } from "node:child_process";
import { error, type Diagnostic } from "../../compile/diagnostics.js";
import type { MicrovmAttrs } from "../../kinds/microvm/kind.js";
import type { Instance } from "../project.js";
import { loadState } from "./plan.js";

export interface SshRequest {
  /** Extra ssh arguments, before the destination (`-L 8080:localhost:8080`, `-v`). */
  args: readonly string[];
  /** Run this command in the guest (exec); absent: a login shell (ssh). */
  command?: readonly string[];
}

/** POSIX shell single quotes: the remote shell sees each word exactly. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The ssh command line. A VM gets new host keys whenever it boots, and the port is a
 * loopback one of this sandbox, so host keys are neither checked nor recorded (as
 * `vagrant ssh` does); authentication is the guest user's authorized keys.
 */
export function sshArgv(vm: Pick<MicrovmAttrs, "ssh" | "workspace">, req: SshRequest): string[] {
  const ssh = vm.ssh!;
  const cd = `cd ${shellQuote(vm.workspace)}`;
  const remote = req.command ? `${cd} && exec ${req.command.map(shellQuote).join(" ")}` : `${cd} && exec "$SHELL" -l`;
  return [
    "ssh",
    "-p",
    String(ssh.port),
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    ...(req.command ? [] : ["-t"]),
    ...req.args,
    `${ssh.user}@${ssh.address}`,
    remote,
  ];
}

/** The agent VM this sandbox runs, from state. */
export function agentVm(inst: Instance): { vm?: MicrovmAttrs; diags: Diagnostic[] } {
  const { state, diags } = loadState(inst);
  if (!state) return { diags };
  const r = Object.values(state.resources).find((x) => x.type === "microvm");
  if (!r) return { diags: [error("No agent VM in this sandbox", { code: "usage", detail: `sbx ssh and sbx exec reach the microVM of an agent.toml sandbox (backend microvm). ${Object.keys(state.resources).length ? `This sandbox runs the ${state.instance.backend || "other"} backend.` : "Run `sbx apply` first."}` })] };
  const vm = r.attrs as unknown as MicrovmAttrs;
  if (!vm.ssh)
    return { diags: [error(`SSH is not forwarded to ${vm.name}`, { code: "usage", detail: 'microvm.nix forwards ports only with hypervisor = "qemu" and defaults.network = "user"; reach the guest on its own address instead.' })] };
  return { vm, diags: [] };
}

/** Run ssh with the terminal attached; resolves to ssh's exit status. */
export async function sshInto(inst: Instance, req: SshRequest): Promise<{ code?: number; diags: Diagnostic[] }> {
  if (req.command && !req.command.length) return { diags: [error("No command to run", { code: "usage", detail: "Give the command after --: sbx exec -- ls -la" })] };
  const { vm, diags } = agentVm(inst);
  if (!vm) return { diags };
  const port = vm.ssh!.port;
  const open = await inst.ctx.target.probe({ type: "tcp", host: vm.ssh!.address, port }, 2000);
  if (!open.ok)
    return { diags: [error(`Nothing answers on ${vm.ssh!.address}:${port}`, { code: "usage", detail: `The SSH port of ${vm.name} is closed (${open.error}). Is the VM running? See \`sbx status\`; \`sbx apply\` starts it.` })] };
  const argv = sshArgv(vm, req);
  // Ctrl-C belongs to ssh (and the command it runs): sbx waits for its exit status.
  const ignore = (): void => undefined;
  process.on("SIGINT", ignore);
  return new Promise<{ code?: number; diags: Diagnostic[] }>((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: "inherit", env: inst.opts.env });
    child.once("error", (e: NodeJS.ErrnoException) =>
      resolve({ diags: [error(e.code === "ENOENT" ? "ssh is not installed" : `Cannot run ssh: ${e.message}`, { code: "usage", detail: "sbx ssh and sbx exec run the OpenSSH client (ssh) on PATH." })] }),
    );
    child.once("exit", (code, signal) => resolve({ code: code ?? (signal ? 128 + (signalNumber(signal) ?? 1) : 1), diags: [] }));
  }).finally(() => process.off("SIGINT", ignore));
}

function signalNumber(s: NodeJS.Signals): number | undefined {
  return ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 } as Partial<Record<NodeJS.Signals, number>>)[s];
}
