// Swarm backend against the real Docker engine in swarm mode (one node, 127.0.0.1), with
// the sbx-busybox:test image built by .ci/run (`docker import`). The test joins a swarm only
// when the engine is in none, and then leaves it. Skips loudly without Docker unless
// SBX_REQUIRE_DOCKER=1. Every wait has a deadline; everything the test made is removed in
// `finally`, found by the test's own project label.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { dockerAvailable } from "../helpers/docker.js";
import { freePortBase } from "../helpers/ports.js";
import { addWorktree, httpGet, makeRepo, newHome, readRegistry, sbx, tmpdir, walk } from "../helpers/sbx.js";
import { joinSwarm, leaveSwarm, type SwarmLease } from "../helpers/swarm.js";

const HAVE_DOCKER = dockerAvailable();
if (!HAVE_DOCKER) {
  if (process.env.SBX_REQUIRE_DOCKER === "1") throw new Error("SBX_REQUIRE_DOCKER=1 but Docker or the sbx-busybox:test image is unavailable");
  console.warn("\n!!! SKIPPING swarm integration tests: no Docker engine or sbx-busybox:test image (run .ci/run) !!!\n");
}

const docker = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 });
const lines = (...args: string[]) => docker(...args).split("\n").filter(Boolean);
const CANARY = "swarm-canary-7c2e41";
const ROTATED = "swarm-canary-rotated-90ab";
const suffix = () => Math.random().toString(36).slice(2, 7);

/** The seed's shape: a web service, a [sandbox.secrets] reference, a [sandbox.files] file it serves, a config and a volume. */
function seedProject(name: string, base: number): Record<string, string> {
  return {
    "infra.toml": `[project]
name = "${name}"

[sandbox]
backend = "swarm"

[sandbox.ports]
WEB_PORT = ${base}

[sandbox.env]
APP_ENV = "sandbox"

[sandbox.secrets]
APP_SECRET = "$SBX_SWARM_CANARY"

[sandbox.files]
"www/index.html" = "site.html"

[sandbox.health]
endpoint = "/"
port_var = "WEB_PORT"
timeout = 60
`,
    "docker-compose.yml": `services:
  web:
    image: sbx-busybox:test
    command: ["/bin/httpd", "-f", "-p", "80", "-h", "/www"]
    stop_grace_period: 1s
    ports:
      - "\${WEB_PORT:-8080}:80"
    environment:
      GREETING: "hello from \${APP_ENV:-dev}, $$HOME stays literal"
    volumes:
      - ./www/index.html:/www/index.html:ro
      - data:/data
    configs:
      - source: motd
        target: /etc/motd
configs:
  motd:
    file: ./motd.txt
volumes:
  data: {}
`,
    "motd.txt": "welcome to the stack\n",
    "site.html": "provisioned by sbx\n",
    ".gitignore": "www/\n",
  };
}

/** Objects of a kind carrying a label. */
const labelled = (kind: "service" | "secret" | "config" | "network" | "volume", label: string) => lines(kind, "ls", "-q", "--filter", `label=${label}`);

async function removeLabelled(label: string): Promise<void> {
  const services = labelled("service", label);
  if (services.length) docker("service", "rm", ...services);
  const end = Date.now() + 30_000;
  while (lines("ps", "-aq", "--filter", `label=${label}`).length && Date.now() < end) await new Promise((r) => setTimeout(r, 500));
  const left = lines("ps", "-aq", "--filter", `label=${label}`);
  if (left.length) docker("rm", "-f", ...left);
  for (const kind of ["secret", "config", "network", "volume"] as const) for (const id of labelled(kind, label)) docker(kind, "rm", id);
}

