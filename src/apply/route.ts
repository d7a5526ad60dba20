// Probing route candidates from this machine: each is reachable when its target answers
// (and, for a Docker backend, its engine does); latency is the median of a few round
// trips. A candidate whose backend cannot run at its placement is skipped unprobed.

import { backendPlacements } from "../compile/backends/index.js";
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

/** What each placement kind is probed with: its target and the commands that must answer. */
function probeOf(c: Candidate, home: string): { target: Target; ping: string[]; ready: string[] | undefined } | string {
  const p = c.placement;
  const docker = ["docker", "version", "--format", "{{.Server.Version}}"];
  const needsDocker = c.backend === "compose" || c.backend === "swarm";
  switch (p.kind) {
    case "local":
      return { target: targetFor(undefined, home), ping: ["true"], ready: needsDocker ? docker : undefined };
    case "ssh":
      return { target: targetFor(p, home), ping: ["true"], ready: needsDocker ? docker : undefined };
    case "swarm": {
      const t = targetFor(p.manager ? { kind: "ssh", ...p.manager } : undefined, home);
      return { target: t, ping: ["true"], ready: ["docker", "info", "--format", "{{.Swarm.ControlAvailable}}"] };
    }
    case "k8s":
      return { target: targetFor(undefined, home), ping: ["kubectl", "--context", p.context, "get", "--raw", "/readyz"], ready: undefined };
  }
}

async function probeOne(c: Candidate, home: string, timeoutMs: number): Promise<Probed> {
  const can = backendPlacements(c.backend);
  if (!can) return { reachable: false, reason: `unknown backend \`${c.backend}'` };
  if (c.placement.kind !== "local" && !can.includes(c.placement.kind)) return { reachable: false, reason: `the ${c.backend} backend cannot run at ${c.placement.kind}:// placements (only at ${can.join(", ")})` };
  const how = probeOf(c, home);
  if (typeof how === "string") return { reachable: false, reason: how };
  const first = await timed(how.target, how.ping, timeoutMs);
  if (!first.ok) return { reachable: false, reason: `unreachable: ${first.why}` };
  if (how.ready) {
    const ready = await timed(how.target, how.ready, timeoutMs);
    if (!ready.ok) return { reachable: false, reason: `${c.backend === "swarm" ? "no swarm manager" : "no Docker engine"} answers there: ${ready.why}` };
    if (c.backend === "swarm" && ready.ok && (await how.target.run(how.ready, { timeoutMs })).stdout.trim() !== "true") return { reachable: false, reason: "the engine there is not a swarm manager" };
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
