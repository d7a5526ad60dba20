// Snapshots against the real Docker engine and real git worktrees: a compose sandbox with a
// named volume holding data and an uncommitted change is snapshotted, destroyed and
// restored into a new worktree, with the data and the change back; a corrupt snapshot is
// refused. Skips loudly without Docker unless SBX_REQUIRE_DOCKER=1.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { dockerAvailable, removeComposeProjects } from "../helpers/docker.js";
import { freePortBase } from "../helpers/ports.js";
import { httpGet, makeRepo, newHome, readRegistry, sbx, tmpdir } from "../helpers/sbx.js";

const HAVE_DOCKER = dockerAvailable();
if (!HAVE_DOCKER) {
  if (process.env.SBX_REQUIRE_DOCKER === "1") throw new Error("SBX_REQUIRE_DOCKER=1 but Docker or the sbx-busybox:test image is unavailable");
  console.warn("\n!!! SKIPPING snapshot integration tests: no Docker engine or sbx-busybox:test image (run .ci/run) !!!\n");
}

const docker = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8" });
// The helper container that reads and writes volumes: the test image, no registry needed.
const ENV = { SBX_HELPER_IMAGE: "sbx-busybox:test" };

function project(name: string, base: number): Record<string, string> {
  return {
    "infra.toml": `[project]\nname = "${name}"\n\n[sandbox.ports]\nWEB_PORT = ${base}\n\n[sandbox.files]\n"conf/local.txt" = "conf/source.txt"\n\n[sandbox.health]\n[[sandbox.health.checks]]\ntype = "tcp"\nport_var = "WEB_PORT"\n\n[sandbox]\nttl = "2h"\n`,
    "docker-compose.yml": 'services:\n  web:\n    image: sbx-busybox:test\n    command: ["/bin/httpd", "-f", "-p", "80", "-h", "/data"]\n    ports:\n      - "${WEB_PORT:-8080}:80"\n    volumes:\n      - data:/data\nvolumes:\n  data: {}\n',
    "app.txt": "committed\n",
    "conf/source.txt": "provisioned\n",
    ".gitignore": "conf/local.txt\n",
  };
}

const containerOf = (compose: string) => docker("ps", "-q", "--filter", `label=com.docker.compose.project=${compose}`).trim();
const volumesOf = (compose: string) => docker("volume", "ls", "-q", "--filter", `label=com.docker.compose.project=${compose}`).split("\n").filter(Boolean);

