// kinfra's whole workflow against real git and the real Docker engine: an existing
// compose project gets `sbx init --yes`, then `sbx worktree add` brings a feature's
// sandbox up on its slot port, `stop`/`start` keep its volume's data and its slot,
// `status` lists each service, and `sbx worktree done` leaves neither worktree nor
// containers. A Dockerfile edit is drift that `apply --build` rebuilds (an image built
// FROM sbx-busybox:test: no registry needed). Skips loudly without Docker unless
// SBX_REQUIRE_DOCKER=1.

import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { dockerAvailable } from "../helpers/docker.js";
import { git, httpGet, newHome, readRegistry, sbx, waitFor } from "../helpers/sbx.js";
import { repoIn } from "../helpers/worktree.js";

const HAVE_DOCKER = dockerAvailable();
if (!HAVE_DOCKER) {
  if (process.env.SBX_REQUIRE_DOCKER === "1") throw new Error("SBX_REQUIRE_DOCKER=1 but Docker or the sbx-busybox:test image is unavailable");
  console.warn("\n!!! SKIPPING kinfra workflow integration tests: no Docker engine or sbx-busybox:test image !!!\n");
}

const docker = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8", timeout: 60_000 });
const owned = (project: string, kind: "ps" | "volume") =>
  docker(...(kind === "ps" ? ["ps", "-aq"] : ["volume", "ls", "-q"]), "--filter", `label=com.docker.compose.project=${project}`).split("\n").filter(Boolean);
const SLOW = 240_000;

/** The body at url once it answers (a freshly started container's port may take a moment on a busy engine). */
async function body(url: string, project: string): Promise<string> {
  let last = "";
  try {
    await waitFor(async () => {
      try {
        last = (await httpGet(url, 2000)).body;
        return true;
      } catch (e) {
        last = String((e as Error).cause ?? e);
        return false;
      }
    }, 20_000, url);
  } catch {
    throw new Error(`${url} never answered (${last}); containers: ${docker("ps", "-a", "--filter", `label=com.docker.compose.project=${project}`, "--format", "{{.Names}} {{.Status}} {{.Ports}}")}`);
  }
  return last;
}

const COMPOSE = `services:
  web:
    image: sbx-busybox:test
    command: ["/bin/sh", "-c", "mkdir -p /www && echo up > /www/index.html && exec /bin/httpd -f -p 80 -h /www"]
    env_file:
      - config/web.env
    ports:
      - "29880:80"
    volumes:
      - data:/data
  worker:
    image: sbx-busybox:test
    command: ["/bin/sleep", "3600"]
volumes:
  data: {}
`;

