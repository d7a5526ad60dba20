// Backends by name: each turns the merged configuration and a slot into resources.
// A new backend is its own module plus its line in this list.

import type { Diagnostic } from "../diagnostics.js";
import { error } from "../diagnostics.js";
import type { ResolvedConfig } from "../config.js";
import { invalidPorts, portSpecs, portsForSlot, type PortSpec } from "../ports.js";
import { composeBackend } from "./compose.js";
import { microvmBackend } from "./microvm.js";
import { kubePlacement, kubernetesBackend } from "./kubernetes.js";
import { pendingBackend } from "./pending.js";
import { processBackend } from "./process.js";
import { swarmBackend } from "./swarm.js";
import type { Backend, BuildContext, BuildResult } from "./types.js";
import { where } from "./common.js";
import { profilePlacement } from "./placement.js";
import { configuredPlacement, formatPlacement, parsePlacement, type Placement, type PlacementKind } from "../placement.js";
import { routeOf } from "../route.js";

const BACKENDS = new Map<string, Backend>();
export function registerBackend(b: Backend): void {
  BACKENDS.set(b.name, b);
}
for (const b of [processBackend, composeBackend, swarmBackend, microvmBackend, kubernetesBackend]) registerBackend(b);

/** The placement kinds a backend can run at; undefined for an unknown backend. */
export function backendPlacements(name: string): readonly PlacementKind[] | undefined {
  const b = BACKENDS.get(name);
  return b ? (b.placements ?? ["local"]) : undefined;
}

/**
 * The backend a configuration selects (decided when it loads, see compile/agent.ts
 * chooseBackend): `sandbox.backend` or agent.toml's `[backend] type`, else microvm when
 * agent.toml is present, else process with [services], else compose (kinfra's default).
 */
export function backendOf(config: ResolvedConfig): string {
  return config.backend;
}

/** The slot's port specs: [sandbox.ports] plus the ports the backend adds (a declared name wins). */
export function slotPortSpecs(config: ResolvedConfig): PortSpec[] {
  const declared = portSpecs(config.infra);
  const extra = (BACKENDS.get(backendOf(config))?.extraPorts?.(config) ?? []).filter((x) => !declared.some((d) => d.name === x.name));
  return [...declared, ...extra].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Where the configuration places the sandbox, as drivers see it (a resolved k8s:// target, or the profile's placement). */
export function placementOf(config: ResolvedConfig): Placement | undefined {
  if (backendOf(config) === "kubernetes") return kubePlacement(config);
  // sandbox.placement: a profile's placement, or infra.toml's [sandbox] placement.
  const c = configuredPlacement(config.infraMerged).value.placement;
  return c.kind === "local" ? undefined : c;
}

/** A profile's placement that the backend does not honour is an error at its line, never a silent local run. */
function placementProblems(config: ResolvedConfig, backend: Backend): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const honoured = (b: Backend): readonly PlacementKind[] => b.placements ?? ["local"];
  for (const p of config.profiles) {
    if (!p.placement) continue;
    const parsed = parsePlacement(p.placement, p.placementAt).value;
    if (!parsed || honoured(backend).includes(parsed.kind)) continue;
    const scheme = parsed.kind === "local" ? "local" : `${parsed.kind}://`;
    const fits = [...BACKENDS.values()].filter((b) => honoured(b).includes(parsed.kind)).map((b) => b.name);
    diags.push(
      error(fits.length ? `Placement ${scheme} does not fit the ${backend.name} backend` : `Placement ${scheme} is not supported by this sbx yet`, {
        ...(p.placementAt ? { range: p.placementAt } : {}),
        address: "placement",
        detail: fits.length
          ? `Profile ${p.id} places the sandbox at \`${p.placement}', which only the ${fits.join(", ")} backend${fits.length > 1 ? "s" : ""} can reach. Set backend = "${fits[0]}", or remove \`placement' to run here.`
          : `Profile ${p.id} places the sandbox at \`${p.placement}', but this sbx runs ${backend.name} sandboxes on this machine only. Remove \`placement' (or set it to "local") to run here; sbx will not run it locally in its place.`,
      }),
    );
  }
  return diags;
}

export function buildGraph(config: ResolvedConfig, ctx: BuildContext): BuildResult {
  const diags: Diagnostic[] = [];
  const ports = portsForSlot(slotPortSpecs(config), ctx.slot);
  const bad = invalidPorts(ports);
  const file = config.files.find((f) => f.role === "infra")?.file ?? "infra.toml";
  if (bad.length)
    diags.push(
      error(`Slot ${ctx.slot} gives ports outside 1-65535`, {
        code: "slot",
        range: where(config.infraMerged, ["sandbox", "ports", bad[0]!.split("=")[0]!], file),
        detail: `${bad.join(", ")}. Lower the port bases or strides in [sandbox.ports], or limit [sandbox.slots].max.`,
      }),
    );
  const name = backendOf(config);
  const backend = BACKENDS.get(name);
  if (!backend) {
    diags.push(error(`Unknown backend \`${name}'`, { range: where(config.infraMerged, ["sandbox", "backend"], file), detail: `Known backends: ${[...BACKENDS.keys()].join(", ")}.` }));
    return { resources: [], diags, urls: [], env: {}, texts: new Map() };
  }
  // A placement the backend cannot run at is an error, never a silent run on this machine.
  diags.push(...profilePlacement(config).diags, ...placementProblems(config, backend), ...routeOf(config).diags);
  // A placement set elsewhere than a profile (infra.toml, --set) or chosen by a route: the same rule.
  const configured = configuredPlacement(config.infraMerged);
  const placement = ctx.placement ?? configured.value.placement;
  const profiled = config.profiles.some((p) => p.placement !== undefined);
  if (!profiled) diags.push(...configured.diags);
  const fromProfile = profiled && formatPlacement(configured.value.placement) === formatPlacement(placement);
  if (!fromProfile && placement.kind !== "local" && !(backend.placements ?? ["local"]).includes(placement.kind))
    diags.push(
      error(`Backend \`${name}' cannot run at ${formatPlacement(placement)}`, {
        address: "placement",
        ...(configured.value.at && formatPlacement(configured.value.placement) === formatPlacement(placement) ? { range: configured.value.at } : {}),
        detail: `The ${name} backend runs ${backend.placements ? `only at ${backend.placements.join(", ")}` : "only on this machine"}. ${placement.kind === "k8s" ? 'Use backend = "kubernetes" (or leave backend unset)' : 'Choose a backend that runs there (backend = "compose" runs on another host\'s Docker engine over ssh)'}, or remove the placement.`,
      }),
    );
  const built = backend.build(config, { ...ctx, placement }, ports);
  return { ...built, diags: [...diags, ...built.diags], resources: [...built.resources].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0)) };
}
