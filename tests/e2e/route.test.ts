// Routing as a user sees it: a profile's route over candidate placements, probed for real
// (a loopback sshd in front of this machine's Docker engine, this machine, and a port
// nothing listens on), and the plan saying which candidate was chosen and why.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { dockerAvailable } from "../helpers/docker.js";
import { freePortBase } from "../helpers/ports.js";
import { httpGet, makeRepo, newHome, sbx, serviceProject } from "../helpers/sbx.js";
import { sshdAvailable, startSshd, type Sshd } from "../helpers/sshd.js";

const noSshd = sshdAvailable();
const HAVE_DOCKER = dockerAvailable();
if (noSshd && process.env.SBX_REQUIRE_SSHD === "1") throw new Error(`SBX_REQUIRE_SSHD=1 but ${noSshd}`);
if (!HAVE_DOCKER && process.env.SBX_REQUIRE_DOCKER === "1") throw new Error("SBX_REQUIRE_DOCKER=1 but Docker or the sbx-busybox:test image is unavailable");
if (noSshd || !HAVE_DOCKER) console.warn(`\n!!! SKIPPING route tests that probe a real ssh host: ${noSshd ?? "no Docker engine or sbx-busybox:test image"} !!!\n`);

let sshd: Sshd | undefined;
const DEAD = "ssh://nobody@127.0.0.1:1";

interface Decision {
  strategy: string;
  chosen: string;
  reason: string;
  candidates: { name: string; placement: string; status: string; latency_ms?: number; cost?: number; reason?: string }[];
}

function composeRepo(profile: string): string {
  return makeRepo({
    "infra.toml": `profile = "routed"\n\n[project]\nname = "routed"\n\n[sandbox.ports]\nWEB_PORT = 18080\n`,
    "profiles/routed.toml": profile,
    "docker-compose.yml": 'services:\n  web:\n    image: sbx-busybox:test\n    ports:\n      - "${WEB_PORT:-8080}:80"\n',
  });
}

const candidate = (name: string, placement: string, extra = "") => `\n[[route.candidates]]\nname = "${name}"\nplacement = "${placement}"\n${extra}`;

async function decide(profile: string, args: string[] = ["plan", "--json"]): Promise<{ decision: Decision; target: string; text: string }> {
  const repo = composeRepo(profile);
  const r = await sbx(args, { cwd: repo, home: newHome(), env: { SBX_SSH_COMMAND: sshd!.sshCommand }, timeoutMs: 120_000 });
  assert.is(r.code, 0, r.stderr + r.stdout);
  const plan = JSON.parse(r.stdout) as { placement: { target: string; route: Decision } };
  const text = await sbx(["plan"], { cwd: repo, home: newHome(), env: { SBX_SSH_COMMAND: sshd!.sshCommand }, timeoutMs: 120_000 });
  return { decision: plan.placement.route, target: plan.placement.target, text: text.stdout };
}

