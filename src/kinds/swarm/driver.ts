// Deploys the compose file as a Swarm stack and waits until every service runs its
// replicas. [sandbox.secrets] become Swarm secrets created from stdin at apply time
// (never in argv, a plan, state or a service's env), one object per value version:
// a rotated value is a new object, the services move to it, the old one is removed.
// Everything is found by this instance's owner label; destroy removes only what
// carries it, and volumes too (which `docker stack rm` would leave behind).

import { fingerprint, hostKey } from "../../apply/secrets/fingerprint.js";
import { parseSecretsFile } from "../../apply/secrets/file.js";
import type { StateResource } from "../../apply/state.js";
import { DriverError, type Discoverer, type Driver, type DriverContext, type LogSource, type Planner, type PortHolder, type StatusReporter } from "../driver.js";
import type { Resource } from "../spec.js";
import { containerIds, docker, dockerTry, notInSwarm, objects, ownerOf, services, stackOf, swarmNode, tasks, type ServiceInfo, type TaskInfo } from "./engine.js";
import { NAMESPACE_LABEL, SECRET_LABEL, STACK_LABEL, secretNameVar, type SwarmAttrs } from "./kind.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const HOST_MODE_NOTE = "ports published in host mode on the node that runs each task; the ingress routing mesh is not used, as it may not answer on this host";

/** The Swarm secret object holding one version of a value: `<stack>_<NAME>_<12 hex of its fingerprint>`. */
export function secretObjectName(stack: string, name: string, fp: string): string {
  const ver = fp.replace(/^hmac-sha256:/, "").slice(0, 12);
  return `${`${stack}_${name}`.slice(0, 64 - ver.length - 1)}_${ver}`;
}

async function secretValues(ctx: DriverContext, a: SwarmAttrs): Promise<Map<string, string>> {
  if (!a.secrets.length) return new Map();
  const data = a.secrets_file ? await ctx.target.readFile(a.secrets_file) : undefined;
  if (data === undefined) throw new DriverError(`The secrets file of ${a.stack} is missing; run \`sbx apply\` again to resolve [sandbox.secrets].`, undefined, "provision");
  const values = parseSecretsFile(data.toString("utf8"));
  ctx.redactor.add(...values.values());
  return values;
}

/** Create the Swarm secret objects for the current values (value on stdin); returns NAME → object. */
async function ensureSecrets(ctx: DriverContext, address: string, a: SwarmAttrs): Promise<{ objects: Record<string, string>; created: string[] }> {
  const values = await secretValues(ctx, a);
  const out: Record<string, string> = {};
  const created: string[] = [];
  if (!a.secrets.length) return { objects: out, created };
  const existing = await objects(ctx, "secret", [ownerOf(ctx), `${STACK_LABEL}=${a.stack}`]);
  const key = hostKey(ctx.home);
  for (const name of a.secrets) {
    const value = values.get(name);
    if (value === undefined) throw new DriverError(`Secret ${name} is not in the secrets file; run \`sbx apply\` again.`, undefined, "provision");
    const obj = secretObjectName(a.stack, name, fingerprint(key, name, value));
    out[name] = obj;
    if (existing.includes(obj)) continue;
    ctx.log(`${address}: docker secret create ${obj} (value from stdin)`);
    const r = await dockerTry(ctx, ["secret", "create", "--label", ownerOf(ctx), "--label", `${STACK_LABEL}=${a.stack}`, "--label", `${SECRET_LABEL}=${name}`, obj, "-"], { input: value });
    if (!r.ok) throw new DriverError(`docker secret create ${obj} failed: ${r.err}`, undefined, "provision");
    created.push(obj);
  }
  return { objects: out, created };
}

/** Remove this stack's sbx secret objects that are not `keep` (older versions). */
async function pruneSecrets(ctx: DriverContext, address: string, stack: string, keep: readonly string[]): Promise<void> {
  for (const obj of await objects(ctx, "secret", [ownerOf(ctx), `${STACK_LABEL}=${stack}`])) {
    if (keep.includes(obj)) continue;
    const r = await dockerTry(ctx, ["secret", "rm", obj]);
    ctx.log(r.ok ? `${address}: removed old secret version ${obj}` : `${address}: old secret version ${obj} is still in use (${r.err}); the next apply removes it`);
  }
}

function want(s: ServiceInfo, live: TaskInfo[]): number {
  return s.replicas === "global" ? Math.max(1, live.length) : s.replicas;
}

