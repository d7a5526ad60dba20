// The files the microvm backend writes, with their layout: one host module, and per VM a
// guest module (microvm.*) and its NixOS extras; plus the optional keystone block.

import type { Result } from "../diagnostics.js";
import { renderGuestExtras } from "./render-extras.js";
import { renderGuestModule } from "./render-guest.js";
import { renderHostModule } from "./render-host.js";
import { renderKeystoneBlock } from "./render-keystone.js";
import type { Locate, MicrovmSpec } from "./types.js";
import type { AgentConfig } from "../generated/agent.js";

export type ArtifactRole = "host" | "guest" | "extras" | "keystone";

export interface NixArtifact {
  role: ArtifactRole;
  /** Relative to the output directory; the host module refers to the others by these paths. */
  path: string;
  text: string;
}

/** `host.nix`, `vms/<vm>.nix`, `vms/<vm>.extras.nix`. */
export function microvmArtifacts(spec: MicrovmSpec): NixArtifact[] {
  const guest = `vms/${spec.name}.nix`;
  const extras = `vms/${spec.name}.extras.nix`;
  return [
    { role: "host", path: "host.nix", text: renderHostModule(spec, { guestFile: `./${guest}`, extrasFile: `./${extras}` }) },
    { role: "guest", path: guest, text: renderGuestModule(spec, { extrasFile: `${spec.name}.extras.nix` }) },
    { role: "extras", path: extras, text: renderGuestExtras(spec) },
  ];
}

/** `keystone-agent.nix`, the keystone.agent.* alternative. */
export function keystoneArtifact(agent: AgentConfig, locate: Locate): Result<NixArtifact> {
  const r = renderKeystoneBlock(agent, locate);
  return { value: { role: "keystone", path: "keystone-agent.nix", text: r.value }, diags: r.diags };
}