if (HAVE_DOCKER) {
  test("a seed-style compose project runs as one Swarm stack per worktree: host-mode port, secret as a file, drift as replicas, rotation, exact destroy beside a bystander stack", async () => {
    let lease: SwarmLease | undefined;
    const name = `swm${suffix()}`;
    const bystander = `sbx-bystander-${suffix()}`;
    const home = newHome();
    try {
      lease = joinSwarm();
      const base = await freePortBase(4);
      const repo = makeRepo(seedProject(name, base));
      const wt = addWorktree(repo, "other");
      const env = { SBX_SWARM_CANARY: CANARY };
      // A bystander stack, deployed by hand, carrying the same project label: destroy must not touch it.
      const bdir = tmpdir("sbx-bystander-");
      fs.writeFileSync(
        path.join(bdir, "stack.yml"),
        `services:\n  idle:\n    image: sbx-busybox:test\n    command: ["/bin/sleep", "600"]\n    stop_grace_period: 1s\n    deploy:\n      labels: { dev.sbx.project: "${name}" }\n    volumes: [keep:/keep]\nvolumes:\n  keep: {}\n`,
      );
      docker("stack", "deploy", "--resolve-image", "never", "-c", path.join(bdir, "stack.yml"), bystander);

      const a = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env, timeoutMs: 180_000 });
      assert.is(a.code, 0, a.stderr + a.stdout);
      assert.match(a.stdout, "docker stack deploy");
      const b = await sbx(["apply", "--auto-approve"], { cwd: wt, home, env, timeoutMs: 180_000 });
      assert.is(b.code, 0, b.stderr + b.stdout);

      // Two worktrees, two stacks, two ports; each answers in host mode on 127.0.0.1 with the provisioned file.
      const claims = Object.values(readRegistry(home).slots);
      assert.is(new Set(claims.map((c) => c.ports.WEB_PORT)).size, 2);
      for (const c of claims) assert.is((await httpGet(`http://127.0.0.1:${c.ports.WEB_PORT}/`)).body, "provisioned by sbx\n");
      const mine = claims.find((c) => c.worktree === repo)!;
      const other = claims.find((c) => c.worktree === wt)!;
      const stack = `${name}-slot-${mine.slot}`;
      const otherStack = `${name}-slot-${other.slot}`;
      assert.equal(
        lines("stack", "ls", "--format", "{{.Name}}").filter((s) => s.startsWith(`${name}-`)).sort(),
        [stack, otherStack].sort(),
      );
      const ports = docker("service", "inspect", `${stack}_web`, "--format", "{{json .Endpoint.Ports}}");
      assert.match(ports, `"PublishedPort":${mine.ports.WEB_PORT}`);
      assert.match(ports, '"PublishMode":"host"');

      // The plan said why host mode.
      assert.match(a.stdout, "ports published in host mode on the node that runs each task; the ingress routing mesh is not used");

      // The secret is a file under /run/secrets, never in the service's spec.
      const inspect = docker("service", "inspect", `${stack}_web`);
      assert.not.match(inspect, CANARY);
      assert.match(inspect, "APP_SECRET_FILE=/run/secrets/APP_SECRET");
      assert.match(inspect, "APP_ENV=sandbox");
      assert.match(inspect, "GREETING=hello from sandbox, $HOME stays literal");
      const cid = lines("ps", "-q", "--filter", `label=com.docker.swarm.service.name=${stack}_web`)[0]!;
      assert.is(docker("exec", cid, "cat", "/run/secrets/APP_SECRET"), CANARY);
      assert.is(docker("exec", cid, "cat", "/etc/motd"), "welcome to the stack\n");
      assert.ok(labelled("volume", `dev.sbx.instance=${mine.instance}`).length === 1, "the stack's volume carries the owner label");
      assert.ok(labelled("config", `dev.sbx.instance=${mine.instance}`).length === 1, "the stack's config carries the owner label");
      assert.ok(labelled("network", `dev.sbx.instance=${mine.instance}`).length === 1, "the stack's network carries the owner label");

      const noop = await sbx(["plan", "--detailed-exitcode"], { cwd: repo, home, env });
      assert.is(noop.code, 0, noop.stdout + noop.stderr);

      // Scaled to 0 behind sbx's back: the plan shows it as values, apply repairs it.
      docker("service", "scale", "-d", `${stack}_web=0`);
      const drift = await sbx(["plan", "--detailed-exitcode"], { cwd: repo, home, env });
      assert.is(drift.code, 2, drift.stdout + drift.stderr);
      assert.match(drift.stdout, "# swarm.stack will be updated in-place");
      assert.match(drift.stdout, "(drift: service web scaled to 0 outside sbx)");
      assert.match(drift.stdout, /~ "web" = 0 -> 1/);
      assert.match(drift.stdout, "host mode");
      const status = await sbx(["status"], { cwd: repo, home, env });
      assert.match(status.stdout, /swarm\.stack\s+drifted/);
      const fix = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env, timeoutMs: 180_000 });
      assert.is(fix.code, 0, fix.stderr + fix.stdout);
      assert.is(docker("service", "inspect", `${stack}_web`, "--format", "{{.Spec.Mode.Replicated.Replicas}}").trim(), "1");
      assert.is((await httpGet(`http://127.0.0.1:${mine.ports.WEB_PORT}/`)).status, 200);

      // A rotated value: a new Swarm secret version, the service moved to it, the old version gone.
      const before = labelled("secret", `dev.sbx.instance=${other.instance}`);
      const rot = await sbx(["apply", "--auto-approve"], { cwd: wt, home, env: { SBX_SWARM_CANARY: ROTATED }, timeoutMs: 180_000 });
      assert.is(rot.code, 0, rot.stderr + rot.stdout);
      assert.match(rot.stdout, "secret value changed: APP_SECRET");
      const after = labelled("secret", `dev.sbx.instance=${other.instance}`);
      assert.is(after.length, 1);
      assert.not.equal(after, before);
      const ocid = lines("ps", "-q", "--filter", `label=com.docker.swarm.service.name=${otherStack}_web`)[0]!;
      assert.is(docker("exec", ocid, "cat", "/run/secrets/APP_SECRET"), ROTATED);

      // No value in any output, state file, generated file or log (the 0600 secrets file aside).
      const outputs = [a, b, noop, drift, status, fix, rot].flatMap((r) => [r.stdout, r.stderr]).join("\n");
      for (const v of [CANARY, ROTATED]) {
        assert.not.match(outputs, v);
        for (const f of walk(home)) if (path.basename(f) !== ".env.secrets") assert.not.match(fs.readFileSync(f, "utf8"), v, f);
        assert.not.match(docker("service", "inspect", `${otherStack}_web`), v);
      }

      // Destroy removes this sandbox's stack and everything labelled for it, nothing else.
      const down = await sbx(["destroy", "--auto-approve"], { cwd: repo, home, env, timeoutMs: 180_000 });
      assert.is(down.code, 0, down.stderr + down.stdout);
      for (const kind of ["service", "secret", "config", "network", "volume"] as const) {
        assert.equal(labelled(kind, `dev.sbx.instance=${mine.instance}`), [], `${kind}s of ${stack} removed`);
        assert.equal(labelled(kind, `com.docker.stack.namespace=${stack}`), [], `${kind}s in namespace ${stack} removed`);
      }
      assert.is((await httpGet(`http://127.0.0.1:${other.ports.WEB_PORT}/`)).status, 200, "the other worktree still runs");
      assert.equal(lines("service", "ls", "--format", "{{.Name}}", "--filter", `label=com.docker.stack.namespace=${bystander}`), [`${bystander}_idle`], "the bystander stack is untouched");
      assert.is(labelled("volume", `com.docker.stack.namespace=${bystander}`).length, 1, "the bystander's volume is untouched");

      // State lost: destroy still finds the other stack by its owner label, and removes it all.
      for (const f of ["state.json", "journal.jsonl"]) fs.rmSync(path.join(home, "instances", other.instance, f), { force: true });
      const down2 = await sbx(["destroy", "--auto-approve"], { cwd: wt, home, env: { SBX_SWARM_CANARY: ROTATED }, timeoutMs: 180_000 });
      assert.is(down2.code, 0, down2.stderr + down2.stdout);
      assert.match(down2.stdout, "# swarm.stack will be destroyed (found by owner label, not in state)");
      for (const kind of ["service", "secret", "config", "network", "volume"] as const) assert.equal(labelled(kind, `dev.sbx.instance=${other.instance}`), [], `${kind}s of ${otherStack} removed`);
      assert.equal(lines("service", "ls", "--format", "{{.Name}}", "--filter", `label=dev.sbx.project=${name}`), [`${bystander}_idle`], "only the bystander carries the project label now");
    } finally {
      // Whatever a failure left: the test's own stacks (by project label) and the bystander.
      await removeLabelled(`dev.sbx.project=${name}`);
      await removeLabelled(`com.docker.stack.namespace=${bystander}`);
      fs.rmSync(home, { recursive: true, force: true });
      if (lease) await leaveSwarm(lease);
    }
  });
}

