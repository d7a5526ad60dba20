// The microvm backend's pure half: agent.toml → MicrovmSpec → Nix modules.

export { AGENT_DEFAULTS, MICROVM_DEFAULTS, SSH_GUEST_PORT, SSH_PORT_NAME, sshPortSpec, type SshPortSpec } from "./defaults.js";
export { interfaceId, INTERFACE_ID_MAX, macAddress, projectTag, vmName } from "./naming.js";
export { buildMicrovmSpec } from "./spec.js";
export { validateMicrovm } from "./validate.js";
export { renderGuestModule, sourceComment } from "./render-guest.js";
export { renderGuestExtras } from "./render-extras.js";
export { renderHostModule } from "./render-host.js";
export { renderKeystoneBlock } from "./render-keystone.js";
export { keystoneArtifact, microvmArtifacts, type ArtifactRole, type NixArtifact } from "./artifacts.js";
export type {
  GuestNixos,
  Hypervisor,
  InterfaceType,
  Locate,
  MacvtapMode,
  MicrovmForward,
  MicrovmInput,
  MicrovmInterface,
  MicrovmShare,
  MicrovmSpec,
  MicrovmVolume,
  PortProto,
  ShareProto,
  SpecSetting,
} from "./types.js";
