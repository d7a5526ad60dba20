// Compose sandboxes keep their data, against the real Docker engine: a failing apply of a
// running stack (missing image, missing external network) leaves containers, volumes and
// networks as they were; a stack whose containers were removed by hand is recreated
// without losing its volume; a failed first start removes only what it created; volumes
// go only with `sbx destroy`, whose plan names them; gc and destroy after state loss leave
// nothing. Skips loudly without Docker, fails when SBX_REQUIRE_DOCKER=1.

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { dockerAvailable } from "../helpers/docker.js";
import { freePortBase } from "../helpers/ports.js";
import { addWorktree, git, httpGet, makeRepo, newHome, portOpen, readRegistry, sbx, walk } from "../helpers/sbx.js";

const HAVE_DOCKER = dockerAvailable();
if (!HAVE_DOCKER) {
  if (process.env.SBX_REQUIRE_DOCKER === "1") throw new Error("SBX_REQUIRE_DOCKER=1 but Docker or the sbx-busybox:test image is unavailable");
  console.warn("\n!!! SKIPPING compose data tests: no Docker engine or sbx-busybox:test image (run .ci/run) !!!\n");
}

const docker = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8", timeout: 60_000 }).trim();
const lines = (s: string) => s.split("\n").filter(Boolean);

/** A project name no other run on this Docker engine uses. */
const unique = (prefix: string) => `${prefix}${randomBytes(3).toString("hex")}`;

const COMPOSE = `services:
  web:
    image: sbx-busybox:test
    command: ["/bin/sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec /bin/httpd -f -p 80 -h /www"]
    ports:
      - "\${WEB_PORT:-8080}:80"
    volumes:
      - data:/data
volumes:
  data: {}
`;

async function composeRepo(name: string, extra = ""): Promise<{ repo: string; base: number }> {
  const base = await freePortBase(6);
  const infra = `[project]\nname = "${name}"\n\n[sandbox.ports]\nWEB_PORT = ${base}\n\n[sandbox.health]\nendpoint = "/"\nport_var = "WEB_PORT"\ntimeout = 30\n${extra}`;
  return { repo: makeRepo({ "infra.toml": infra, "docker-compose.yml": COMPOSE }), base };
}

const containersOf = (project: string) => lines(docker("ps", "-aq", "--no-trunc", "--filter", `label=com.docker.compose.project=${project}`));
const runningOf = (project: string) => lines(docker("ps", "-q", "--no-trunc", "--filter", `label=com.docker.compose.project=${project}`));
const volumesOf = (project: string) => lines(docker("volume", "ls", "-q", "--filter", `label=com.docker.compose.project=${project}`));
const networksOf = (project: string) => lines(docker("network", "ls", "-q", "--filter", `label=com.docker.compose.project=${project}`));
const readData = (volume: string) => docker("run", "--rm", "-v", `${volume}:/data`, "sbx-busybox:test", "/bin/cat", "/data/precious");

/** Remove everything of a test project, whatever state the test left it in. */
function cleanup(name: string): void {
  const ids = lines(docker("ps", "-aq", "--filter", `label=dev.sbx.project=${name}`));
  if (ids.length) docker("rm", "-f", ...ids);
  for (const kind of ["volume", "network"]) {
    const found = lines(docker(kind, "ls", "-q", "--filter", `name=${name}-slot-`));
    if (found.length) execFileSync("docker", [kind, "rm", ...found], { stdio: "ignore", timeout: 60_000 });
  }
}