if (HAVE_DOCKER) {
  test("init, worktree add, status, stop/start keeping data and slot, worktree done: nothing left", async () => {
    // A relative env_file, as kinfra's projects have: stop, logs and down read the compose file
    // sbx kept, and must resolve it in the worktree as up did.
    const repo = repoIn("kshop", { "docker-compose.yml": COMPOSE, "config/web.env": "GREETING=hello\n", "package.json": '{ "name": "kshop" }\n' });
    const home = newHome();
    const run = (args: string[], cwd = repo) => sbx(args, { cwd, home, timeoutMs: SLOW });
    const init = await run(["init", "--yes", "--health-endpoint", "/"]);
    assert.is(init.code, 0, init.stdout + init.stderr);
    assert.match(fs.readFileSync(path.join(repo, "docker-compose.yml"), "utf8"), '"${KSHOP_WEB_PORT:-29880}:80"');
    git(repo, "add", "infra.toml", "docker-compose.yml", "config/web.env");
    git(repo, "commit", "-qm", "sbx init");

    const add = await run(["worktree", "add", "feat"]);
    assert.is(add.code, 0, add.stdout + add.stderr);
    const wt = path.join(path.dirname(repo), "kshop-feat");
    const claim = Object.values(readRegistry(home).slots).find((c) => c.worktree === wt)!;
    const port = claim.ports.KSHOP_WEB_PORT!;
    assert.is(port, 29880 + claim.slot * 10, "the slot port, never the main checkout's 29880");
    const project = `kshop-slot-${claim.slot}`;
    assert.is(await body(`http://127.0.0.1:${port}/`, project), "up\n");
    try {
      const status = await run(["status"], wt);
      assert.match(status.stdout, new RegExp(`\\n\\s+web\\s+running\\s+http://localhost:${port} \\(KSHOP_WEB_PORT\\)`));
      assert.match(status.stdout, /\n\s+worker\s+running\n/);
      const web = owned(project, "ps").find((id) => docker("inspect", id, "--format", '{{index .Config.Labels "com.docker.compose.service"}}').trim() === "web")!;
      docker("exec", web, "/bin/sh", "-c", "echo kept > /data/marker");

      assert.match(docker("inspect", web, "--format", "{{json .Config.Env}}"), "GREETING=hello");
      const logs = await run(["logs", "web"], wt);
      assert.is(logs.code, 0, logs.stdout + logs.stderr);
      const stop = await run(["stop"], wt);
      assert.is(stop.code, 0, stop.stdout + stop.stderr);
      assert.equal(docker("ps", "--filter", `label=com.docker.compose.project=${project}`, "-q").trim(), "", "no container running");
      const plan = await run(["plan", "--detailed-exitcode"], wt);
      assert.is(plan.code, 0, `stopped is not drift: ${plan.stdout}`);
      assert.match(plan.stderr, "Sandbox stopped by `sbx stop`");
      const stopped = await run(["status"], wt);
      assert.match(stopped.stdout, /\n\s+web\s+exited/);
      const list = await run(["worktree", "list"]);
      assert.match(list.stdout, new RegExp(`feat\\*\\s+feat\\s+${claim.slot}\\s+stopped`));

      const start = await run(["start"], wt);
      assert.is(start.code, 0, start.stdout + start.stderr);
      assert.match(start.stdout, "✓ health ready");
      assert.is(docker("exec", web, "cat", "/data/marker"), "kept\n", "the volume's data survived stop/start");
      assert.equal(Object.values(readRegistry(home).slots).map((c) => c.slot), [claim.slot], "same slot");
      assert.is(await body(`http://127.0.0.1:${port}/`, project), "up\n");

      const done = await run(["worktree", "done", "feat"]);
      assert.is(done.code, 0, done.stdout + done.stderr);
      assert.not.match(done.stdout, "down failed", "compose down itself takes the stack down (graceful stop), no fallback");
      assert.not.ok(fs.existsSync(wt));
      assert.equal(owned(project, "ps"), [], "containers removed");
      assert.equal(owned(project, "volume"), [], "volumes removed");
      assert.equal(readRegistry(home).slots, {});
    } finally {
      for (const id of owned(project, "ps")) docker("rm", "-f", id);
    }
  });

  test("an edit in a build context or its Dockerfile is drift and is rebuilt; a .dockerignore'd file is not; apply --build rebuilds on request", async () => {
    const repo = repoIn("kbuild", {
      "infra.toml": '[project]\nname = "kbuild"\n\n[sandbox.ports]\nWEB_PORT = { base = 29900, stride = 10 }\n\n[sandbox.health]\nendpoint = "/"\nport_var = "WEB_PORT"\ntimeout = 60\n',
      "docker-compose.yml": 'services:\n  web:\n    build: ./web\n    ports:\n      - "${WEB_PORT:-29900}:80"\n',
      "web/Dockerfile": 'FROM sbx-busybox:test\nCOPY index.html /www/index.html\nCMD ["/bin/httpd", "-f", "-p", "80", "-h", "/www"]\n',
      "web/index.html": "v1\n",
      "web/.dockerignore": "notes/\n*.log\n",
      "web/notes/todo.txt": "later\n",
    });
    const home = newHome();
    const run = (args: string[]) => sbx(args, { cwd: repo, home, timeoutMs: SLOW });
    const up = await run(["apply", "--auto-approve"]);
    assert.is(up.code, 0, up.stdout + up.stderr);
    const claim = Object.values(readRegistry(home).slots)[0]!;
    const url = `http://127.0.0.1:${claim.ports.WEB_PORT}/`;
    try {
      const project = `kbuild-slot-${claim.slot}`;
      assert.is(await body(url, project), "v1\n");
      fs.writeFileSync(path.join(repo, "web/notes/todo.txt"), "ignored by .dockerignore\n");
      fs.writeFileSync(path.join(repo, "web/debug.log"), "also ignored\n");
      assert.is((await run(["plan", "--detailed-exitcode"])).code, 0, "files the build cannot see are not drift");

      // A file of the context changes: drift, and a plain apply rebuilds.
      fs.writeFileSync(path.join(repo, "web/index.html"), "v2\n");
      const edited = await run(["plan", "--detailed-exitcode"]);
      assert.is(edited.code, 2, edited.stdout + edited.stderr);
      assert.match(edited.stdout, "# compose.stack will be updated in-place");
      assert.match(edited.stdout, `build context changed since the last apply: web (${path.join(repo, "web")})`);
      const rebuilt = await run(["apply", "--auto-approve"]);
      assert.is(rebuilt.code, 0, rebuilt.stdout + rebuilt.stderr + docker("ps", "-a", "--filter", `label=com.docker.compose.project=${project}`, "--format", "{{.Names}} {{.Status}} {{.Ports}}"));
      assert.match(rebuilt.stdout, "docker compose up -d --build");
      assert.is(await body(url, project), "v2\n", "the new image runs");
      assert.is((await run(["plan", "--detailed-exitcode"])).code, 0, "the new hash is recorded");

      // The Dockerfile changes: drift too; apply --build rebuilds.
      fs.writeFileSync(path.join(repo, "web/Dockerfile"), 'FROM sbx-busybox:test\nCOPY index.html /www/index.html\nRUN echo v3 > /www/index.html\nCMD ["/bin/httpd", "-f", "-p", "80", "-h", "/www"]\n');
      const drift = await run(["plan", "--detailed-exitcode"]);
      assert.is(drift.code, 2, drift.stdout + drift.stderr);
      assert.match(drift.stdout, "build context changed since the last apply: web");
      const built = await run(["apply", "--auto-approve", "--build"]);
      assert.is(built.code, 0, built.stdout + built.stderr);
      assert.match(built.stdout, "docker compose up -d --build");
      assert.is(await body(url, project), "v3\n", "the Dockerfile's change runs");

      // Nothing changed: --build still rebuilds, on request.
      const forced = await run(["apply", "--auto-approve", "--build"]);
      assert.is(forced.code, 0, forced.stdout + forced.stderr);
      assert.match(forced.stdout, "--build: the images are rebuilt");
      assert.match(forced.stdout, "docker compose up -d --build");
      assert.is((await run(["plan", "--detailed-exitcode"])).code, 0);
    } finally {
      const down = await run(["destroy", "--auto-approve"]);
      assert.is(down.code, 0, down.stderr);
    }
    assert.equal(owned(`kbuild-slot-${claim.slot}`, "ps"), []);
    // destroy keeps built images (a warm cache for the next sandbox on the slot); the test removes its own.
    for (const image of [`kbuild-slot-${claim.slot}_web`, `kbuild-slot-${claim.slot}-web`]) spawnSync("docker", ["rmi", "-f", image], { stdio: "ignore", timeout: 60_000 });
  });
}

test.run();