/** One line per service that does not run its replicas yet (empty: converged). */
async function unconverged(ctx: DriverContext, a: SwarmAttrs): Promise<{ waiting: string[]; failed: string[] }> {
  const svcs = await services(ctx, a.stack);
  const waiting: string[] = [];
  const failed: string[] = [];
  for (const name of a.services) {
    const s = svcs.find((x) => x.service === name);
    if (!s) {
      waiting.push(`${name}: no service yet`);
      continue;
    }
    if (s.updateState && /paused|rollback/.test(s.updateState)) {
      failed.push(`${name}: update ${s.updateState}${s.updateMessage ? ` (${s.updateMessage})` : ""}`);
      continue;
    }
    const ts = await tasks(ctx, s.id);
    const live = ts.filter((t) => t.desired === "Running");
    const running = live.filter((t) => t.current.startsWith("Running"));
    const n = want(s, live);
    const updating = s.updateState !== undefined && s.updateState !== "completed";
    if (running.length === n && live.length === n && !updating) continue;
    const why = ts.find((t) => t.error)?.error ?? live.find((t) => !t.current.startsWith("Running"))?.current ?? (updating ? `update ${s.updateState}` : "");
    waiting.push(`${name}: ${running.length}/${n} running${why ? ` (${ctx.redactor.redact(why)})` : ""}`);
  }
  return { waiting, failed };
}

async function converge(ctx: DriverContext, address: string, a: SwarmAttrs): Promise<void> {
  const start = Date.now();
  const deadline = start + a.wait_timeout * 1000;
  ctx.log(`${address}: waiting up to ${a.wait_timeout}s for ${a.services.join(", ")} to run their replicas`);
  let lastNote = start;
  for (;;) {
    const { waiting, failed } = await unconverged(ctx, a);
    if (failed.length) throw new DriverError(`Stack ${a.stack} failed to update`, [...failed, "Fix the compose file or the image and run `sbx apply` again."], "health");
    if (!waiting.length) {
      ctx.log(`${address}: every service runs its replicas (${Math.round((Date.now() - start) / 1000)}s)`);
      return;
    }
    if (Date.now() >= deadline)
      throw new DriverError(
        `Stack ${a.stack}: services not running after ${a.wait_timeout}s`,
        [...waiting, `See \`docker service ps --no-trunc ${a.stack}_<service>\`; fix the compose file or the image, then run \`sbx apply\` again.`],
        "health",
      );
    if (Date.now() - lastNote >= 10_000) {
      ctx.log(`${address}: still waiting (${Math.round((Date.now() - start) / 1000)}s): ${waiting.join("; ")}`);
      lastNote = Date.now();
    }
    await sleep(1000);
  }
}

/** Remove what carries this instance's owner label in `stack`: services, then (once their containers are gone) networks, configs, secrets and volumes. */
async function teardown(ctx: DriverContext, address: string, stack: string): Promise<void> {
  const node = await swarmNode(ctx);
  const inSwarm = node.state === "active" && node.manager;
  const labels = [ownerOf(ctx), stackOf(stack)];
  if (inSwarm) {
    const svcs = await services(ctx, stack);
    if (svcs.length) {
      ctx.log(`${address}: docker service rm ${svcs.map((s) => s.name).join(" ")}`);
      await docker(ctx, ["service", "rm", ...svcs.map((s) => s.id)]);
    }
  }
  // Task containers stop (with their stop_grace_period) after their service goes; their networks
  // and volumes are in use until the containers are removed, which Swarm does a few seconds later:
  // a stopped one is removed here at once, a running one gets a minute to stop.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const ids = await containerIds(ctx, labels);
    if (!ids.length) break;
    const running = await containerIds(ctx, labels, { running: true });
    if (!running.length || Date.now() >= deadline) {
      await dockerTry(ctx, ["rm", "-f", ...ids]);
      break;
    }
    await sleep(500);
  }
  const removeAll = async (kind: "network" | "config" | "secret" | "volume", names: string[]) => {
    let todo = names;
    // A network or volume can stay busy for a moment after its last container.
    for (let attempt = 0; todo.length && attempt < 20; attempt++) {
      if (attempt) await sleep(500);
      const next: string[] = [];
      for (const n of todo) {
        const r = await dockerTry(ctx, [kind, "rm", n]);
        if (!r.ok && !/not found|no such/i.test(r.err)) next.push(n);
      }
      todo = next;
    }
    if (todo.length) throw new DriverError(`Could not remove ${kind} ${todo.join(", ")} of ${stack}; run \`sbx destroy\` again.`);
  };
  if (inSwarm) {
    await removeAll("network", await objects(ctx, "network", labels));
    await removeAll("config", await objects(ctx, "config", labels));
    const declared = await objects(ctx, "secret", labels);
    const ours = await objects(ctx, "secret", [ownerOf(ctx), `${STACK_LABEL}=${stack}`]);
    await removeAll("secret", [...new Set([...declared, ...ours])]);
  }
  await removeAll("volume", await objects(ctx, "volume", labels));
}

