// Data shapes of the microvm backend: what goes in (merged agent.toml, slot, worktree)
// and the resolved MicrovmSpec every renderer reads.

import type { SourceRange } from "../diagnostics.js";
import type { OptionPath } from "../path.js";
import type { AgentConfig } from "../generated/agent.js";

export type Hypervisor = "qemu" | "firecracker" | "cloud-hypervisor";
export type ShareProto = "virtiofs" | "9p";
export type InterfaceType = "user" | "tap" | "macvtap" | "bridge";
export type MacvtapMode = "private" | "vepa" | "bridge" | "passthru" | "source";
export type PortProto = "tcp" | "udp";

/** Where an option was defined, for errors and `# agent.toml:12` comments. */
export type Locate = (path: OptionPath) => SourceRange | undefined;

/** Input of buildMicrovmSpec: all of it resolved by the caller, nothing read from the host. */
export interface MicrovmInput {
  /** Merged agent.toml (defaults not filled in; this module applies keystone's). */
  agent: AgentConfig;
  /** `[project] name` of infra.toml. */
  project: string;
  slot: number;
  /** The slot's host ports by name, SSH_PORT included (see sshPortSpec). */
  ports: Readonly<Record<string, number>>;
  /** Absolute path of this worktree on the host: the /workspace share. */
  worktree: string;
  locate: Locate;
}

export interface MicrovmInterface {
  type: InterfaceType;
  /** Host-side name, at most 15 characters, unique per project and slot. */
  id: string;
  /** Locally administered unicast MAC, `02:…`. */
  mac: string;
  bridge?: string;
  macvtap?: { link: string; mode: MacvtapMode };
}

export interface MicrovmShare {
  tag: string;
  /** Absolute host path. */
  source: string;
  mountPoint: string;
  proto: ShareProto;
  readOnly: boolean;
  /** `builtin` shares (ro-store, workspace) are added by sbx; `config` ones come from agent.toml. */
  origin: "builtin" | "config";
  /** Where agent.toml defined it (for `# agent.toml:N` comments). */
  from?: SourceRange;
}

export interface MicrovmForward {
  /** Port variable name (SSH_PORT or a key of backend.microvm.forward_ports). */
  name: string;
  proto: PortProto;
  hostAddress: string;
  hostPort: number;
  guestPort: number;
  from?: SourceRange;
}

export interface MicrovmVolume {
  /** File name under the host's /var/lib/microvms/<vm>/. */
  image: string;
  mountPoint: string;
  /** MiB. */
  size: number;
  from?: SourceRange;
}

/** The guest's NixOS settings that are not microvm.* options (rendered in their own module). */
export interface GuestNixos {
  user: string;
  authorizedKeys: string[];
  stateVersion: string;
  /** Guest ports opened in the firewall: 22 plus every forwarded TCP guest port, sorted. */
  allowedTCPPorts: number[];
  allowedUDPPorts: number[];
}

export type SpecSetting = "mem" | "vcpu" | "hypervisor" | "network" | "autostart" | "qemuExtraArgs" | "persist" | "user" | "keys" | "stateVersion" | "workspace" | "nestedVirt";

/** Everything the renderers need for one VM. Values are final; no defaults left to apply. */
export interface MicrovmSpec {
  /** VM name: `<project>-slot-<N>`, a valid host name; the `microvm@<name>` unit. */
  name: string;
  slot: number;
  hypervisor: Hypervisor;
  /** MiB. */
  mem: number;
  vcpu: number;
  /** Zero (network = "none") or one interface. */
  interfaces: MicrovmInterface[];
  shares: MicrovmShare[];
  /** SSH first, then the declared ports by name. */
  forwardPorts: MicrovmForward[];
  /** One volume when defaults.persist, else none. */
  volumes: MicrovmVolume[];
  qemuExtraArgs: string[];
  autostart: boolean;
  /** Nested KVM is a host-wide setting; recorded for the host module's comment and keystone. */
  nestedVirt: boolean;
  guest: GuestNixos;
  /** Where the scalar settings were defined, for `# agent.toml:N` comments. */
  from: Partial<Record<SpecSetting, SourceRange>>;
}
