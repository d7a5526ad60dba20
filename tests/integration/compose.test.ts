// Compose backend against the real Docker engine (image sbx-busybox:test, built by
// .ci/run with `docker import`). Skips loudly without Docker unless SBX_REQUIRE_DOCKER=1.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { addWorktree, httpGet, makeRepo, newHome, readRegistry, sbx, walk } from "../helpers/sbx.js";
import { freePortBase } from "../helpers/ports.js";

function dockerReady(): boolean {
  try {
    execFileSync("docker", ["image", "inspect", "sbx-busybox:test"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const HAVE_DOCKER = dockerReady();
if (!HAVE_DOCKER) {
  if (process.env.SBX_REQUIRE_DOCKER === "1") throw new Error("SBX_REQUIRE_DOCKER=1 but Docker or the sbx-busybox:test image is unavailable");
  console.warn("\n!!! SKIPPING compose integration tests: no Docker engine or sbx-busybox:test image (run .ci/run) !!!\n");
}

const docker = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8" });
const CANARY = "compose-canary-5d1e";
// Unique per run: other checkouts may run this suite against the same engine at once.
const BYSTANDER = `sbx-bystander-${process.pid}`;

function project(name: string, base: number): Record<string, string> {
  return {
    "infra.toml": `[project]\nname = "${name}"\n\n[sandbox.ports]\nWEB_PORT = ${base}\n\n[sandbox.env]\nAPP_ENV = "sandbox"\n\n[sandbox.secrets]\nDB_PASSWORD = "$SBX_CANARY"\n\n[sandbox.health]\nendpoint = "/"\nport_var = "WEB_PORT"\ntimeout = 30\n`,
    "docker-compose.yml": 'services:\n  web:\n    image: sbx-busybox:test\n    command: ["/bin/httpd", "-f", "-p", "80", "-h", "/www"]\n    ports:\n      - "${WEB_PORT:-8080}:80"\n    volumes:\n      - data:/data\nvolumes:\n  data: {}\n',
  };
}

function owned(project: string, kind: "ps" | "volume" | "network"): string[] {
  const label = `label=com.docker.compose.project=${project}`;
  const args = kind === "ps" ? ["ps", "-aq", "--filter", label] : [kind, "ls", "-q", "--filter", label];
  return docker(...args).split("\n").filter(Boolean);
}

if (HAVE_DOCKER) {
  test("compose sandboxes in two worktrees run side by side; env and secrets reach the container; destroy is exact", async () => {
    const repo = makeRepo(project(`cmp${process.pid}`, await freePortBase(3)));
    const wt = addWorktree(repo, "other");
    const home = newHome();
    const env = { SBX_CANARY: CANARY };
    // A bystander project that destroy must never touch.
    docker("run", "-d", "--label", `com.docker.compose.project=${BYSTANDER}`, "--name", BYSTANDER, "sbx-busybox:test", "/bin/sleep", "300");
    try {
      const a = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env, timeoutMs: 180_000 });
      assert.is(a.code, 0, a.stderr + a.stdout);
      const b = await sbx(["apply", "--auto-approve"], { cwd: wt, home, env, timeoutMs: 180_000 });
      assert.is(b.code, 0, b.stderr + b.stdout);
      const claims = Object.values(readRegistry(home).slots);
      assert.is(new Set(claims.map((c) => c.slot)).size, 2);
      for (const c of claims) assert.is((await httpGet(`http://127.0.0.1:${c.ports.WEB_PORT}/`)).body, "ok\n");
      const slotA = claims.find((c) => c.worktree === repo)!.slot;
      const name = `cmp${process.pid}-slot-${slotA}`;
      const cid = owned(name, "ps")[0]!;
      const inspectEnv = docker("inspect", cid, "--format", "{{json .Config.Env}}");
      assert.match(inspectEnv, "APP_ENV=sandbox");
      assert.match(inspectEnv, `DB_PASSWORD=${CANARY}`);
      assert.match(docker("inspect", cid, "--format", "{{json .Config.Labels}}"), `"dev.sbx.slot":"${slotA}"`);
      const noop = await sbx(["plan", "--detailed-exitcode"], { cwd: repo, home, env });
      assert.is(noop.code, 0, noop.stdout + noop.stderr);
      docker("stop", "-t", "1", cid);
      const drift = await sbx(["plan"], { cwd: repo, home, env });
      assert.match(drift.stdout, "# compose.stack will be updated in-place");
      assert.match(drift.stdout, "is exited");
      const fix = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env, timeoutMs: 180_000 });
      assert.is(fix.code, 0, fix.stderr);
      const status = await sbx(["status"], { cwd: repo, home, env });
      const logs = await sbx(["logs", "web"], { cwd: repo, home, env });
      assert.is(logs.code, 0, logs.stderr);
      assert.match(status.stdout, "compose.stack");
      const outputs = [a, b, noop, drift, fix, status, logs].flatMap((r) => [r.stdout, r.stderr]).join("\n");
      assert.not.match(outputs, CANARY);
      for (const f of walk(home)) if (path.basename(f) !== ".env.secrets") assert.not.match(fs.readFileSync(f, "utf8"), CANARY, f);
      const down = await sbx(["destroy", "--auto-approve"], { cwd: repo, home, env, timeoutMs: 180_000 });
      assert.is(down.code, 0, down.stderr);
      for (const k of ["ps", "volume", "network"] as const) assert.equal(owned(name, k), [], `${k} of ${name} removed`);
      const other = claims.find((c) => c.worktree === wt)!;
      assert.is((await httpGet(`http://127.0.0.1:${other.ports.WEB_PORT}/`)).status, 200, "the other worktree still runs");
      assert.is(owned(BYSTANDER, "ps").length, 1, "another project is untouched");
      await sbx(["destroy", "--auto-approve"], { cwd: wt, home, env, timeoutMs: 180_000 });
    } finally {
      docker("rm", "-f", BYSTANDER);
    }
  });

  test("a compose file with a fixed host port or container_name fails at plan time with a located error", async () => {
    const files = project("bad", await freePortBase(3));
    files["docker-compose.yml"] = 'services:\n  web:\n    image: sbx-busybox:test\n    container_name: web\n    ports:\n      - "8080:80"\n      - "${OTHER_PORT:-9000}:90"\n';
    const repo = makeRepo(files);
    const home = newHome();
    const r = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env: { SBX_CANARY: CANARY } });
    assert.is(r.code, 1);
    assert.match(r.stderr, "docker-compose.yml:4:21: error: Fixed container name");
    assert.match(r.stderr, "docker-compose.yml:6:9: error: Fixed host port");
    assert.match(r.stderr, 'Write it as "${SOME_PORT:-8080}:80"');
    assert.match(r.stderr, "docker-compose.yml:7:9: error: Port variable `OTHER_PORT' is not declared");
    assert.equal(walk(home), []);
  });

  test("a stack of the same compose project name that this sandbox did not create (another SBX_HOME's, or hand-made) is refused, never adopted or removed", async () => {
    const name = `own${process.pid}`;
    const files = project(name, await freePortBase(3));
    const repo = makeRepo(files);
    const home = newHome();
    // Another user's stopped sandbox of the same project and slot (slot 1 in a fresh SBX_HOME).
    const foreign = `${name}-slot-1_web_other`;
    docker("create", "--name", foreign, "--label", `com.docker.compose.project=${name}-slot-1`, "--label", "com.docker.compose.service=web", "--label", "dev.sbx.instance=someone-else-1234", "sbx-busybox:test", "/bin/sleep", "600");
    try {
      const r = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env: { SBX_CANARY: CANARY }, timeoutMs: 180_000 });
      assert.is(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, `Compose project ${name}-slot-1 already has containers this sandbox did not create: ${foreign} (sandbox someone-else-1234)`);
      assert.equal(docker("ps", "-a", "--filter", `name=^${foreign}$`, "--format", "{{.Names}} {{.Label \"dev.sbx.instance\"}}").trim(), `${foreign} someone-else-1234`, "left exactly as it was");
      const down = await sbx(["destroy", "--auto-approve"], { cwd: repo, home, timeoutMs: 180_000 });
      assert.is(down.code, 0, down.stdout + down.stderr);
      assert.equal(owned(`${name}-slot-1`, "ps").length, 1, "destroy did not take the other stack's container either");
    } finally {
      docker("rm", "-f", foreign);
      for (const id of owned(`${name}-slot-1`, "ps")) docker("rm", "-f", id);
      for (const v of owned(`${name}-slot-1`, "volume")) docker("volume", "rm", "-f", v);
    }
  });
}

test.run();