async function deploy(ctx: DriverContext, r: Resource<SwarmAttrs>, first: boolean): Promise<{ output: Record<string, unknown>; attrs: Partial<SwarmAttrs> }> {
  const a = r.attrs;
  const problem = notInSwarm(await swarmNode(ctx));
  if (problem) throw problem;
  for (const f of [a.copy, a.override]) if (!(await ctx.target.stat(f))) throw new DriverError(`${f} does not exist; run \`sbx apply\` again to write it.`, undefined, "provision");
  const existed = first ? (await services(ctx, a.stack)).length > 0 : true;
  const { objects: secretObjects, created } = await ensureSecrets(ctx, r.address, a);
  const env: NodeJS.ProcessEnv = {};
  // Nothing ambient may name a secret object: only the versions just made.
  for (const [k, v] of Object.entries(ctx.env)) if (!k.startsWith("SBX_SECRET_OBJECT_")) env[k] = v;
  for (const [name, obj] of Object.entries(secretObjects)) env[secretNameVar(name)] = obj;
  ctx.log(`${r.address}: docker stack deploy (stack ${a.stack})`);
  const res = await dockerTry(ctx, ["stack", "deploy", "--prune", "--resolve-image", "never", "-c", a.copy, "-c", a.override, a.stack], { env, timeoutMs: 600_000 });
  if (!res.ok) {
    const tail = res.err.split("\n").slice(-8).join("\n      ");
    if (!existed) {
      // A first deploy that failed: remove what it made (services, networks, the secrets just created).
      await teardown(ctx, r.address, a.stack);
      for (const obj of created) await dockerTry(ctx, ["secret", "rm", obj]);
    }
    throw new DriverError(`docker stack deploy failed for ${a.stack}${existed ? "; the running stack was left as it was" : "; what it created was removed"}:\n      ${tail}\n    Fix the compose file and run \`sbx apply\` again.`, undefined, "provision");
  }
  await pruneSecrets(ctx, r.address, a.stack, Object.values(secretObjects));
  await converge(ctx, r.address, a);
  return { output: { services: a.services.map((s) => `${a.stack}_${s}`) }, attrs: { secret_objects: secretObjects } };
}

async function inSwarm(ctx: DriverContext): Promise<boolean> {
  const node = await swarmNode(ctx);
  return node.state === "active" && node.manager;
}

/** Lines of `docker service logs` for several services, as they come. */
async function* merged(sources: AsyncIterable<string>[]): AsyncIterable<string> {
  const its = sources.map((s) => s[Symbol.asyncIterator]());
  const pending = new Map(its.map((it, i) => [i, it.next().then((r) => ({ i, r }))]));
  while (pending.size) {
    const { i, r } = await Promise.race(pending.values());
    if (r.done) {
      pending.delete(i);
      continue;
    }
    pending.set(i, its[i]!.next().then((x) => ({ i, r: x })));
    yield r.value;
  }
}

