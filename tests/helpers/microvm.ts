// Builds a MicrovmInput the way the backend will: the real loader (layers, merge, schema
// validation) reads agent.toml, SSH_PORT joins the slot's ports, and `locate` points at
// the winning definition.

import { loadConfig, type SourceReader } from "../../src/compile/config.js";
import type { Diagnostic } from "../../src/compile/diagnostics.js";
import { loadToml } from "../../src/compile/load.js";
import { locate } from "../../src/compile/merge.js";
import { pathKey } from "../../src/compile/path.js";
import { portSpecs, portsForSlot, type PortSpec } from "../../src/compile/ports.js";
import { sshPortSpec, type MicrovmInput } from "../../src/compile/microvm/index.js";

export interface Loaded {
  input?: MicrovmInput;
  /** Diagnostics of loading (syntax, merge, schema); microvm's own come from buildMicrovmSpec. */
  diags: Diagnostic[];
}

export function loadMicrovmInput(opts: { infra: string; agent: string; slot: number; worktree?: string; extra?: Record<string, string> }): Loaded {
  const worktree = opts.worktree ?? "/repo";
  const files: Record<string, string> = { "infra.toml": opts.infra, "agent.toml": opts.agent, ...(opts.extra ?? {}) };
  const reader: SourceReader = { read: (p) => (p.startsWith(`${worktree}/`) ? files[p.slice(worktree.length + 1)] : undefined) };
  const r = loadConfig({ paths: { cwd: worktree, worktree, main: worktree }, reader });
  if (!r.config || !r.config.agentMerged) return { diags: r.diags };
  const merged = r.config.agentMerged;
  // merge.locate stops at list elements ([[backend.microvm.shares]] headers); the file's own
  // positions reach the keys inside them. The backend should locate the same way.
  const own = loadToml("agent.toml", opts.agent).value;
  const specs: PortSpec[] = portSpecs(r.config.infra);
  if (!specs.some((s) => s.name === "SSH_PORT")) specs.push(sshPortSpec());
  return {
    input: {
      agent: r.config.agent ?? {},
      project: r.config.infra.project?.name ?? "",
      slot: opts.slot,
      ports: portsForSlot(specs, opts.slot),
      worktree,
      locate: (p) => {
        const exact = own?.valuePos.get(pathKey(p)) ?? own?.keyPos.get(pathKey(p));
        if (exact) return { file: "agent.toml", start: exact };
        const l = locate(merged, p);
        return l ? { file: l.file, start: l.pos } : undefined;
      },
    },
    diags: r.diags,
  };
}
