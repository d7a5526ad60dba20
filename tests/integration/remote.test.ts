// Placement on another host, for real: an sshd on 127.0.0.1 with a generated key, in front
// of this machine's Docker engine, is "the remote". The remote root is a directory this
// test never creates: everything under it got there through ssh. Skips loudly without
// Docker or sshd unless SBX_REQUIRE_DOCKER=1 / SBX_REQUIRE_SSHD=1.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { dockerAvailable, removeComposeProjects } from "../helpers/docker.js";
import { freePortBase } from "../helpers/ports.js";
import { httpGet, makeRepo, newHome, readRegistry, sbx, tmpdir, walk } from "../helpers/sbx.js";
import { sshdAvailable, startSshd, type Sshd } from "../helpers/sshd.js";

const noSshd = sshdAvailable();
const HAVE_DOCKER = dockerAvailable();
if (noSshd && process.env.SBX_REQUIRE_SSHD === "1") throw new Error(`SBX_REQUIRE_SSHD=1 but ${noSshd}`);
if (!HAVE_DOCKER && process.env.SBX_REQUIRE_DOCKER === "1") throw new Error("SBX_REQUIRE_DOCKER=1 but Docker or the sbx-busybox:test image is unavailable");
if (noSshd || !HAVE_DOCKER) console.warn(`\n!!! SKIPPING remote placement tests: ${noSshd ?? "no Docker engine or sbx-busybox:test image (run .ci/run)"} !!!\n`);

const docker = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8" });
const CANARY = `remote-canary-${process.pid}-7c2e`;
let sshd: Sshd | undefined;

/** A compose project placed by its profile on the loopback sshd, with a named volume, a bind mount of the worktree, a provisioned file and a secret. */
function project(name: string, base: number, placement: string, remoteRoot: string): Record<string, string> {
  return {
    "infra.toml": `profile = "remote"\n\n[project]\nname = "${name}"\n\n[sandbox]\nremote_root = "${remoteRoot}"\n\n[sandbox.ports]\nWEB_PORT = ${base}\n\n[sandbox.files]\n"conf/local.txt" = "conf/source.txt"\n\n[sandbox.secrets]\nDB_PASSWORD = "$SBX_CANARY"\n\n[sandbox.health]\nendpoint = "/"\nport_var = "WEB_PORT"\ntimeout = 60\n`,
    "profiles/remote.toml": `id = "remote"\nversion = 1\nplacement = "${placement}"\n`,
    "docker-compose.yml": 'services:\n  web:\n    image: sbx-busybox:test\n    command: ["/bin/httpd", "-f", "-p", "80", "-h", "/www"]\n    ports:\n      - "${WEB_PORT:-8080}:80"\n    volumes:\n      - data:/data\n      - ./www:/www\nvolumes:\n  data: {}\n',
    "www/index.html": "shipped over ssh\n",
    "conf/source.txt": "provisioned\n",
  };
}

function owned(compose: string, kind: "ps" | "volume" | "network"): string[] {
  const label = `label=com.docker.compose.project=${compose}`;
  const args = kind === "ps" ? ["ps", "-aq", "--filter", label] : [kind, "ls", "-q", "--filter", label];
  return docker(...args).split("\n").filter(Boolean);
}

