// Writes a microVM's host module (<host_config_dir>/<vm>/host.nix) with the owned-file rules.

import type { Driver } from "../driver.js";
import { observeModules, removeModules, writeModules, type ModuleFile } from "../microvm/host.js";
import { HOST_MODULE, type NixHostAttrs } from "./kind.js";

function files(a: NixHostAttrs): ModuleFile[] {
  return [{ rel: HOST_MODULE, text: a.content, attr: "content" }];
}

export const nixHostDriver: Driver<NixHostAttrs> = {
  type: "nix.host",
  read: (ctx, prior) => observeModules(ctx, prior.attrs.dir, files(prior.attrs), prior.output),
  async create(ctx, r, opts) {
    return { output: await writeModules(ctx, r.attrs.dir, files(r.attrs), undefined, opts?.recovering) };
  },
  async update(ctx, r, prior) {
    return { output: await writeModules(ctx, r.attrs.dir, files(r.attrs), prior.output) };
  },
  delete: (ctx, prior) => removeModules(ctx, prior.attrs.dir, prior.output),
};
