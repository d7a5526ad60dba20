// nix.guest["<vm>"]: the microVM's guest modules, written where the host's NixOS
// configuration finds them (<host_config_dir>/<vm>/vms/): the microvm.* options and the
// guest's other NixOS settings, each its own file.

import type { KindSpec } from "../spec.js";

export interface NixGuestAttrs {
  /** VM name: `<project>-slot-<N>`. */
  vm: string;
  /** Absolute host directory of this VM's modules: `<host_config_dir>/<vm>`. */
  dir: string;
  /** `vms/<vm>.nix`: microvm.* options only. */
  guest: string;
  /** `vms/<vm>.extras.nix`: firewall, sshd, the login user, stateVersion. */
  extras: string;
}

/** The files of a guest, relative to its directory. */
export function guestFiles(a: NixGuestAttrs): { rel: string; text: string }[] {
  return [
    { rel: `vms/${a.vm}.nix`, text: a.guest },
    { rel: `vms/${a.vm}.extras.nix`, text: a.extras },
  ];
}

export const nixGuestSpec: KindSpec<NixGuestAttrs> = {
  type: "nix.guest",
  description: "a microVM's guest NixOS modules",
  replaceOn: ["vm", "dir"],
  restartsDependents: true,
  render: { guest: "text", extras: "text" },
  artefacts: (r) => guestFiles(r.attrs).map((f) => ({ path: f.rel, content: f.text })),
};
