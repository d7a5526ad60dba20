// Merged agent.toml + slot ports + worktree → MicrovmSpec, the one input of every
// microvm renderer. Pure: names come from project and slot, never from the host.

import type { Result, SourceRange } from "../diagnostics.js";
import type { OptionPath } from "../path.js";
import { interfaceId, macAddress, vmName } from "./naming.js";
import { canForward, declaredForwards, interfaceType, SETTING_PATHS, settingsOf, sharesOf, sshForward } from "./resolve.js";
import type { MicrovmForward, MicrovmInput, MicrovmInterface, MicrovmSpec, SpecSetting } from "./types.js";
import { validateMicrovm } from "./validate.js";
import { SSH_GUEST_PORT, SSH_PORT_NAME } from "./defaults.js";

/** The spec and every diagnostic; use the spec only when no diagnostic is an error. */
export function buildMicrovmSpec(input: MicrovmInput): Result<MicrovmSpec> {
  const diags = validateMicrovm(input);
  const s = settingsOf(input);
  // Comments point only at values agent.toml (or a profile) really defines, never at a default.
  const where = (p: OptionPath): SourceRange | undefined => (isDefined(input.agent, p) ? input.locate(p) : undefined);
  const opt = <T extends object>(key: string, v: T | undefined) => (v === undefined ? {} : { [key]: v });

  const type = interfaceType(s.network);
  const interfaces: MicrovmInterface[] = [];
  if (type) {
    const iface: MicrovmInterface = { type, id: s.interfaceId ?? interfaceId(input.project, input.slot), mac: macAddress(input.project, input.slot) };
    if (type === "bridge" && s.bridge) iface.bridge = s.bridge;
    if (type === "macvtap" && s.macvtapLink) iface.macvtap = { link: s.macvtapLink, mode: s.macvtapMode };
    interfaces.push(iface);
  }

  const forwardPorts: MicrovmForward[] = [];
  if (canForward(s))
    for (const f of [sshForward(input), ...declaredForwards(input)]) {
      if (f.hostPort === undefined) continue; // reported by validateMicrovm
      forwardPorts.push({ name: f.name, proto: f.proto, hostAddress: f.hostAddress, hostPort: f.hostPort, guestPort: f.guestPort, ...opt("from", f.name === SSH_PORT_NAME ? undefined : where(f.at)) });
    }

  const shares = sharesOf(input, s).map((sh) => ({
    tag: sh.tag,
    source: sh.source,
    mountPoint: sh.mountPoint,
    proto: sh.proto,
    readOnly: sh.readOnly,
    origin: sh.origin,
    ...opt("from", sh.origin === "config" || sh.tag === "workspace" ? where(sh.at) : undefined),
  }));

  const volumes = s.persist ? [{ image: s.volume.image, mountPoint: s.volume.mountPoint, size: s.volume.size, ...opt("from", where(SETTING_PATHS.volume) ?? where(SETTING_PATHS.persist)) }] : [];

  const tcp = new Set<number>([SSH_GUEST_PORT]);
  const udp = new Set<number>();
  for (const f of forwardPorts) (f.proto === "tcp" ? tcp : udp).add(f.guestPort);
  const byNumber = (a: number, b: number) => a - b;

  const from: MicrovmSpec["from"] = {};
  const settingPaths: Record<SpecSetting, OptionPath> = {
    mem: SETTING_PATHS.mem,
    vcpu: SETTING_PATHS.vcpu,
    hypervisor: SETTING_PATHS.hypervisor,
    network: SETTING_PATHS.network,
    autostart: SETTING_PATHS.autostart,
    qemuExtraArgs: SETTING_PATHS.qemuExtraArgs,
    persist: SETTING_PATHS.persist,
    user: SETTING_PATHS.user,
    keys: SETTING_PATHS.keys,
    stateVersion: SETTING_PATHS.stateVersion,
    workspace: SETTING_PATHS.workspaceMount,
    nestedVirt: SETTING_PATHS.nestedVirt,
  };
  for (const [k, p] of Object.entries(settingPaths) as [SpecSetting, OptionPath][]) {
    const r = where(p);
    if (r) from[k] = r;
  }

  const value: MicrovmSpec = {
    name: vmName(input.project, input.slot),
    slot: input.slot,
    hypervisor: s.hypervisor,
    mem: s.mem,
    vcpu: s.vcpu,
    interfaces,
    shares,
    forwardPorts,
    volumes,
    qemuExtraArgs: s.qemuExtraArgs,
    autostart: s.autostart,
    nestedVirt: s.nestedVirt,
    guest: {
      user: s.user,
      authorizedKeys: s.keys,
      stateVersion: s.stateVersion,
      allowedTCPPorts: [...tcp].sort(byNumber),
      allowedUDPPorts: [...udp].sort(byNumber),
    },
    from,
  };
  return { value, diags };
}

function isDefined(root: unknown, p: OptionPath): boolean {
  let cur: unknown = root;
  for (const seg of p) {
    if (cur === null || typeof cur !== "object") return false;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur !== undefined;
}
