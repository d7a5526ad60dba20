// Chooses the backend and turns resolved configuration into the desired graph.

import { error, type Diagnostic } from "../diagnostics.js";
import type { ResolvedConfig } from "../config.js";
import { invalidPorts, portSpecs, portsForSlot } from "../ports.js";
import type { Resource } from "../resource.js";
import type { BuildContext } from "./common.js";
import { buildProcessGraph } from "./process.js";
import { buildComposeGraph } from "./compose.js";

export type BackendName = "process" | "compose" | "microvm" | "kubernetes";

export function backendOf(config: ResolvedConfig): BackendName {
  const b = config.infra.sandbox?.backend;
  if (b) return b;
  return config.infra.services && Object.keys(config.infra.services).length ? "process" : "compose";
}

export function buildGraph(config: ResolvedConfig, ctx: BuildContext): { resources: Resource[]; diags: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const infraFile = config.files.find((f) => f.role === "infra")?.file ?? "infra.toml";
  const ports = portsForSlot(portSpecs(config.infra), ctx.slot);
  const bad = invalidPorts(ports);
  if (bad.length)
    diags.push(error(`Slot ${ctx.slot} gives ports outside 1-65535`, { detail: `${bad.join(", ")}. Lower the port bases or strides in [sandbox.ports], or limit [sandbox.slots].max.` }));
  const input = { infra: config.infra, merged: config.infraMerged, ctx, ports };
  const backend = backendOf(config);
  let resources: Resource[];
  switch (backend) {
    case "process":
      resources = buildProcessGraph(input, diags, infraFile);
      break;
    case "compose":
      resources = buildComposeGraph(input, diags, infraFile);
      break;
    case "microvm":
    case "kubernetes":
      diags.push(error(`Backend \`${backend}' cannot be applied here`, { detail: `The ${backend} backend is not implemented yet; use sandbox.backend = "process" or "compose".` }));
      resources = [];
      break;
  }
  return { resources: resources.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0)), diags };
}