test("what Swarm cannot do is a located error or warning at plan time, before anything runs", async () => {
  const files = seedProject(`swbad${suffix()}`, 29500);
  files["docker-compose.yml"] = `version: "2.4"
services:
  web:
    build: .
    container_name: web
    ports:
      - "\${WEB_PORT:-8080}:80"
    environment:
      APP_SECRET: "\${APP_SECRET}"
      WHO: "\${NOT_DECLARED}"
    depends_on:
      db:
        condition: service_healthy
  db:
    image: sbx-busybox:test
    restart: always
`;
  const repo = makeRepo(files);
  const home = newHome();
  try {
    const r = await sbx(["plan"], { cwd: repo, home, env: { SBX_SWARM_CANARY: CANARY } });
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, "docker-compose.yml:1:10: error: Compose file version 2.4 cannot be deployed to Swarm");
    assert.match(r.stderr, "docker-compose.yml:4:12: error: Swarm cannot build images");
    assert.match(r.stderr, "docker-compose.yml:5:21: error: Fixed container name");
    assert.match(r.stderr, "docker-compose.yml:9:19: error: Secret `APP_SECRET' would be visible in `docker service inspect'");
    assert.match(r.stderr, "/run/secrets/APP_SECRET");
    assert.match(r.stderr, "docker-compose.yml:10:12: warning: Variable `NOT_DECLARED' is not set");
    assert.match(r.stderr, "docker-compose.yml:12:7: warning: depends_on conditions are ignored on Swarm");
    assert.match(r.stderr, "docker-compose.yml:16:14: warning: restart: is ignored on Swarm");
    assert.not.match(r.stderr, /\n\s+at /, "no stack trace");
    assert.not.match(r.stdout + r.stderr, CANARY);
    assert.equal(walk(home).filter((f) => !f.endsWith("/key")), []);
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test.run();
