// Plan-time checks of the microvm settings that the schema cannot express, each located at
// the agent.toml definition that causes it. microvm.nix would reject the same inputs at
// `nixos-rebuild` time (assertions, option types); sbx says so before anything is written.

import { error, warning, type Diagnostic } from "../diagnostics.js";
import { formatPath, type OptionPath } from "../path.js";
import { SSH_PORT_NAME } from "./defaults.js";
import { INTERFACE_ID_MAX } from "./naming.js";
import { canForward, declaredForwards, SETTING_PATHS, settingsOf, sharesOf, sshForward } from "./resolve.js";
import type { MicrovmInput } from "./types.js";

/** Every problem at once; an empty list means buildMicrovmSpec's output is usable. */
export function validateMicrovm(input: MicrovmInput): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const s = settingsOf(input);
  const located = (p: OptionPath) => ({ range: input.locate(p), address: formatPath(p) });

  // Memory: QEMU hangs with exactly 2 GiB (microvm.nix runner warning, issue #171).
  if (s.hypervisor === "qemu" && s.mem === 2048)
    diags.push(warning("QEMU hangs with exactly 2048 MiB of memory", { ...located(SETTING_PATHS.mem), detail: "microvm.nix warns that QEMU hangs when memory is exactly 2 GiB. Use 2047 or 2049 (or any other size)." }));

  // Network.
  if (s.network === "bridge" && !s.bridge)
    diags.push(error("Bridge network without a bridge", { ...located(SETTING_PATHS.network), detail: 'defaults.network = "bridge" needs backend.microvm.bridge = "<host bridge>" (for example "br0").' }));
  if (s.network === "macvtap" && !s.macvtapLink)
    diags.push(error("Macvtap network without a link", { ...located(SETTING_PATHS.network), detail: 'defaults.network = "macvtap" needs backend.microvm.macvtap_link = "<host interface>" (for example "eth0").' }));
  if (s.bridge && s.network !== "bridge")
    diags.push(warning("backend.microvm.bridge is ignored", { ...located(SETTING_PATHS.bridge), detail: `It applies only with defaults.network = "bridge" (the network is "${s.network}").` }));
  if (s.interfaceId !== undefined) {
    if (s.interfaceId.length > INTERFACE_ID_MAX)
      diags.push(error("Interface id longer than 15 characters", { ...located(SETTING_PATHS.interfaceId), detail: `\`${s.interfaceId}' has ${s.interfaceId.length} characters; Linux interface names (and microvm.nix) allow at most ${INTERFACE_ID_MAX}. Shorten it, or remove interface_id to use the derived one.` }));
    if (/[\s/:]/.test(s.interfaceId) || s.interfaceId === "." || s.interfaceId === "..")
      diags.push(error("Invalid interface id", { ...located(SETTING_PATHS.interfaceId), detail: `\`${s.interfaceId}' is not a Linux interface name: no spaces, '/' or ':'.` }));
  }

  // Forwarded ports: need qemu and a user-mode interface.
  const forwards = declaredForwards(input);
  if (forwards.length && !canForward(s)) {
    const why = s.hypervisor !== "qemu" ? `the hypervisor is ${s.hypervisor}` : `the network is "${s.network}"`;
    for (const f of forwards)
      diags.push(
        error("Forwarded port needs qemu and user networking", {
          ...located(f.at),
          detail: `microvm.nix forwards ports only with hypervisor = "qemu" and a network interface of type "user", but ${why}. Set backend.microvm.hypervisor = "qemu" and defaults.network = "user", or remove backend.microvm.forward_ports.${f.name} and reach the guest on its own address.`,
        }),
      );
  }
  if (!canForward(s) && s.network === "user")
    diags.push(warning("SSH is not forwarded", { ...located(SETTING_PATHS.hypervisor), detail: `With user networking the guest is reachable only through forwarded ports, which need hypervisor = "qemu" (it is ${s.hypervisor}).` }));
  const known = Object.keys(input.ports).sort();
  for (const f of forwards) {
    if (f.name === SSH_PORT_NAME)
      diags.push(error(`${SSH_PORT_NAME} is forwarded by sbx`, { ...located(f.at), detail: `sbx forwards ${SSH_PORT_NAME} to guest port 22 on its own. Remove backend.microvm.forward_ports.${SSH_PORT_NAME}; to move the host port, declare ${SSH_PORT_NAME} in infra.toml [sandbox.ports].` }));
    else if (f.hostPort === undefined)
      diags.push(error(`Unknown port variable \`${f.name}'`, { ...located(f.at), detail: `backend.microvm.forward_ports.${f.name} must name a port of infra.toml [sandbox.ports], whose slot value is the host port (${known.filter((k) => k !== SSH_PORT_NAME).join(", ") || "none declared"}).` }));
  }
  if (canForward(s)) {
    const ssh = sshForward(input);
    if (ssh.hostPort === undefined)
      diags.push(error(`The slot has no ${SSH_PORT_NAME}`, { detail: `The microvm backend forwards ${SSH_PORT_NAME} to guest port 22; add sshPortSpec() to the slot's port specs (a bug in the caller).` }));
    for (const f of [ssh, ...forwards])
      if (f.hostPort !== undefined && (f.hostPort < 1 || f.hostPort > 65535))
        diags.push(error(`Port ${f.name} is outside 1-65535 in slot ${input.slot}`, { ...located(f.at), detail: `${f.name}=${f.hostPort}. Lower its base or stride in [sandbox.ports], or limit [sandbox.slots].max.` }));
  }

  // Shares: unique tags, absolute and distinct mount points.
  const shares = sharesOf(input, s);
  const tags = new Map<string, OptionPath>();
  const mounts = new Map<string, OptionPath>();
  for (const sh of shares) {
    const prevTag = tags.get(sh.tag);
    if (prevTag)
      diags.push(error(`Duplicate share tag \`${sh.tag}'`, { ...located(sh.tagAt), detail: `Share tags must be unique (microvm.nix asserts it); \`${sh.tag}' is already used by ${formatPath(prevTag)}${sh.tag === "workspace" || sh.tag === "ro-store" ? " (sbx's own share)" : ""}. Pick another tag.` }));
    else tags.set(sh.tag, sh.tagAt);
    if (!sh.mountPoint.startsWith("/")) {
      diags.push(error("Mount point is not absolute", { ...located(sh.mountAt), detail: `\`${sh.mountPoint}' must be an absolute guest path such as /${sh.mountPoint.replace(/^\.?\/*/, "")}.` }));
      continue;
    }
    const key = normalizeMount(sh.mountPoint);
    const prev = mounts.get(key);
    if (prev) diags.push(error(`Two shares mount at ${key}`, { ...located(sh.mountAt), detail: `${formatPath(prev)} already mounts there. Pick another mount_point.` }));
    else mounts.set(key, sh.mountAt);
  }
  if (s.persist) {
    const vm = s.volume.mountPoint;
    if (!vm.startsWith("/")) diags.push(error("Mount point is not absolute", { ...located(SETTING_PATHS.volumeMount), detail: `\`${vm}' must be an absolute guest path such as /${vm.replace(/^\.?\/*/, "")}.` }));
    else if (mounts.has(normalizeMount(vm)))
      diags.push(error(`The volume and a share both mount at ${normalizeMount(vm)}`, { ...located(SETTING_PATHS.volumeMount), detail: `${formatPath(mounts.get(normalizeMount(vm))!)} already mounts there. Pick another backend.microvm.volume.mount_point.` }));
  }
  return diags;
}

function normalizeMount(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") parts.pop();
    else parts.push(seg);
  }
  return `/${parts.join("/")}`;
}