if (!noSshd && HAVE_DOCKER) {
  test.before(async () => {
    sshd = await startSshd();
  });
  test.after(async () => {
    await sshd?.stop();
    // Whatever a failed test left on the engine (a passing one leaves nothing).
    for (const prefix of [`rem${process.pid}-`, `foreign${process.pid}-`]) removeComposeProjects(prefix);
  });

  test("a compose sandbox placed on ssh://: files shipped under the remote root, healthy, status and logs, drift, snapshot, destroyed from state with nothing left there, restored there", async () => {
    const remoteRoot = path.join(tmpdir("sbx-remote-"), "not-created-by-the-test", "root");
    const name = `rem${process.pid}`;
    const repo = makeRepo(project(name, await freePortBase(3), sshd!.url, remoteRoot));
    const home = newHome();
    const env = { SBX_CANARY: CANARY, SBX_SSH_COMMAND: sshd!.sshCommand, SBX_HELPER_IMAGE: "sbx-busybox:test" };
    const plan = await sbx(["plan"], { cwd: repo, home, env, timeoutMs: 120_000 });
    assert.is(plan.code, 0, plan.stderr + plan.stdout);
    assert.match(plan.stdout, `Placement: ${sshd!.url}`);
    assert.match(plan.stdout, "# sync.worktree will be created");
    assert.not.ok(fs.existsSync(remoteRoot), "plan changes nothing on the remote");

    const a = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env, timeoutMs: 240_000 });
    assert.is(a.code, 0, a.stderr + a.stdout);
    const claim = Object.values(readRegistry(path.join(home, "hosts", `${sshd!.user}@127.0.0.1_${sshd!.port}`)).slots)[0]!;
    assert.ok(claim, "the claim is in the remote host's registry");
    assert.equal(readRegistry(home).slots, {}, "and not in this machine's");
    const inst = fs.readdirSync(remoteRoot);
    assert.is(inst.length, 1);
    const dir = path.join(remoteRoot, inst[0]!);
    assert.is(fs.readFileSync(path.join(dir, "worktree", "www", "index.html"), "utf8"), "shipped over ssh\n");
    assert.is(fs.readFileSync(path.join(dir, "worktree", "conf", "local.txt"), "utf8"), "provisioned\n", "the provisioned file lands on the remote");
    assert.not.ok(fs.existsSync(path.join(repo, "conf", "local.txt")), "...not in the local worktree");
    assert.is(fs.statSync(path.join(dir, "state", ".env.secrets")).mode & 0o777, 0o600);
    for (const f of ["docker-compose.override.yml", "docker-compose.yml", ".env.sandbox"]) assert.ok(fs.existsSync(path.join(dir, "state", f)), f);
    const compose = `${name}-slot-${claim.slot}`;
    const cid = owned(compose, "ps")[0]!;
    const mounts = JSON.parse(docker("inspect", cid, "--format", "{{json .Mounts}}")) as { Type: string; Source: string; Destination: string }[];
    assert.is(mounts.find((m) => m.Destination === "/www")?.Source, path.join(dir, "worktree", "www"), "the bind mount names the remote worktree");
    assert.match(docker("inspect", cid, "--format", "{{json .Config.Env}}"), `DB_PASSWORD=${CANARY}`);
    assert.is((await httpGet(`http://127.0.0.1:${claim.ports.WEB_PORT}/`)).body, "shipped over ssh\n");

    const noop = await sbx(["plan", "--detailed-exitcode"], { cwd: repo, home, env, timeoutMs: 120_000 });
    assert.is(noop.code, 0, noop.stdout + noop.stderr);
    const status = await sbx(["status"], { cwd: repo, home, env, timeoutMs: 60_000 });
    assert.match(status.stdout, `Placement: ${sshd!.url}`);
    assert.match(status.stdout, new RegExp(`\\bweb\\s+running\\s+http://127\\.0\\.0\\.1:${claim.ports.WEB_PORT}\\b`), status.stdout);
    const logs = await sbx(["logs", "web"], { cwd: repo, home, env, timeoutMs: 60_000 });
    assert.is(logs.code, 0, logs.stderr);
    fs.writeFileSync(path.join(dir, "worktree", "www", "index.html"), "edited on the remote\n");
    const drift = await sbx(["plan"], { cwd: repo, home, env, timeoutMs: 120_000 });
    assert.match(drift.stdout, "# sync.worktree will be updated in-place");
    assert.match(drift.stdout, "changed since sbx shipped them");
    fs.writeFileSync(path.join(repo, "www", "index.html"), "changed here\n");
    const fix = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env, timeoutMs: 240_000 });
    assert.is(fix.code, 0, fix.stderr + fix.stdout);
    assert.is((await httpGet(`http://127.0.0.1:${claim.ports.WEB_PORT}/`)).body, "changed here\n", "the change was shipped");

    const outputs = [plan, a, noop, status, logs, drift, fix].flatMap((r) => [r.stdout, r.stderr]).join("\n");
    assert.not.match(outputs, CANARY);
    for (const f of walk(home)) if (fs.statSync(f).isFile()) assert.not.match(fs.readFileSync(f, "latin1"), CANARY, f);

    // A snapshot of the remote sandbox: its volume is read on the remote engine, over ssh.
    execFileSync("docker", ["exec", cid, "sh", "-c", "echo kept-in-the-volume > /data/v.txt"]);
    const snap = await sbx(["snapshot", "--name", "remote-snap"], { cwd: repo, home, env, timeoutMs: 120_000 });
    assert.is(snap.code, 0, snap.stderr + snap.stdout);
    assert.match(snap.stdout, /volume +data /);
    assert.match(snap.stdout, /file +conf\/local\.txt /);

    // Destroy from state alone: the configuration no longer loads.
    const infra = fs.readFileSync(path.join(repo, "infra.toml"), "utf8");
    fs.writeFileSync(path.join(repo, "infra.toml"), "[project\n");
    const down = await sbx(["destroy", "--auto-approve"], { cwd: repo, home, env, timeoutMs: 240_000 });
    assert.is(down.code, 0, down.stderr + down.stdout);
    assert.match(down.stderr, "destroying from state alone");
    for (const k of ["ps", "volume", "network"] as const) assert.equal(owned(compose, k), [], `${k} of ${compose} removed`);
    assert.equal(fs.readdirSync(remoteRoot), [], "nothing left under the remote root");
    assert.equal(Object.values(readRegistry(path.join(home, "hosts", `${sshd!.user}@127.0.0.1_${sshd!.port}`)).slots), []);

    // Restore: a new worktree whose sandbox goes to the same host, with the volume's data.
    fs.writeFileSync(path.join(repo, "infra.toml"), infra);
    const into = path.join(tmpdir("sbx-restore-"), "wt");
    const r = await sbx(["restore", "remote-snap", "--into", into], { cwd: repo, home, env: { ...env, SBX_HELPER_IMAGE: "sbx-busybox:test" }, timeoutMs: 240_000 });
    assert.is(r.code, 0, r.stderr + r.stdout);
    const claim2 = Object.values(readRegistry(path.join(home, "hosts", `${sshd!.user}@127.0.0.1_${sshd!.port}`)).slots)[0]!;
    assert.is((await httpGet(`http://127.0.0.1:${claim2.ports.WEB_PORT}/`)).status, 200);
    assert.is(docker("exec", owned(`${name}-slot-${claim2.slot}`, "ps")[0]!, "cat", "/data/v.txt"), "kept-in-the-volume\n", "the volume's data is back");
    assert.is(fs.readFileSync(path.join(into, "www", "index.html"), "utf8"), "changed here\n", "the uncommitted change is back");
    assert.is(fs.readdirSync(remoteRoot).length, 1);
    const gone = await sbx(["destroy", "--auto-approve"], { cwd: into, home, env, timeoutMs: 240_000 });
    assert.is(gone.code, 0, gone.stderr + gone.stdout);
    assert.equal(fs.readdirSync(remoteRoot), [], "nothing left under the remote root");
    assert.equal(owned(`${name}-slot-${claim2.slot}`, "volume"), []);
  });

  test("a directory under the remote root that sbx did not create is never written into or removed", async () => {
    const remoteRoot = path.join(tmpdir("sbx-remote-"), "root");
    const name = `foreign${process.pid}`;
    const repo = makeRepo(project(name, await freePortBase(3), sshd!.url, remoteRoot));
    const home = newHome();
    const env = { SBX_CANARY: CANARY, SBX_SSH_COMMAND: sshd!.sshCommand };
    const plan = await sbx(["plan", "--json"], { cwd: repo, home, env, timeoutMs: 120_000 });
    const id = (JSON.parse(plan.stdout) as { instance: { id: string } }).instance.id;
    fs.mkdirSync(path.join(remoteRoot, id), { recursive: true });
    fs.writeFileSync(path.join(remoteRoot, id, "someone-elses.txt"), "keep\n");
    const a = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env, timeoutMs: 240_000 });
    assert.is(a.code, 1);
    assert.match(a.stderr, "was not created by this sandbox");
    assert.not.match(a.stderr, "    at ", "no stack trace");
    const down = await sbx(["destroy", "--auto-approve"], { cwd: repo, home, env, timeoutMs: 240_000 });
    assert.is(down.code, 0, down.stderr + down.stdout);
    assert.equal(fs.readdirSync(path.join(remoteRoot, id)), ["someone-elses.txt"]);
  });
}

test("the process backend cannot be placed on another host: a located error at plan time and in validate", async () => {
  const repo = makeRepo({
    "infra.toml": `profile = "far"\n\n[project]\nname = "proc"\n\n[sandbox]\nbackend = "process"\n\n[sandbox.ports]\nAPI_PORT = ${await freePortBase(2)}\n\n[services.api]\ncommand = "true"\nport = "API_PORT"\n`,
    "profiles/far.toml": 'id = "far"\nversion = 1\nplacement = "ssh://dev@build-box:2222"\n',
  });
  const home = newHome();
  for (const cmd of [["plan"], ["validate"]]) {
    const r = await sbx(cmd, { cwd: repo, home });
    assert.is(r.code, 1, r.stdout);
    assert.match(r.stderr, "profiles/far.toml:3:13: error: Placement ssh:// does not fit the process backend");
    assert.match(r.stderr, 'Set backend = "compose"');
  }
  assert.equal(walk(home).filter((f) => !f.endsWith("home-id")), []);
});

test.run();
