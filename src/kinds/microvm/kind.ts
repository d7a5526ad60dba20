// microvm.<vm>: the running microVM, a microvm.nix VM the host declares: started and stopped
// as the systemd unit microvm@<vm>, after the host rebuilt its configuration.

import type { KindSpec } from "../spec.js";

export interface MicrovmSsh {
  /** Host address SSH is forwarded on (127.0.0.1). */
  address: string;
  /** Host port: the slot's SSH_PORT. */
  port: number;
  /** Guest login user. */
  user: string;
}

export interface MicrovmAttrs {
  /** VM name: `<project>-slot-<N>`; the unit is microvm@<name>. */
  name: string;
  /** Host directory of its modules (for messages). */
  dir: string;
  /** Run before the VM starts or restarts, so the host declares it (empty: the user rebuilds). */
  rebuild: string[];
  /** How to reach the guest's sshd; null when SSH is not forwarded (no qemu user networking). */
  ssh: MicrovmSsh | null;
  /** Host ports the VM forwards (held by its QEMU while it runs). */
  ports: number[];
  /** Where the worktree appears in the guest (sbx ssh and exec start there). */
  workspace: string;
}

export const microvmSpec: KindSpec<MicrovmAttrs> = {
  type: "microvm",
  description: "a microvm.nix virtual machine (systemd unit microvm@<name>)",
  replaceOn: ["name"],
  onDependencyChange: "update",
  restartsDependents: true,
  render: { rebuild: "list", ports: "list" },
};

/** The systemd unit of a VM. */
export function unitOf(name: string): string {
  return `microvm@${name}`;
}
