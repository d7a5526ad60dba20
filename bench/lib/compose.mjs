// Compose: `sbx apply` / `sbx destroy` of a seed-style project against plain
// `docker-compose -p X -f docker-compose.yml --env-file plain.env up -d` / `down` on the same files.

import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { onCleanup } from "./cleanup.mjs";
import { available, measure, run } from "./proc.mjs";
import { composeWorkload } from "./workloads.mjs";

/** The compose command a user here would type: the plugin if present, else docker-compose. */
function composeCli() {
  if (available("docker", ["compose", "version"])) return ["docker", "compose"];
  if (available("docker-compose", ["version"])) return ["docker-compose"];
  return undefined;
}

/** Why the compose part cannot run here, or undefined when it can. */
export function composeUnavailable() {
  if (!available("docker", ["info"])) return "no Docker engine (`docker info` fails)";
  if (!available("docker", ["image", "inspect", "sbx-busybox:test"])) return "image sbx-busybox:test is missing (.ci/run builds it with `docker import`)";
  if (!composeCli()) return "neither `docker compose` nor `docker-compose` works";
  return undefined;
}

function portFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "0.0.0.0", () => s.close(() => resolve(true)));
  });
}

/** A base port whose neighbours (sbx slots 0–9, plain side +50) are all free. */
async function freeBase() {
  for (let base = 29700; base < 31000; base += 100) {
    const ports = [...Array.from({ length: 10 }, (_, i) => base + i), base + 50];
    const free = await Promise.all(ports.map(portFree));
    if (free.every(Boolean)) return base;
  }
  throw new Error("no free port range between 29700 and 31000");
}

async function waitHttp(port, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < end) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) });
      if (r.status === 200) return;
      last = `HTTP ${r.status}`;
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing answered on port ${port} within ${timeoutMs} ms (${last})`);
}

/** Remove every container, network and volume whose compose project starts with `prefix`. */
function removeByProjectPrefix(prefix) {
  const label = "com.docker.compose.project";
  const lines = (args) => run("docker", args, { allowFail: true }).split("\n").filter(Boolean);
  const mine = (kind, args) => lines(args).map((l) => l.split("\t")).filter(([, p]) => p?.startsWith(prefix)).map(([id]) => id);
  const cs = mine("container", ["ps", "-a", "--filter", `label=${label}`, "--format", `{{.ID}}\t{{.Label "${label}"}}`]);
  if (cs.length) run("docker", ["rm", "-f", ...cs], { allowFail: true });
  const nets = mine("network", ["network", "ls", "--filter", `label=${label}`, "--format", `{{.ID}}\t{{.Label "${label}"}}`]);
  if (nets.length) run("docker", ["network", "rm", ...nets], { allowFail: true });
  const vols = mine("volume", ["volume", "ls", "--filter", `label=${label}`, "--format", `{{.Name}}\t{{.Label "${label}"}}`]);
  if (vols.length) run("docker", ["volume", "rm", "-f", ...vols], { allowFail: true });
  return cs.length + nets.length + vols.length;
}

function sbxPort(home) {
  const reg = JSON.parse(fs.readFileSync(path.join(home, "registry.json"), "utf8"));
  const claim = Object.values(reg.slots ?? {})[0];
  if (!claim?.ports?.WEB_PORT) throw new Error(`no WEB_PORT claimed in ${home}/registry.json`);
  return claim.ports.WEB_PORT;
}

export async function composeSection(ctx, { reps }) {
  const { sbx, env, root, logs, timeoutMs } = ctx;
  const cli = composeCli();
  const prefix = `sbxbench${process.pid}`;
  const w = composeWorkload(root, { project: `${prefix}s`, basePort: await freeBase() });
  const plainProject = `${prefix}p`;
  const sbxEnv = { ...env, SBX_HOME: w.home };
  const node = process.execPath;
  const compose = (args) => ({ cmd: cli[0], args: [...cli.slice(1), "-p", plainProject, "-f", "docker-compose.yml", "--env-file", "plain.env", ...args], cwd: w.plain });
  const undo = onCleanup("compose projects and containers", async () => {
    await measure({ cmd: node, args: [sbx, "destroy", "--auto-approve", "--force", "--lock-timeout", "30s"], cwd: w.wt, env: sbxEnv, log: path.join(logs, "compose-cleanup.log"), timeoutMs, allowFail: true, cleanup: true });
    const c = compose(["down", "--volumes", "--remove-orphans"]);
    await measure({ ...c, env, log: path.join(logs, "compose-cleanup-plain.log"), timeoutMs, allowFail: true, cleanup: true });
    const left = removeByProjectPrefix(prefix);
    if (left) console.error(`bench: removed ${left} leftover Docker objects of ${prefix}*`);
  });
  const steps = {
    sbx: [
      { op: "apply", cmd: node, args: [sbx, "apply", "--auto-approve"], cwd: w.wt, env: sbxEnv, after: () => waitHttp(sbxPort(w.home)) },
      { op: "destroy", cmd: node, args: [sbx, "destroy", "--auto-approve"], cwd: w.wt, env: sbxEnv },
    ],
    compose: [
      { op: "apply", ...compose(["up", "-d"]), env, after: () => waitHttp(w.plainPort) },
      { op: "destroy", ...compose(["down"]), env },
    ],
  };
  const samples = { sbx: { apply: [], destroy: [] }, compose: { apply: [], destroy: [] }, clientStart: [] };
  for (let r = 0; r < reps; r++) {
    const order = r % 2 ? ["compose", "sbx"] : ["sbx", "compose"];
    for (const side of order)
      for (const st of steps[side]) {
        const res = await measure({ cmd: st.cmd, args: st.args, cwd: st.cwd, env: st.env, log: path.join(logs, `compose-${side}-${st.op}.log`), timeoutMs });
        if (st.after) await st.after();
        samples[side][st.op].push(res);
      }
    // For reference: what one start of the compose client costs on its own.
    samples.clientStart.push(await measure({ cmd: cli[0], args: [...cli.slice(1), "version"], cwd: w.plain, env, log: path.join(logs, "compose-version.log"), timeoutMs }));
    process.stderr.write(".");
  }
  undo();
  const left = removeByProjectPrefix(prefix);
  if (left) throw new Error(`${left} Docker objects of ${prefix}* were left after destroy/down (removed now)`);
  return { reps, cli: cli.join(" "), project: w, plainProject, samples };
}
