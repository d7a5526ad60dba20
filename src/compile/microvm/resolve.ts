// Reads merged agent.toml with defaults applied, keeping each value's option path, so the
// spec builder and the validator see the same settings.

import * as posix from "node:path/posix";
import type { OptionPath } from "../path.js";
import { AGENT_DEFAULTS, MICROVM_DEFAULTS, SSH_GUEST_PORT, SSH_PORT_NAME, STORE_SHARE, WORKSPACE_TAG } from "./defaults.js";
import type { Hypervisor, InterfaceType, MacvtapMode, MicrovmInput, PortProto, ShareProto } from "./types.js";

export const MV: OptionPath = ["backend", "microvm"];
const at = (...p: (string | number)[]): OptionPath => [...MV, ...p];

export type Network = "user" | "tap" | "macvtap" | "bridge" | "none";

export interface Settings {
  mem: number;
  vcpu: number;
  nestedVirt: boolean;
  persist: boolean;
  /** keystone's "nat" is user-mode networking. */
  network: Network;
  hypervisor: Hypervisor;
  shareProto: ShareProto;
  autostart: boolean;
  workspaceMount: string;
  storeShare: boolean;
  interfaceId?: string;
  bridge?: string;
  macvtapLink?: string;
  macvtapMode: MacvtapMode;
  volume: { size: number; mountPoint: string; image: string };
  user: string;
  keys: string[];
  stateVersion: string;
  qemuExtraArgs: string[];
}

/** Every setting with its default; the agent config is read, never changed. */
export function settingsOf(input: MicrovmInput): Settings {
  const d = input.agent.defaults ?? {};
  const m = input.agent.backend?.microvm ?? {};
  const net = d.network ?? AGENT_DEFAULTS.network;
  return {
    mem: d.memory ?? AGENT_DEFAULTS.memory,
    vcpu: d.vcpus ?? AGENT_DEFAULTS.vcpus,
    nestedVirt: d.nested_virt ?? AGENT_DEFAULTS.nestedVirt,
    persist: d.persist ?? AGENT_DEFAULTS.persist,
    network: net === "nat" ? "user" : net,
    hypervisor: m.hypervisor ?? AGENT_DEFAULTS.hypervisor,
    shareProto: m.share_proto ?? AGENT_DEFAULTS.shareProto,
    autostart: m.autostart ?? MICROVM_DEFAULTS.autostart,
    workspaceMount: m.workspace_mount ?? MICROVM_DEFAULTS.workspaceMount,
    storeShare: m.store_share ?? MICROVM_DEFAULTS.storeShare,
    interfaceId: m.interface_id,
    bridge: m.bridge,
    macvtapLink: m.macvtap_link,
    macvtapMode: m.macvtap_mode ?? MICROVM_DEFAULTS.macvtapMode,
    volume: {
      size: m.volume?.size ?? MICROVM_DEFAULTS.volumeSize,
      mountPoint: m.volume?.mount_point ?? MICROVM_DEFAULTS.volumeMount,
      image: m.volume?.image ?? MICROVM_DEFAULTS.volumeImage,
    },
    user: m.user ?? MICROVM_DEFAULTS.user,
    keys: [...(m.ssh_authorized_keys ?? [])],
    stateVersion: m.state_version ?? MICROVM_DEFAULTS.stateVersion,
    qemuExtraArgs: [...(m.qemu_extra_args ?? [])],
  };
}

/** Option paths of the settings above (where to point errors and comments). */
export const SETTING_PATHS = {
  mem: ["defaults", "memory"],
  vcpu: ["defaults", "vcpus"],
  nestedVirt: ["defaults", "nested_virt"],
  persist: ["defaults", "persist"],
  network: ["defaults", "network"],
  hypervisor: at("hypervisor"),
  shareProto: at("share_proto"),
  autostart: at("autostart"),
  workspaceMount: at("workspace_mount"),
  storeShare: at("store_share"),
  interfaceId: at("interface_id"),
  bridge: at("bridge"),
  macvtapLink: at("macvtap_link"),
  volume: at("volume"),
  volumeMount: at("volume", "mount_point"),
  user: at("user"),
  keys: at("ssh_authorized_keys"),
  stateVersion: at("state_version"),
  qemuExtraArgs: at("qemu_extra_args"),
  forwardPorts: at("forward_ports"),
} as const satisfies Record<string, OptionPath>;

