// Route choice (src/compile/route.ts): each strategy over probed candidates, unreachable
// ones never chosen, ties broken by the order written; the decision the plan records.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { chooseCandidate, routeDecision, type Candidate, type Probed, type Route, type Strategy } from "../../../src/compile/route.js";

const ssh = (host: string): Candidate["placement"] => ({ kind: "ssh", user: "dev", host });
const cands: Candidate[] = [
  { name: "far", placement: ssh("far"), backend: "compose", cost: 0.5, selfHosted: false },
  { name: "near", placement: ssh("near"), backend: "compose", cost: 2, selfHosted: true },
  { name: "here", placement: { kind: "local" }, backend: "compose", cost: 1, selfHosted: true },
  { name: "down", placement: ssh("down"), backend: "compose", cost: 0.1, selfHosted: true },
];
const probed: Probed[] = [
  { reachable: true, latencyMs: 80 },
  { reachable: true, latencyMs: 4 },
  { reachable: true, latencyMs: 4 },
  { reachable: false, reason: "unreachable: connection refused" },
];
const route = (strategy: Strategy, cs = cands): Route => ({ strategy, candidates: cs, probeTimeoutMs: 1000, profile: "p" });

const table: { strategy: Strategy; probed?: Probed[]; chosen: string | undefined; reason: string }[] = [
  { strategy: "explicit", chosen: "far", reason: "first candidate, in the order written" },
  { strategy: "explicit", probed: [probed[3]!, ...probed.slice(1)], chosen: "near", reason: "first reachable candidate, in the order written" },
  { strategy: "prefer-self-hosted", chosen: "near", reason: "first reachable self-hosted candidate" },
  { strategy: "prefer-self-hosted", probed: [probed[0]!, probed[3]!, probed[3]!, probed[3]!], chosen: "far", reason: "no self-hosted candidate is reachable: first reachable one" },
  { strategy: "lowest-latency", chosen: "near", reason: "lowest measured round trip (4 ms)" },
  { strategy: "lowest-cost", chosen: "far", reason: "lowest cost (0.5)" },
  { strategy: "lowest-cost", probed: [probed[3]!, ...probed.slice(1)], chosen: "here", reason: "lowest cost (1)" },
  { strategy: "lowest-latency", probed: cands.map(() => probed[3]!), chosen: undefined, reason: "no candidate is reachable" },
];

for (const c of table)
  test(`${c.strategy}: ${c.chosen ?? "nothing"} (${c.reason})`, () => {
    const r = chooseCandidate(route(c.strategy), c.probed ?? probed);
    assert.is(r.index === undefined ? undefined : cands[r.index]!.name, c.chosen);
    assert.is(r.reason, c.reason);
  });

test("an unreachable candidate is never chosen, even when it is cheapest", () => {
  const r = chooseCandidate(route("lowest-cost"), probed);
  assert.is.not(cands[r.index!]!.name, "down");
});

test("the decision lists every candidate: the chosen one with the reason, skipped ones with theirs", () => {
  const d = routeDecision(route("lowest-latency"), probed, chooseCandidate(route("lowest-latency"), probed));
  assert.is(d.chosen, "near");
  assert.equal(
    d.candidates.map((c) => [c.name, c.status, c.latency_ms ?? null, c.reason ?? null]),
    [
      ["far", "available", 80, null],
      ["near", "chosen", 4, "lowest measured round trip (4 ms)"],
      ["here", "available", 4, null],
      ["down", "skipped", null, "unreachable: connection refused"],
    ],
  );
  assert.is(d.candidates[0]!.placement, "ssh://dev@far");
});

test.run();
