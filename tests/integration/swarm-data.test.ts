// Swarm stacks keep their data like compose stacks do: a stack removed behind sbx's back
// (`docker stack rm`, which leaves volumes) is deployed again on the same volume, and only
// `sbx destroy` removes it. Joins a one-node swarm when the engine is in none, and leaves
// it. Skips loudly without Docker, fails when SBX_REQUIRE_DOCKER=1.

import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { dockerAvailable } from "../helpers/docker.js";
import { freePortBase } from "../helpers/ports.js";
import { makeRepo, newHome, sbx, waitFor } from "../helpers/sbx.js";
import { joinSwarm, leaveSwarm, type SwarmLease } from "../helpers/swarm.js";

const HAVE_DOCKER = dockerAvailable();
if (!HAVE_DOCKER) {
  if (process.env.SBX_REQUIRE_DOCKER === "1") throw new Error("SBX_REQUIRE_DOCKER=1 but Docker or the sbx-busybox:test image is unavailable");
  console.warn("\n!!! SKIPPING swarm data tests: no Docker engine or sbx-busybox:test image (run .ci/run) !!!\n");
}

const docker = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 }).trim();
const lines = (...args: string[]) => docker(...args).split("\n").filter(Boolean);

if (HAVE_DOCKER) {
  test("a swarm stack removed outside sbx is deployed again on its volume; only destroy removes the volume", async () => {
    let lease: SwarmLease | undefined;
    const name = `swd${randomBytes(3).toString("hex")}`;
    const home = newHome();
    let stack = "";
    try {
      lease = joinSwarm();
      const base = await freePortBase(4);
      const repo = makeRepo({
        "infra.toml": `[project]\nname = "${name}"\n\n[sandbox]\nbackend = "swarm"\n\n[sandbox.ports]\nWEB_PORT = ${base}\n`,
        "docker-compose.yml": `services:\n  web:\n    image: sbx-busybox:test\n    command: ["/bin/sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec /bin/httpd -f -p 80 -h /www"]\n    stop_grace_period: 1s\n    ports:\n      - "\${WEB_PORT:-8080}:80"\n    volumes:\n      - data:/data\nvolumes:\n  data: {}\n`,
      });
      const run = (args: string[]) => sbx(args, { cwd: repo, home, timeoutMs: 240_000 });
      const up = await run(["apply", "--auto-approve"]);
      assert.is(up.code, 0, up.stderr + up.stdout);
      stack = /docker stack deploy \(stack (\S+)\)/.exec(up.stdout)?.[1] ?? "";
      assert.match(stack, new RegExp(`^${name}-slot-\\d+$`), up.stdout);
      const task = () => lines("ps", "-q", "--filter", `label=com.docker.stack.namespace=${stack}`)[0];
      await waitFor(() => !!task(), 60_000, "the stack's task container");
      docker("exec", task()!, "/bin/sh", "-c", "echo 'swarm data 7' > /data/precious");
      const volume = `${stack}_data`;
      const readData = () => docker("run", "--rm", "-v", `${volume}:/data`, "sbx-busybox:test", "/bin/cat", "/data/precious");
      assert.is(readData(), "swarm data 7");

      // Removed behind sbx's back: `docker stack rm` leaves the volume.
      docker("stack", "rm", stack);
      await waitFor(() => lines("ps", "-aq", "--filter", `label=com.docker.stack.namespace=${stack}`).length === 0, 60_000, "the stack's containers to go");
      const again = await run(["apply", "--auto-approve"]);
      assert.is(again.code, 0, again.stderr + again.stdout);
      assert.match(again.stdout, /# swarm\.stack will be created/);
      assert.not.match(again.stdout, "will be destroyed");
      assert.is(readData(), "swarm data 7", "deploying the stack again kept its volume");

      const down = await run(["destroy", "--auto-approve"]);
      assert.is(down.code, 0, down.stderr + down.stdout);
      assert.equal(lines("volume", "ls", "-q", "--filter", `name=${volume}`), [], "destroy removes it");
    } finally {
      // Each step on its own: a step that fails (the swarm already left) must not skip the rest.
      const tryDocker = (...args: string[]) => spawnSync("docker", args, { stdio: "ignore", timeout: 60_000 });
      if (stack) {
        tryDocker("stack", "rm", stack);
        const end = Date.now() + 30_000;
        const left = () => (spawnSync("docker", ["ps", "-aq", "--filter", `label=com.docker.stack.namespace=${stack}`], { encoding: "utf8", timeout: 60_000 }).stdout ?? "").trim();
        while (left() && Date.now() < end) await new Promise((r) => setTimeout(r, 500));
        if (left()) tryDocker("rm", "-f", ...left().split("\n"));
        tryDocker("volume", "rm", "-f", `${stack}_data`);
      }
      if (lease) await leaveSwarm(lease);
    }
  });
}

test.run();
