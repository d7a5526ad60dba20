// Writes a microVM's guest modules on the host, with the owned-file rules: a file edited
// outside sbx is drift (shown as the text found), kept on destroy unless --force.

import type { Driver } from "../driver.js";
import { observeModules, removeModules, writeModules, type ModuleFile } from "../microvm/host.js";
import { guestFiles, type NixGuestAttrs } from "./kind.js";

function files(a: NixGuestAttrs): ModuleFile[] {
  return guestFiles(a).map((f, i) => ({ ...f, attr: i === 0 ? "guest" : "extras" }));
}

export const nixGuestDriver: Driver<NixGuestAttrs> = {
  type: "nix.guest",
  read: (ctx, prior) => observeModules(ctx, prior.attrs.dir, files(prior.attrs), prior.output),
  async create(ctx, r, opts) {
    return { output: await writeModules(ctx, r.attrs.dir, files(r.attrs), undefined, opts?.recovering) };
  },
  async update(ctx, r, prior) {
    return { output: await writeModules(ctx, r.attrs.dir, files(r.attrs), prior.output) };
  },
  delete: (ctx, prior) => removeModules(ctx, prior.attrs.dir, prior.output),
};