export const swarmDriver: Driver<SwarmAttrs> & Planner<SwarmAttrs> & StatusReporter<SwarmAttrs> & LogSource<SwarmAttrs> & Discoverer & PortHolder<SwarmAttrs> = {
  type: "swarm",
  async plan(_ctx, desired) {
    return { attrs: desired.attrs, reasons: desired.attrs.ports.length ? [HOST_MODE_NOTE] : [] };
  },
  async read(ctx, prior) {
    const a = prior.attrs;
    const node = await swarmNode(ctx);
    if (node.state !== "active") return { status: "missing", reason: `this Docker engine is not in a swarm (${node.state})` };
    if (!node.manager) return { status: "missing", reason: "this Docker engine is a swarm worker, not a manager" };
    const svcs = await services(ctx, a.stack);
    if (!svcs.length) return { status: "missing", reason: `no services of stack ${a.stack}` };
    const reasons: string[] = [];
    const observed: Record<string, number | "global"> = {};
    for (const n of a.services) observed[n] = svcs.find((s) => s.service === n)?.replicas ?? 0;
    const gone = a.services.filter((n) => !svcs.some((s) => s.service === n));
    if (gone.length) reasons.push(`service ${gone.join(", ")} removed outside sbx`);
    const scaled = a.services.filter((n) => !gone.includes(n) && observed[n] !== a.replicas[n]);
    for (const n of scaled) reasons.push(`service ${n} scaled to ${observed[n]} outside sbx`);
    const wanted = Object.entries(a.secret_objects ?? {});
    if (wanted.length) {
      const have = await objects(ctx, "secret", [ownerOf(ctx), `${STACK_LABEL}=${a.stack}`]);
      const lost = wanted.filter(([, obj]) => !have.includes(obj)).map(([n]) => n);
      if (lost.length) reasons.push(`Swarm secret of ${lost.join(", ")} removed outside sbx`);
    }
    if (!reasons.length) return { status: "ok" };
    return { status: "drifted", reason: reasons.join("; "), action: "update", ...(gone.length || scaled.length ? { observed: { replicas: observed } } : {}) };
  },
  create: (ctx, r) => deploy(ctx, r, true),
  update: (ctx, r) => deploy(ctx, r, false),
  async delete(ctx, prior) {
    await teardown(ctx, prior.address, prior.attrs.stack);
    return {};
  },
  async status(ctx, prior) {
    const a = prior.attrs;
    if (!(await inSwarm(ctx))) return { state: "missing", detail: "this Docker engine is not a swarm manager" };
    const svcs = await services(ctx, a.stack);
    if (!svcs.length) return { state: "missing" };
    const parts: string[] = [];
    let all = true;
    let drifted = a.services.some((n) => !svcs.some((s) => s.service === n));
    for (const s of svcs) {
      const live = (await tasks(ctx, s.id)).filter((t) => t.desired === "Running");
      const running = live.filter((t) => t.current.startsWith("Running")).length;
      const n = want(s, live);
      if (running < n) all = false;
      if (a.replicas[s.service] !== undefined && a.replicas[s.service] !== s.replicas) drifted = true;
      parts.push(`${s.service} ${running}/${n}${a.replicas[s.service] !== undefined && a.replicas[s.service] !== s.replicas ? ` (sbx set ${a.replicas[s.service]})` : ""}`);
    }
    const urls = svcs.flatMap((s) => s.published.map((p) => `${s.service}: http://localhost:${p}`));
    return { state: drifted ? "drifted" : all ? "running" : "stopped", detail: parts.join(", "), urls: [...new Set(urls)].sort() };
  },
  logNames(prior) {
    return prior.attrs.services;
  },
  async *logs(ctx, prior, opts) {
    const a = prior.attrs;
    const names = opts.service ? [opts.service] : a.services;
    const one = (svc: string) => ctx.target.lines(["docker", "service", "logs", "--no-task-ids", "--tail", String(opts.tail), ...(opts.follow ? ["--follow"] : []), `${a.stack}_${svc}`], { env: ctx.env });
    for await (const line of merged(names.map(one))) yield ctx.redactor.redact(line);
  },
  async discover(ctx) {
    // No engine: nothing of ours. Not a swarm manager (service ls fails): only volumes can be left.
    const probe = await ctx.target.run(["docker", "service", "ls", "-q", "--filter", `label=${ownerOf(ctx)}`], { env: ctx.env, timeoutMs: 30_000 });
    if (probe.notFound) return [];
    const swarm = probe.exitCode === 0;
    const stacks = new Map<string, string[]>();
    const note = (stack: string, service?: string) => {
      if (!stack) return;
      const list = stacks.get(stack) ?? [];
      if (service && !list.includes(service)) list.push(service);
      stacks.set(stack, list);
    };
    if (swarm) {
      if (probe.stdout.trim()) for (const s of await services(ctx)) note(s.stack, s.service);
      for (const l of await docker(ctx, ["secret", "ls", "--format", `{{.Label "${STACK_LABEL}"}}`, "--filter", `label=${ownerOf(ctx)}`])) note(l.trim());
    }
    const vols = await dockerTry(ctx, ["volume", "ls", "--format", `{{.Label "${NAMESPACE_LABEL}"}}`, "--filter", `label=${ownerOf(ctx)}`]);
    if (!vols.ok) return []; // the engine is not running: nothing can be found
    for (const l of vols.out) note(l.trim());
    const names = [...stacks.keys()].sort();
    const out: StateResource<SwarmAttrs>[] = names.map((stack) => ({
      address: names.length === 1 ? "swarm.stack" : `swarm.stack_${stack.replace(/[^A-Za-z0-9_-]/g, "_")}`,
      type: "swarm",
      attrs: { stack, compose_file: "", copy: "", override: "", secrets_file: null, services: (stacks.get(stack) ?? []).sort(), replicas: {}, ports: [], secrets: [], wait_timeout: 60 },
      output: {},
      dependsOn: [],
    }));
    return out as unknown as StateResource[];
  },
  async holdsPort(ctx, prior, port) {
    if (!(await inSwarm(ctx))) return false;
    return (await services(ctx, prior.attrs.stack)).some((s) => s.published.includes(port));
  },
};
