// Where a plan puts the sandbox: where it already runs (recorded in state), else where
// the configuration places it, else where its profile's route chooses after probing the
// candidates. A running sandbox never moves silently: a new placement is an error that
// says to destroy first.

import { error, type Diagnostic } from "../../compile/diagnostics.js";
import { placementOf } from "../../compile/backends/index.js";
import { DEFAULT_REMOTE_ROOT, formatPlacement, parsePlacement, type Placement } from "../../compile/placement.js";
import { chooseCandidate, routeDecision, routeOf, type RouteDecision } from "../../compile/route.js";
import type { ResolvedConfig } from "../../compile/config.js";
import type { PlanPlacement } from "../../plan/model.js";
import { placeInstance, type Placed, type Project } from "../project.js";
import { probeCandidates } from "../route.js";
import type { InstanceState } from "../state.js";

/** The configuration with another backend (a route candidate's). */
function withBackend(config: ResolvedConfig, backend: string): ResolvedConfig {
  if (config.backend === backend) return config;
  return { ...config, backend, infra: { ...config.infra, sandbox: { ...config.infra.sandbox, backend: backend as NonNullable<ResolvedConfig["infra"]["sandbox"]>["backend"] } } };
}

function moved(from: string, to: string): Diagnostic {
  return error(`The sandbox runs at ${from}; the configuration now places it at ${to}`, {
    code: "placement",
    detail: `sbx does not move a running sandbox. Run \`sbx destroy\` (it works from state, at ${from}), then \`sbx apply\` to create it at ${to}; or put the placement back.`,
  });
}

export interface Placing {
  /** A saved plan's placement: used as it is, without routing again. */
  placement?: string;
}

/** Decide where `p` runs for this plan and point its driver context there. */
export async function placeForPlan(p: Project, state: InstanceState, req: Placing = {}): Promise<{ placement?: PlanPlacement; diags: Diagnostic[] }> {
  const root = p.config.infra.sandbox?.remote_root ?? DEFAULT_REMOTE_ROOT;
  const route = routeOf(p.config).value;
  // The configured placement as drivers see it (a k8s:// one resolved with its namespace).
  const configured: Placement = placementOf(p.config) ?? { kind: "local" };
  const running = Object.keys(state.resources).length > 0;
  const current: Placement = (state.instance.placement ? parsePlacement(state.instance.placement).value : undefined) ?? { kind: "local" };
  const show = (placed: Placement, decision?: RouteDecision): PlanPlacement | undefined => (placed.kind === "local" && !decision ? undefined : { target: formatPlacement(placed), ...(decision ? { route: decision } : {}) });
  const place = (placement: Placement, backend?: string, remoteRoot = root) => {
    if (backend) p.config = withBackend(p.config, backend);
    const placed: Placed = { placement, remoteRoot };
    placeInstance(p, placed, p.config.secretRefs);
  };

  if (req.placement !== undefined) {
    const saved = parsePlacement(req.placement).value ?? { kind: "local" };
    const cand = route?.candidates.find((c) => formatPlacement(c.placement) === req.placement);
    place(saved, cand?.backend);
    return { placement: show(saved), diags: [] };
  }
  if (running) {
    const here = formatPlacement(current);
    const keep = (backend?: string) => place(current, backend, state.instance.remote_root ?? root);
    if (route) {
      const cand = route.candidates.find((c) => formatPlacement(c.placement) === here);
      if (!cand) return { diags: [moved(here, `one of ${route.candidates.map((c) => c.name).join(", ")} (route of profile ${route.profile})`)] };
      keep(cand.backend);
      const decision: RouteDecision = { strategy: route.strategy, profile: route.profile, chosen: cand.name, reason: state.instance.route ? `already running there (${state.instance.route})` : "already running there", candidates: [] };
      return { placement: show(current, decision), diags: [] };
    }
    // sbx tracks where local and ssh:// sandboxes run; swarm:// and k8s:// backends follow their own placement.
    const tracked = (pl: Placement) => pl.kind === "local" || pl.kind === "ssh";
    if (tracked(configured) ? formatPlacement(configured) !== here : current.kind !== "local") return { diags: [moved(here, formatPlacement(configured))] };
    if (!tracked(configured)) {
      place(configured);
      return { placement: show(configured), diags: [] };
    }
    keep();
    return { placement: show(current), diags: [] };
  }
  if (!route) {
    place(configured);
    return { placement: show(configured), diags: [] };
  }
  const probed = await probeCandidates(route, p.opts.home);
  const choice = chooseCandidate(route, probed);
  const decision = routeDecision(route, probed, choice);
  if (choice.index === undefined)
    return {
      diags: [
        error(`No route candidate of profile ${route.profile} is usable`, {
          code: "placement",
          ...(route.at ? { range: route.at } : {}),
          detail: `${decision.candidates.map((c) => `- ${c.name} (${c.placement}): ${c.reason ?? "skipped"}`).join("\n")}\n\nMake one of them reachable (ssh <host> must work without a prompt, and its Docker engine must answer), or add a candidate.`,
        }),
      ],
    };
  const chosen = route.candidates[choice.index]!;
  place(chosen.placement, chosen.backend);
  return { placement: show(chosen.placement, decision), diags: [] };
}
