// nix.host: the host module of one microVM (`<host_config_dir>/<vm>/host.nix`), declaring
// microvm.vms.<vm> and importing its guest modules. The host's NixOS configuration imports
// every `<host_config_dir>/*/host.nix` next to microvm.nixosModules.host.

import type { KindSpec } from "../spec.js";

export interface NixHostAttrs {
  /** VM name: `<project>-slot-<N>`. */
  vm: string;
  /** Absolute host directory of this VM's modules: `<host_config_dir>/<vm>`. */
  dir: string;
  /** Text of host.nix. */
  content: string;
}

export const HOST_MODULE = "host.nix";

export const nixHostSpec: KindSpec<NixHostAttrs> = {
  type: "nix.host",
  description: "a microVM's host NixOS module (microvm.vms.<vm>)",
  replaceOn: ["vm", "dir"],
  restartsDependents: true,
  render: { content: "text" },
  artefacts: (r) => [{ path: HOST_MODULE, content: r.attrs.content }],
};