export function interfaceType(network: Network): InterfaceType | undefined {
  return network === "none" ? undefined : network;
}

/** microvm.nix forwards ports only with qemu and a user-mode interface. */
export function canForward(s: Settings): boolean {
  return s.hypervisor === "qemu" && s.network === "user";
}

export interface ResolvedShare {
  tag: string;
  source: string;
  mountPoint: string;
  proto: ShareProto;
  readOnly: boolean;
  origin: "builtin" | "config";
  /** Option path of the share, and of its tag and mount point when declared. */
  at: OptionPath;
  tagAt: OptionPath;
  mountAt: OptionPath;
}

/** ro-store, workspace, then [[backend.microvm.shares]] in order. Relative sources are under the worktree. */
export function sharesOf(input: MicrovmInput, s: Settings): ResolvedShare[] {
  const out: ResolvedShare[] = [];
  if (s.storeShare)
    out.push({ ...STORE_SHARE, proto: s.shareProto, readOnly: true, origin: "builtin", at: SETTING_PATHS.storeShare, tagAt: SETTING_PATHS.storeShare, mountAt: SETTING_PATHS.storeShare });
  out.push({
    tag: WORKSPACE_TAG,
    source: input.worktree,
    mountPoint: s.workspaceMount,
    proto: s.shareProto,
    readOnly: false,
    origin: "builtin",
    at: SETTING_PATHS.workspaceMount,
    tagAt: SETTING_PATHS.workspaceMount,
    mountAt: SETTING_PATHS.workspaceMount,
  });
  (input.agent.backend?.microvm?.shares ?? []).forEach((sh, i) => {
    out.push({
      tag: sh.tag,
      source: sh.source.startsWith("/") ? sh.source : posix.join(input.worktree, sh.source),
      mountPoint: sh.mount_point,
      proto: sh.proto ?? s.shareProto,
      readOnly: sh.read_only ?? false,
      origin: "config",
      at: at("shares", i),
      tagAt: at("shares", i, "tag"),
      mountAt: at("shares", i, "mount_point"),
    });
  });
  return out;
}

export interface ResolvedForward {
  name: string;
  proto: PortProto;
  hostAddress: string;
  guestPort: number;
  /** undefined when the slot has no port of that name (a validation error). */
  hostPort: number | undefined;
  at: OptionPath;
}

/** The declared forwards, sorted by name (SSH is added by the spec builder). */
export function declaredForwards(input: MicrovmInput): ResolvedForward[] {
  const raw = input.agent.backend?.microvm?.forward_ports ?? {};
  return Object.keys(raw)
    .sort()
    .flatMap((name) => {
      const v = raw[name];
      if (v === undefined) return [];
      const o = typeof v === "number" ? { guest: v } : v;
      return [
        {
          name,
          proto: o.proto ?? MICROVM_DEFAULTS.forwardProto,
          hostAddress: o.host_address ?? MICROVM_DEFAULTS.forwardHostAddress,
          guestPort: o.guest,
          hostPort: input.ports[name],
          at: at("forward_ports", name),
        },
      ];
    });
}

export function sshForward(input: MicrovmInput): ResolvedForward {
  return {
    name: SSH_PORT_NAME,
    proto: "tcp",
    hostAddress: MICROVM_DEFAULTS.forwardHostAddress,
    guestPort: SSH_GUEST_PORT,
    hostPort: input.ports[SSH_PORT_NAME],
    at: SETTING_PATHS.forwardPorts,
  };
}
