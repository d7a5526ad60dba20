// Probing route candidates from this machine: each is reachable when its target answers
// (and, for the compose backend, its Docker engine does); latency is the median of a few
// round trips. A candidate whose backend cannot run at its placement is skipped unprobed.

import { backendPlacements } from "../compile/backends/index.js";
import { formatPlacement } from "../compile/placement.js";
import type { Candidate, Probed, Route } from "../compile/route.js";
import { DriverError } from "../kinds/driver.js";
import { targetFor } from "./placement.js";
import type { Target } from "./target/types.js";

const ROUND_TRIPS = 3;

async function timed(t: Target, argv: string[], timeoutMs: number): Promise<{ ok: boolean; ms: number; why: string }> {
  const start = process.hrtime.bigint();
  try {
    const r = await t.run(argv, { timeoutMs });
    const ms = Number((process.hrtime.bigint() - start) / 1_000_000n);
    if (r.timedOut) return { ok: false, ms, why: `no answer within ${Math.round(timeoutMs / 1000)}s` };
    if (r.exitCode !== 0) return { ok: false, ms, why: `\`${argv.join(" ")}' exited ${r.exitCode}${r.stderr.trim() ? `: ${r.stderr.trim().split("\n").slice(-1)[0]}` : ""}` };
    return { ok: true, ms, why: "" };
  } catch (e) {
    if (e instanceof DriverError) return { ok: false, ms: 0, why: e.message };
    throw e;
  }
}

/** How a candidate is probed: its target, and the command its backend needs to answer there. */
function probeOf(c: Candidate & { placement: { kind: "local" | "ssh" } }, home: string): { target: Target; ping: string[]; ready: string[] | undefined } {
  const needsDocker = c.backend === "compose";
  return { target: targetFor(c.placement.kind === "ssh" ? c.placement : undefined, home), ping: ["true"], ready: needsDocker ? ["docker", "version", "--format", "{{.Server.Version}}"] : undefined };
}

async function probeOne(c: Candidate, home: string, timeoutMs: number): Promise<Probed> {
  const can = backendPlacements(c.backend);
  if (!can) return { reachable: false, reason: `unknown backend \`${c.backend}'` };
  if (c.placement.kind !== "local" && !can.includes(c.placement.kind)) return { reachable: false, reason: `the ${c.backend} backend cannot run at ${c.placement.kind}:// placements (only at ${can.join(", ")})` };
  // A route places sandboxes on this machine or another host over ssh; a cluster or swarm is chosen by its own placement.
  if (c.placement.kind !== "local" && c.placement.kind !== "ssh") return { reachable: false, reason: `routes choose among local and ssh:// placements; set placement = "${formatPlacement(c.placement)}" to run there` };
  const how = probeOf({ ...c, placement: c.placement }, home);
  const first = await timed(how.target, how.ping, timeoutMs);
  if (!first.ok) return { reachable: false, reason: `unreachable: ${first.why}` };
  if (how.ready) {
    const ready = await timed(how.target, how.ready, timeoutMs);
    if (!ready.ok) return { reachable: false, reason: `no Docker engine answers there: ${ready.why}` };
  }
  // The first round trip opened the connection; time the next few and keep the median.
  const times: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const t = await timed(how.target, how.ping, timeoutMs);
    if (!t.ok) return { reachable: false, reason: `unreachable: ${t.why}` };
    times.push(t.ms);
  }
  times.sort((a, b) => a - b);
  return { reachable: true, latencyMs: times[Math.floor(times.length / 2)]! };
}

/** Probe every candidate at once; each answer or failure is recorded, none stops the others. */
export async function probeCandidates(route: Route, home: string): Promise<Probed[]> {
  return Promise.all(route.candidates.map((c) => probeOne(c, home, route.probeTimeoutMs)));
}
