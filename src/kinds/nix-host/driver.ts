// Writes a microVM's host module (<host_config_dir>/<vm>/host.nix) with the owned-file rules.

import { moduleFilesDriver } from "../microvm/host.js";
import { HOST_MODULE, type NixHostAttrs } from "./kind.js";

export const nixHostDriver = moduleFilesDriver<NixHostAttrs>("nix.host", (a) => [{ rel: HOST_MODULE, text: a.content, attr: "content" }]);
