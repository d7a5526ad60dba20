// Writes a microVM's guest modules on the host, with the owned-file rules: a file edited
// outside sbx is drift (shown as the text found), kept on destroy unless --force.

import { moduleFilesDriver } from "../microvm/host.js";
import { guestFiles, type NixGuestAttrs } from "./kind.js";

export const nixGuestDriver = moduleFilesDriver<NixGuestAttrs>("nix.guest", (a) => guestFiles(a).map((f, i) => ({ ...f, attr: i === 0 ? "guest" : "extras" })));