if (HAVE_DOCKER) {
  // Whatever a failed test left on the engine (a passing one leaves nothing).
  test.after(() => {
    for (const prefix of [`snap${process.pid}-`, `snapbad${process.pid}-`]) removeComposeProjects(prefix);
  });

  test("snapshot → destroy → restore brings back a volume's data and the uncommitted changes, in a new worktree", async () => {
    const name = `snap${process.pid}`;
    const repo = makeRepo(project(name, await freePortBase(3)));
    const home = newHome();
    const a = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env: ENV, timeoutMs: 180_000 });
    assert.is(a.code, 0, a.stderr + a.stdout);
    const claim = Object.values(readRegistry(home).slots)[0]!;
    const compose = `${name}-slot-${claim.slot}`;
    docker("exec", containerOf(compose), "sh", "-c", "echo data-from-the-volume > /data/index.html && mkdir -p /data/sub && echo deep > /data/sub/file");
    fs.writeFileSync(path.join(repo, "app.txt"), "committed\nand an uncommitted change\n");
    fs.writeFileSync(path.join(repo, "notes.md"), "an untracked file\n");
    fs.writeFileSync(path.join(repo, "binary.bin"), Buffer.from([0, 1, 2, 255]));
    execFileSync("git", ["add", "binary.bin"], { cwd: repo });

    const snap = await sbx(["snapshot", "--name", "before-refactor", "--json"], { cwd: repo, home, env: ENV, timeoutMs: 120_000 });
    assert.is(snap.code, 0, snap.stderr + snap.stdout);
    const manifest = JSON.parse(snap.stdout) as { id: string; parts: { kind: string; name: string; file: string; sha256: string }[] };
    assert.equal(manifest.parts.map((p) => `${p.kind}:${p.name}`).sort(), ["diff:tracked changes", "file:conf/local.txt", "untracked:1 untracked files", "volume:data"]);
    const dir = path.join(home, "snapshots", manifest.id);
    for (const p of manifest.parts) assert.ok(fs.existsSync(path.join(dir, p.file)), p.file);
    assert.is(fs.statSync(path.join(dir, "volumes", "data.tar")).mode & 0o777, 0o600);
    assert.is((await httpGet(`http://127.0.0.1:${claim.ports.WEB_PORT}/`)).body, "data-from-the-volume\n", "the sandbox runs on after the snapshot");
    const list = await sbx(["snapshots", "list"], { cwd: repo, home });
    assert.match(list.stdout, new RegExp(`${manifest.id} +before-refactor`));
    const show = await sbx(["snapshots", "show", "before-refactor"], { cwd: repo, home });
    assert.is(show.code, 0, show.stderr);
    assert.match(show.stdout, "Integrity: every part matches its sha256");

    const down = await sbx(["destroy", "--auto-approve"], { cwd: repo, home, env: ENV, timeoutMs: 180_000 });
    assert.is(down.code, 0, down.stderr);
    assert.equal(volumesOf(compose), [], "the volume went with the sandbox");

    const into = path.join(tmpdir("sbx-restore-"), "restored");
    const r = await sbx(["restore", "before-refactor", "--into", into], { cwd: repo, home, env: ENV, timeoutMs: 240_000 });
    assert.is(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, `Restored snapshot ${manifest.id} into ${into}: worktree changes applied, 1 volume(s) restored.`);
    assert.is(fs.readFileSync(path.join(into, "app.txt"), "utf8"), "committed\nand an uncommitted change\n", "the uncommitted change is back");
    assert.is(fs.readFileSync(path.join(into, "notes.md"), "utf8"), "an untracked file\n");
    assert.equal([...fs.readFileSync(path.join(into, "binary.bin"))], [0, 1, 2, 255]);
    assert.is(fs.readFileSync(path.join(into, "conf", "local.txt"), "utf8"), "provisioned\n");
    assert.match(execFileSync("git", ["worktree", "list"], { cwd: repo, encoding: "utf8" }), into);
    const claim2 = Object.values(readRegistry(home).slots).find((c) => c.worktree === into)!;
    assert.ok(claim2, "the restored sandbox holds a slot");
    assert.is((await httpGet(`http://127.0.0.1:${claim2.ports.WEB_PORT}/`)).body, "data-from-the-volume\n", "the volume's data is back");
    const compose2 = `${name}-slot-${claim2.slot}`;
    assert.is(docker("exec", containerOf(compose2), "cat", "/data/sub/file"), "deep\n");
    const events = fs.readFileSync(path.join(home, "events.jsonl"), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as { event: string; snapshot?: string });
    assert.ok(events.some((e) => e.event === "snapshot" && e.snapshot === manifest.id));
    assert.ok(events.some((e) => e.event === "restored" && e.snapshot === manifest.id));
    const plan = await sbx(["plan", "--detailed-exitcode"], { cwd: into, home, env: ENV, timeoutMs: 120_000 });
    assert.is(plan.code, 0, plan.stdout + plan.stderr);
    const gone = await sbx(["destroy", "--auto-approve"], { cwd: into, home, env: ENV, timeoutMs: 180_000 });
    assert.is(gone.code, 0, gone.stderr);
    assert.equal(volumesOf(compose2), [], "destroy removes the restored volume too");
  });

  test("a corrupt snapshot is refused by show and restore with a clear error, and nothing is created", async () => {
    const name = `snapbad${process.pid}`;
    const repo = makeRepo(project(name, await freePortBase(3)));
    const home = newHome();
    const a = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env: ENV, timeoutMs: 180_000 });
    assert.is(a.code, 0, a.stderr + a.stdout);
    docker("exec", containerOf(`${name}-slot-${Object.values(readRegistry(home).slots)[0]!.slot}`), "sh", "-c", "echo x > /data/index.html");
    const snap = await sbx(["snapshot", "--json"], { cwd: repo, home, env: ENV, timeoutMs: 120_000 });
    assert.is(snap.code, 0, snap.stderr);
    const id = (JSON.parse(snap.stdout) as { id: string }).id;
    await sbx(["destroy", "--auto-approve"], { cwd: repo, home, env: ENV, timeoutMs: 180_000 });
    const tar = path.join(home, "snapshots", id, "volumes", "data.tar");
    const bytes = fs.readFileSync(tar);
    bytes[600] = bytes[600]! ^ 0xff;
    fs.writeFileSync(tar, bytes);
    const into = path.join(tmpdir("sbx-restore-"), "never");
    for (const args of [["snapshots", "show", id], ["restore", id, "--into", into]]) {
      const r = await sbx(args, { cwd: repo, home, env: ENV, timeoutMs: 60_000 });
      assert.is(r.code, 1, r.stdout);
      assert.match(r.stderr, "error: Unusable snapshot");
      assert.match(r.stderr, `Snapshot ${id} is corrupt: volumes/data.tar (volume data) does not match its recorded sha256`);
      assert.not.match(r.stderr, "    at ", "no stack trace");
    }
    assert.not.ok(fs.existsSync(into), "no worktree was made");
    fs.rmSync(path.join(home, "snapshots", id, "manifest.json"));
    const missing = await sbx(["restore", id], { cwd: repo, home, env: ENV });
    assert.is(missing.code, 1);
    assert.match(missing.stderr, "manifest.json is missing: the snapshot is corrupt");
    const unknown = await sbx(["restore", "no-such-snapshot"], { cwd: repo, home, env: ENV });
    assert.match(unknown.stderr, "No snapshot no-such-snapshot. See `sbx snapshots list`.");
  });
}

test.run();