async function apply(cwd: string, home: string, code = 0) {
  const r = await sbx(["apply", "--auto-approve"], { cwd, home, timeoutMs: 180_000 });
  assert.is(r.code, code, `apply exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

if (HAVE_DOCKER) {
  test("a failing apply of a running stack (missing image, missing external network) keeps its containers, volume and data; the next good apply converges", async () => {
    const name = unique("cdf");
    const { repo } = await composeRepo(name);
    const home = newHome();
    const composeFile = path.join(repo, "docker-compose.yml");
    const toml = path.join(repo, "infra.toml");
    try {
      await apply(repo, home);
      const claim = Object.values(readRegistry(home).slots)[0]!;
      const project = `${name}-slot-${claim.slot}`;
      const url = `http://127.0.0.1:${claim.ports.WEB_PORT}/`;
      const [cid] = runningOf(project);
      assert.ok(cid, "the stack runs");
      docker("exec", cid!, "/bin/sh", "-c", "echo 'user data 42' > /data/precious");
      const volume = `${project}_data`;
      const networks = networksOf(project);
      const unchanged = () => {
        assert.equal(runningOf(project), [cid], "the same container still runs");
        assert.equal(volumesOf(project), [volume]);
        assert.equal(networksOf(project), networks);
        assert.is(readData(volume), "user data 42");
      };

      // 1. An image that does not exist.
      fs.writeFileSync(composeFile, COMPOSE.replace("image: sbx-busybox:test", `image: sbx-no-such-image-${name}:nope`));
      const badImage = await apply(repo, home, 1);
      assert.match(badImage.stderr, "the running stack was left as it was");
      unchanged();
      assert.is((await httpGet(url)).body, "ok\n", "and still serves");

      // 2. A missing external network (the OTEL network sbx adds).
      fs.writeFileSync(composeFile, COMPOSE);
      fs.appendFileSync(toml, `\n[sandbox.otel]\nnetwork = "${name}-missing-net"\n`);
      const badNet = await apply(repo, home, 1);
      assert.match(badNet.stderr, "the running stack was left as it was");
      unchanged();

      // Fixed: the next apply converges, and the data is still there.
      fs.writeFileSync(toml, fs.readFileSync(toml, "utf8").replace(/\n\[sandbox\.otel\][\s\S]*$/, "\n"));
      await apply(repo, home);
      const settled = await sbx(["plan", "--detailed-exitcode"], { cwd: repo, home, timeoutMs: 120_000 });
      assert.is(settled.code, 0, settled.stdout + settled.stderr);
      assert.is(readData(volume), "user data 42");
      assert.is((await httpGet(url)).body, "ok\n");

      // Containers removed behind sbx's back: apply recreates them on the same volume.
      docker("rm", "-f", ...containersOf(project));
      const recreate = await apply(repo, home);
      assert.match(recreate.stdout, "# compose.stack will be created");
      assert.not.match(recreate.stdout, "will be destroyed");
      assert.equal(volumesOf(project), [volume]);
      assert.is(readData(volume), "user data 42", "recreating the stack kept its volume");

      // Only destroy removes the volume, and its plan says so by name.
      const preview = await sbx(["plan", "--destroy"], { cwd: repo, home, timeoutMs: 120_000 });
      assert.match(preview.stdout, `- volumes      = [\n          - "${volume}",\n        ]`);
      const down = await sbx(["destroy", "--auto-approve"], { cwd: repo, home, timeoutMs: 180_000 });
      assert.is(down.code, 0, down.stderr + down.stdout);
      assert.match(down.stdout, `- "${volume}"`);
      assert.equal(containersOf(project), []);
      assert.equal(volumesOf(project), []);
      assert.equal(networksOf(project), []);
    } finally {
      cleanup(name);
    }
  });

  test("a failed first start removes only what it created, never a volume that was there before", async () => {
    const name = unique("cdn");
    const { repo } = await composeRepo(name);
    const home = newHome();
    const project = `${name}-slot-1`;
    const volume = `${project}_data`;
    try {
      // A volume of that compose project, with data, made before sbx ever ran here.
      docker("volume", "create", "--label", `com.docker.compose.project=${project}`, "--label", "com.docker.compose.volume=data", volume);
      docker("run", "--rm", "-v", `${volume}:/data`, "sbx-busybox:test", "/bin/sh", "-c", "echo 'made before sbx' > /data/precious");
      fs.writeFileSync(path.join(repo, "docker-compose.yml"), COMPOSE.replace("image: sbx-busybox:test", `image: sbx-no-such-image-${name}:nope`));
      const failed = await apply(repo, home, 1);
      assert.match(failed.stderr, "what this start created was removed, and nothing that was there before it");
      assert.is(Object.values(readRegistry(home).slots)[0]?.slot, 1, "the sandbox got slot 1");
      assert.equal(containersOf(project), [], "no container left");
      assert.equal(networksOf(project), [], "the network it created is gone");
      assert.equal(volumesOf(project), [volume], "the volume that was there before stays");
      assert.is(readData(volume), "made before sbx");
      fs.writeFileSync(path.join(repo, "docker-compose.yml"), COMPOSE);
      await apply(repo, home);
      assert.is(readData(volume), "made before sbx", "the good start adopts it");
      assert.is((await sbx(["destroy", "--auto-approve"], { cwd: repo, home, timeoutMs: 180_000 })).code, 0);
      assert.equal(volumesOf(project), []);
    } finally {
      cleanup(name);
    }
  });

  test("gc of a removed worktree stops its stack and removes its volume and state; after rm -rf $SBX_HOME destroy finds the labelled stack and shows it", async () => {
    const name = unique("cdg");
    const { repo } = await composeRepo(name);
    const wt = addWorktree(repo, "gone");
    const home = newHome();
    try {
      await apply(wt, home);
      const claim = Object.values(readRegistry(home).slots)[0]!;
      const project = `${name}-slot-${claim.slot}`;
      assert.is(runningOf(project).length, 1);
      git(repo, "worktree", "remove", "--force", wt);
      const gc = await sbx(["gc"], { cwd: repo, home, timeoutMs: 180_000 });
      assert.is(gc.code, 0, gc.stderr + gc.stdout);
      assert.match(gc.stdout, `Collected ${claim.instance}: worktree ${wt} no longer exists`);
      assert.equal(containersOf(project), []);
      assert.equal(volumesOf(project), []);
      assert.equal(networksOf(project), []);
      assert.not.ok(await portOpen(claim.ports.WEB_PORT!), "nothing listens on its port");
      assert.not.ok(fs.existsSync(path.join(home, "instances", claim.instance)), "its state dir is gone");
      assert.equal(readRegistry(home).slots, {});

      // State lost: the main checkout's stack is found by its owner label.
      await apply(repo, home);
      const main = Object.values(readRegistry(home).slots)[0]!;
      const mainProject = `${name}-slot-${main.slot}`;
      assert.is(runningOf(mainProject).length, 1);
      fs.rmSync(home, { recursive: true, force: true });
      const down = await sbx(["destroy", "--auto-approve"], { cwd: repo, home, timeoutMs: 180_000 });
      assert.is(down.code, 0, down.stderr + down.stdout);
      assert.match(down.stdout, /# compose\.stack will be destroyed.*\n  # \(found by owner label or marker, not in state\)/);
      assert.match(down.stdout, `- "${mainProject}_data"`);
      assert.match(down.stdout, "Destroy complete! Resources: 1 destroyed.");
      assert.equal(containersOf(mainProject), []);
      assert.equal(volumesOf(mainProject), []);
      assert.equal(networksOf(mainProject), []);
      assert.equal(walk(path.join(home, "instances")), []);
    } finally {
      cleanup(name);
    }
  });
}

test.run();
