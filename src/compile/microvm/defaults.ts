// keystone's agent sandbox defaults (SPEC-012) and sbx's own choices for the microvm backend.
// tests/unit/microvm.test.ts checks that these equal the `default`s in schemas/agent.schema.json.

/** keystone data-model.md "SandboxConfig" and the NixOS module defaults. */
export const AGENT_DEFAULTS = {
  memory: 8192,
  vcpus: 4,
  nestedVirt: true,
  network: "user",
  syncMode: "manual",
  syncIdleSeconds: 30,
  persist: true,
  hypervisor: "qemu",
  shareProto: "virtiofs",
} as const;

/** sbx's defaults for the keys it adds under [backend.microvm]. */
export const MICROVM_DEFAULTS = {
  autostart: false,
  workspaceMount: "/workspace",
  storeShare: true,
  macvtapMode: "bridge",
  volumeSize: 8192,
  volumeMount: "/var",
  volumeImage: "persist.img",
  user: "agent",
  stateVersion: "25.05",
  forwardProto: "tcp",
  forwardHostAddress: "127.0.0.1",
  /** Where sbx apply writes each VM's modules on the host: <dir>/<vm>/host.nix and vms/. */
  hostConfigDir: "/etc/nixos/sbx",
  /** Run before the VM starts, so the host declares it. */
  rebuildCommand: ["nixos-rebuild", "switch"],
} as const;

/** The read-only /nix/store share (microvm.nix's usual layout) and the worktree share. */
export const STORE_SHARE = { tag: "ro-store", source: "/nix/store", mountPoint: "/nix/.ro-store" } as const;
export const WORKSPACE_TAG = "workspace";

/**
 * The SSH port joins the slot's ports without being declared: host 127.0.0.1:<SSH_PORT>
 * forwards to guest port 22. Base 22200, stride 1: slot N listens on 22200 + N (slot 0,
 * the "standard" slot, on 22200). Declaring SSH_PORT in infra.toml [sandbox.ports]
 * overrides this spec.
 */
export const SSH_PORT_NAME = "SSH_PORT";
export const SSH_GUEST_PORT = 22;

export interface SshPortSpec {
  name: typeof SSH_PORT_NAME;
  base: number;
  stride: number;
  standard: number;
}

/** Port spec to add to the slot's ports (structurally a compile/ports PortSpec). */
export function sshPortSpec(): SshPortSpec {
  return { name: SSH_PORT_NAME, base: 22200, stride: 1, standard: 22200 };
}
