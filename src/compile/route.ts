// A profile's `route`: candidate placements (and backends) and the strategy that picks
// one. Parsing and the choice among probed candidates are pure; probing is apply's.

import { error, type Diagnostic, type Result, type SourceRange } from "./diagnostics.js";
import { parseDuration } from "./duration.js";
import { formatPlacement, parsePlacement, type Placement } from "./placement.js";
import type { ResolvedConfig } from "./config.js";

export type Strategy = "explicit" | "prefer-self-hosted" | "lowest-latency" | "lowest-cost";

export interface Candidate {
  /** Shown in the plan: the candidate's `name`, else its placement. */
  name: string;
  placement: Placement;
  /** The backend there (the configured one unless the candidate names another). */
  backend: string;
  cost?: number;
  selfHosted: boolean;
}

export interface Route {
  strategy: Strategy;
  candidates: Candidate[];
  probeTimeoutMs: number;
  /** The profile that declares it, and where (for errors). */
  profile: string;
  at?: SourceRange;
}

/** What probing found out about one candidate. */
export type Probed = { reachable: true; latencyMs: number } | { reachable: false; reason: string };

/** One candidate as the plan shows it. */
export interface CandidateReport {
  name: string;
  placement: string;
  backend: string;
  self_hosted: boolean;
  cost?: number;
  latency_ms?: number;
  status: "chosen" | "available" | "skipped";
  /** Why it was chosen, or skipped ("unreachable: ..."). */
  reason?: string;
}

/** The route's decision, recorded in the plan (display only: apply uses the chosen placement). */
export interface RouteDecision {
  strategy: Strategy;
  profile: string;
  chosen: string;
  reason: string;
  candidates: CandidateReport[];
}

const DEFAULT_PROBE_TIMEOUT_MS = 10_000;

/** The route of the most specific profile that declares one; undefined when none does. */
export function routeOf(config: ResolvedConfig): Result<Route | undefined> {
  const p = [...config.profiles].reverse().find((x) => x.route !== undefined);
  if (!p?.route) return { value: undefined, diags: [] };
  const diags: Diagnostic[] = [];
  const at = p.routeAt ?? { file: p.file, start: { line: 1, col: 1 } };
  // A route with nothing to choose from is a mistake, never silently ignored.
  if (!p.route.candidates?.length)
    return { value: undefined, diags: [error("A route without candidates", { range: at, address: "route", detail: `Profile ${p.id} has a [route] but no candidates to choose from. Add [[route.candidates]] with placement = "local" or "ssh://user@host", or remove the route.` })] };
  const strategy: Strategy = p.route.strategy ?? "explicit";
  const candidates: Candidate[] = [];
  p.route.candidates.forEach((raw, i) => {
    const spec = typeof raw === "string" ? { placement: raw } : raw;
    const parsed = parsePlacement(spec.placement, at);
    diags.push(...parsed.diags.map((d) => ({ ...d, detail: `route.candidates[${i}]: ${d.detail ?? ""}` })));
    if (!parsed.value) return;
    const c: Candidate = {
      name: (typeof raw === "string" ? undefined : raw.name) ?? formatPlacement(parsed.value),
      placement: parsed.value,
      backend: (typeof raw === "string" ? undefined : raw.backend) ?? config.backend,
      selfHosted: (typeof raw === "string" ? undefined : raw.self_hosted) ?? true,
      ...(typeof raw !== "string" && raw.cost !== undefined ? { cost: raw.cost } : {}),
    };
    if (strategy === "lowest-cost" && c.cost === undefined)
      diags.push(error("Candidate without a cost", { range: at, detail: `route.strategy is lowest-cost, but route.candidates[${i}] (${c.name}) has no cost. Give every candidate cost = <number>, or choose another strategy.` }));
    if (candidates.some((x) => x.name === c.name)) diags.push(error("Two route candidates with one name", { range: at, detail: `route.candidates[${i}] is named ${c.name} like an earlier one. Give one of them another name = "...".` }));
    candidates.push(c);
  });
  const placement = (config.infra.sandbox as { placement?: string } | undefined)?.placement;
  if (placement !== undefined)
    diags.push(
      error("Both a placement and a route", {
        range: at,
        detail: `Profile ${p.id} routes among ${candidates.length} candidates, and sandbox.placement is ${placement}. The route chooses the placement: remove sandbox.placement (or the profile's placement), or the route.`,
      }),
    );
  const timeout = p.route.probe_timeout === undefined ? DEFAULT_PROBE_TIMEOUT_MS : parseDuration(p.route.probe_timeout);
  return { value: { strategy, candidates, probeTimeoutMs: timeout ?? DEFAULT_PROBE_TIMEOUT_MS, profile: p.id, at }, diags };
}

/** Pick a candidate by the strategy among the reachable ones; undefined when none is. Pure. */
export function chooseCandidate(route: Route, probed: readonly Probed[]): { index?: number; reason: string } {
  const ok = route.candidates.map((c, i) => ({ c, i, p: probed[i]! })).filter((x) => x.p.reachable);
  if (!ok.length) return { reason: "no candidate is reachable" };
  const latency = (x: (typeof ok)[number]) => (x.p.reachable ? x.p.latencyMs : Infinity);
  switch (route.strategy) {
    case "explicit":
      return { index: ok[0]!.i, reason: ok[0]!.i === 0 ? "first candidate, in the order written" : "first reachable candidate, in the order written" };
    case "prefer-self-hosted": {
      const self = ok.find((x) => x.c.selfHosted);
      if (self) return { index: self.i, reason: "first reachable self-hosted candidate" };
      return { index: ok[0]!.i, reason: "no self-hosted candidate is reachable: first reachable one" };
    }
    case "lowest-latency": {
      const best = [...ok].sort((a, b) => latency(a) - latency(b) || a.i - b.i)[0]!;
      return { index: best.i, reason: `lowest measured round trip (${latency(best)} ms)` };
    }
    case "lowest-cost": {
      const best = [...ok].sort((a, b) => (a.c.cost ?? Infinity) - (b.c.cost ?? Infinity) || a.i - b.i)[0]!;
      return { index: best.i, reason: `lowest cost (${best.c.cost})` };
    }
  }
}

/** The decision as the plan records it. */
export function routeDecision(route: Route, probed: readonly Probed[], choice: { index?: number; reason: string }): RouteDecision {
  return {
    strategy: route.strategy,
    profile: route.profile,
    chosen: choice.index === undefined ? "" : route.candidates[choice.index]!.name,
    reason: choice.reason,
    candidates: route.candidates.map((c, i) => {
      const p = probed[i]!;
      return {
        name: c.name,
        placement: formatPlacement(c.placement),
        backend: c.backend,
        self_hosted: c.selfHosted,
        ...(c.cost !== undefined ? { cost: c.cost } : {}),
        ...(p.reachable ? { latency_ms: p.latencyMs } : {}),
        status: i === choice.index ? "chosen" : p.reachable ? "available" : "skipped",
        ...(i === choice.index ? { reason: choice.reason } : p.reachable ? {} : { reason: p.reason }),
      };
    }),
  };
}