if (!noSshd && HAVE_DOCKER) {
  test.before(async () => {
    sshd = await startSshd();
  });
  test.after(async () => {
    await sshd?.stop();
  });

  test("lowest-latency probes every candidate for real, skips the unreachable one with its reason, and picks the fastest", async () => {
    const { decision, target, text } = await decide(`id = "routed"\nversion = 1\n\n[route]\nstrategy = "lowest-latency"\nprobe_timeout = "5s"\n${candidate("loop", sshd!.url)}${candidate("dead", DEAD)}${candidate("here", "local")}`);
    const by = Object.fromEntries(decision.candidates.map((c) => [c.name, c]));
    assert.is(by.dead!.status, "skipped");
    assert.match(by.dead!.reason!, /^unreachable: .*Connection refused/);
    assert.ok(by.loop!.latency_ms! >= 0 && by.here!.latency_ms! >= 0, "both were measured");
    const fastest = [by.loop!, by.here!].sort((a, b) => a.latency_ms! - b.latency_ms!)[0]!;
    assert.is(decision.chosen, fastest.name);
    assert.is(target, fastest.placement);
    assert.match(decision.reason, `lowest measured round trip (${fastest.latency_ms} ms)`);
    assert.match(text, /Placement: .* \(route lowest-latency of profile routed: /);
    assert.match(text, /✗ skipped dead +ssh:\/\/nobody@127\.0\.0\.1:1 \(compose, self-hosted\): unreachable: /);
  });

  test("lowest-cost picks the cheapest reachable candidate: a cheaper unreachable one is skipped", async () => {
    const { decision, target } = await decide(`id = "routed"\nversion = 1\n\n[route]\nstrategy = "lowest-cost"\nprobe_timeout = "5s"\n${candidate("dead", DEAD, "cost = 0.1\n")}${candidate("loop", sshd!.url, "cost = 1.5\n")}${candidate("here", "local", "cost = 3\n")}`);
    assert.is(decision.chosen, "loop");
    assert.is(target, sshd!.url);
    assert.is(decision.reason, "lowest cost (1.5)");
    assert.is(decision.candidates.find((c) => c.name === "dead")!.status, "skipped");
  });

  test("explicit takes the first reachable candidate in the order written; prefer-self-hosted tries self-hosted ones first", async () => {
    const explicit = await decide(`id = "routed"\nversion = 1\n\n[route]\nstrategy = "explicit"\nprobe_timeout = "5s"\n${candidate("dead", DEAD)}${candidate("loop", sshd!.url)}${candidate("here", "local")}`);
    assert.is(explicit.decision.chosen, "loop");
    assert.is(explicit.decision.reason, "first reachable candidate, in the order written");
    const self = await decide(`id = "routed"\nversion = 1\n\n[route]\nstrategy = "prefer-self-hosted"\nprobe_timeout = "5s"\n${candidate("cloud", "local", "self_hosted = false\n")}${candidate("loop", sshd!.url)}`);
    assert.is(self.decision.chosen, "loop");
    assert.is(self.decision.reason, "first reachable self-hosted candidate");
  });
}

test("no usable candidate: plan fails naming each candidate's reason, with nothing changed", async () => {
  const repo = composeRepo(`id = "routed"\nversion = 1\n\n[route]\nprobe_timeout = "3s"\n${candidate("dead", DEAD)}\n[[route.candidates]]\nplacement = "ssh://dev@build-box"\nbackend = "process"\n`);
  const home = newHome();
  const r = await sbx(["plan"], { cwd: repo, home, timeoutMs: 60_000 });
  assert.is(r.code, 1, r.stdout);
  assert.match(r.stderr, "error: No route candidate of profile routed is usable");
  assert.match(r.stderr, "- dead (ssh://nobody@127.0.0.1:1): unreachable: ");
  assert.match(r.stderr, "- ssh://dev@build-box (ssh://dev@build-box): the process backend cannot run at ssh:// placements (only at local)");
  assert.not.match(r.stderr, "    at ");
  assert.not.ok(fs.existsSync(path.join(home, "instances")));
});

test("lowest-cost without a cost, and a route next to a placement, are located errors", async () => {
  const repo = composeRepo(`id = "routed"\nversion = 1\nplacement = "local"\n\n[route]\nstrategy = "lowest-cost"\n${candidate("a", "local", "cost = 1\n")}${candidate("b", DEAD)}`);
  const r = await sbx(["validate"], { cwd: repo, home: newHome() });
  assert.is(r.code, 1, r.stdout);
  assert.match(r.stderr, "profiles/routed.toml:5:1: error: Candidate without a cost");
  assert.match(r.stderr, "route.candidates[1] (b) has no cost");
  assert.match(r.stderr, "profiles/routed.toml:5:1: error: Both a placement and a route");
});

test("a running sandbox keeps its placement: a route that no longer offers it is an error, not a move", async () => {
  const base = await freePortBase(2);
  const files = serviceProject({ name: "sticky", base });
  files["infra.toml"] = `profile = "routed"\n\n${files["infra.toml"]!}`;
  files["profiles/routed.toml"] = `id = "routed"\nversion = 1\n\n[route]\n${candidate("here", "local")}`;
  const repo = makeRepo(files);
  const home = newHome();
  const a = await sbx(["apply", "--auto-approve"], { cwd: repo, home, timeoutMs: 60_000 });
  assert.is(a.code, 0, a.stderr + a.stdout);
  assert.match(a.stdout, "Placement: local (route explicit of profile routed: here, first candidate, in the order written)");
  assert.is((await httpGet(`http://127.0.0.1:${base + 10}/`)).status, 200);
  const again = await sbx(["plan", "--detailed-exitcode"], { cwd: repo, home, timeoutMs: 60_000 });
  assert.is(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, "here, already running there");
  fs.writeFileSync(path.join(repo, "profiles", "routed.toml"), `id = "routed"\nversion = 2\n\n[route]\n${candidate("elsewhere", "ssh://dev@elsewhere")}`);
  const moved = await sbx(["plan"], { cwd: repo, home, timeoutMs: 60_000 });
  assert.is(moved.code, 1, moved.stdout);
  assert.match(moved.stderr, "error: The sandbox runs at local; the configuration now places it at one of elsewhere (route of profile routed)");
  assert.match(moved.stderr, "Run `sbx destroy`");
  const down = await sbx(["destroy", "--auto-approve"], { cwd: repo, home, timeoutMs: 60_000 });
  assert.is(down.code, 0, down.stderr);
});

test.run();
