// microvm backend: agent.toml → a microvm.nix VM for this worktree's slot. The guest and
// host modules come from compile/microvm (pure, host-independent: names, MAC and ports
// follow project and slot); the VM itself is started by the microvm kind on a NixOS host.

import * as posix from "node:path/posix";
import type { Diagnostic, SourceRange } from "../diagnostics.js";
import { hasErrors, warning } from "../diagnostics.js";
import { locate } from "../merge.js";
import { buildMicrovmSpec, keystoneArtifact, MICROVM_DEFAULTS, microvmArtifacts, sshPortSpec, SSH_PORT_NAME, type Locate } from "../microvm/index.js";
import type { OptionPath } from "../path.js";
import type { MicrovmAttrs } from "../../kinds/microvm/kind.js";
import type { NixGuestAttrs } from "../../kinds/nix-guest/kind.js";
import type { NixHostAttrs } from "../../kinds/nix-host/kind.js";
import { addressOf, asResource, type Resource } from "../../kinds/spec.js";
import type { ResolvedConfig } from "../config.js";
import { buildInput, commonResources, healthGate, where } from "./common.js";
import type { Backend, Url } from "./types.js";

/** Where an agent option is defined: its winning definition, a key inside a [[table]] included. */
export function agentLocate(config: ResolvedConfig): Locate {
  return (p: OptionPath): SourceRange | undefined => {
    const l = config.agentMerged ? locate(config.agentMerged, p) : undefined;
    return l ? { file: l.file, start: l.pos } : undefined;
  };
}

export const microvmBackend: Backend = {
  name: "microvm",
  extraPorts: () => [sshPortSpec()],
  build(config, ctx, ports) {
    const input = buildInput(config, ctx, ports);
    const diags: Diagnostic[] = [];
    const common = commonResources(input, diags);
    const resources: Resource[] = [...common.resources];
    const agent = config.agent ?? {};
    const services = Object.keys(config.infra.services ?? {}).sort();
    if (services.length)
      diags.push(
        warning(`[services] ${services.length === 1 ? "is" : "are"} not run by the microvm backend`, {
          range: where(config.infraMerged, ["services", services[0]!], input.file),
          detail: `${services.map((n) => `services.${n}`).join(", ")}: the microvm backend starts the agent's VM only. To run them as local processes instead, set sandbox.backend = "process" in infra.toml (agent.toml's settings are then ignored, with a warning).`,
        }),
      );
    const built = buildMicrovmSpec({ agent, project: config.infra.project?.name ?? "sandbox", slot: ctx.slot, ports, worktree: ctx.roots.worktree, locate: agentLocate(config) });
    diags.push(...built.diags);
    if (hasErrors(built.diags)) return { resources, diags, urls: [], env: common.sandboxEnv, texts: new Map() };
    const spec = built.value;
    const m = agent.backend?.microvm ?? {};
    const dir = posix.join(m.host_config_dir ?? MICROVM_DEFAULTS.hostConfigDir, spec.name);
    const text = Object.fromEntries(microvmArtifacts(spec).map((a) => [a.role, a.text]));

    const guestAddr = `nix.guest[${JSON.stringify(spec.name)}]`;
    resources.push(asResource<NixGuestAttrs>({ address: guestAddr, type: "nix.guest", attrs: { vm: spec.name, dir, guest: text.guest!, extras: text.extras! }, dependsOn: ["slot.this"] }));
    resources.push(asResource<NixHostAttrs>({ address: "nix.host", type: "nix.host", attrs: { vm: spec.name, dir, content: text.host! }, dependsOn: [guestAddr] }));

    const ssh = spec.forwardPorts.find((f) => f.name === SSH_PORT_NAME);
    const vmAddr = addressOf("microvm", spec.name);
    const attrs: MicrovmAttrs = {
      name: spec.name,
      dir,
      rebuild: [...(m.rebuild_command ?? MICROVM_DEFAULTS.rebuildCommand)],
      ssh: ssh ? { address: ssh.hostAddress, port: ssh.hostPort, user: spec.guest.user } : null,
      ports: spec.forwardPorts.map((f) => f.hostPort),
      workspace: spec.shares.find((s) => s.tag === "workspace")?.mountPoint ?? MICROVM_DEFAULTS.workspaceMount,
    };
    resources.push(asResource<MicrovmAttrs>({ address: vmAddr, type: "microvm", attrs, dependsOn: [guestAddr, "nix.host"] }));

    const urls: Url[] = spec.forwardPorts.map((f) => ({ name: f.name === SSH_PORT_NAME ? "ssh" : f.name, url: f.name === SSH_PORT_NAME ? `ssh://${spec.guest.user}@${f.hostAddress}:${f.hostPort}` : `${f.proto}://${f.hostAddress}:${f.hostPort}` }));
    const gate = healthGate(input, diags, [vmAddr]);
    if (gate) resources.push(gate);
    // For hosts that use keystone's NixOS module instead: its keystone.agent.* block (compile --out only).
    const keystone = keystoneArtifact(agent, agentLocate(config));
    return { resources, diags, urls, env: common.sandboxEnv, texts: new Map(), artefacts: [{ path: keystone.value.path, content: keystone.value.text }] };
  },
};
