// Runs the project's compose file as `<project>-slot-<N>`. A failed first start removes
// only what that start created; a failed update of a running stack touches nothing, so a
// plan that destroys nothing never loses data. Volumes go only when the stack itself is
// destroyed, and the destroy plan lists them by name (refreshed when it is made).

import type { StateResource } from "../../apply/state.js";
import { DriverError, type Discoverer, type Driver, type DriverContext, type LogSource, type PortHolder, type Refresher, type StatusReporter, type Stoppable, type Planner, stoppedAt } from "../driver.js";
import type { Resource } from "../spec.js";
import { compose, composeCommand, containers, containersIfEngine, foreignContainers, projectDirectory, projectLabel, projectObjects, removeCreatedSince, removeLabelled, volumesWith } from "./engine.js";
import { OWNER_LABEL, type ComposeAttrs } from "./kind.js";
import { buildFlags, planBuilds } from "./build.js";
import { startStack, stopStack } from "./lifecycle.js";
import { publishedPorts, stackStatus } from "./status.js";

function failure(a: ComposeAttrs, output: string, what: string): DriverError {
  const tail = output.trim().split("\n").slice(-8).join("\n      ");
  return new DriverError(`docker compose up failed for ${a.project}${what}:\n      ${tail}\n    Fix the compose file or its images and run \`sbx apply\` again.`, undefined, "provision");
}

async function up(ctx: DriverContext, r: Resource<ComposeAttrs>, first: boolean, prior?: ComposeAttrs): Promise<{ output: Record<string, unknown>; attrs: Partial<ComposeAttrs> }> {
  const a = r.attrs;
  const b = await buildFlags(ctx, a, first, prior);
  // Up from the worktree's own file, so relative build contexts and bind mounts resolve there.
  if (!(await ctx.target.stat(a.compose_file))) throw new DriverError(`${a.compose_file} does not exist.`, undefined, "provision");
  const files = [a.compose_file, a.override];
  // Asked together: each answer is a docker CLI start.
  const [foreign, before] = first ? await Promise.all([foreignContainers(ctx, a.project), projectObjects(ctx, a.project)]) : [[], undefined];
  // `up` would adopt (recreate, then own) a stack of the same project name: never one sbx did not create for this sandbox.
  if (foreign.length)
    throw new DriverError(
      `Compose project ${a.project} already has containers this sandbox did not create: ${foreign.map((c) => `${c.name} (${c.owner ? `sandbox ${c.owner}` : "not made by sbx"})`).join(", ")}. sbx never adopts or removes a stack it did not create. Remove that stack, or rename [project] name so this sandbox's compose project differs.`,
      undefined,
      "provision",
    );
  ctx.log(`${r.address}: docker compose up -d${b.args.length ? " --build" : ""} (project ${a.project})`);
  const res = await compose(ctx, a, files, ["up", "-d", "--remove-orphans", ...b.args]);
  if (!res.ok) {
    if (!before) throw failure(a, res.output, "; the running stack was left as it was");
    // A first start that failed: remove what it created, never what was there before it.
    await removeCreatedSince(ctx, a.project, before);
    throw failure(a, res.output, "; what this start created was removed, and nothing that was there before it");
  }
  const [volumes, cs] = await Promise.all([volumesWith(ctx, projectLabel(a.project)), containers(ctx, projectLabel(a.project))]);
  return { output: { containers: cs.map((c) => c.name).sort() }, attrs: { volumes, ...b.attrs } };
}

export const composeDriver: Driver<ComposeAttrs> & StatusReporter<ComposeAttrs> & LogSource<ComposeAttrs> & Discoverer & PortHolder<ComposeAttrs> & Stoppable<ComposeAttrs> & Planner<ComposeAttrs> & Refresher<ComposeAttrs> = {
  type: "compose",
  async read(ctx, prior) {
    const cs = await containers(ctx, projectLabel(prior.attrs.project));
    if (!cs.length) return { status: "missing", reason: "no containers of this project" };
    if (stoppedAt(prior)) return { status: "ok" }; // stopped by `sbx stop`: exited containers are expected
    const down = cs.filter((c) => c.state !== "running");
    if (down.length) return { status: "drifted", reason: `container ${down.map((c) => `${c.name} is ${c.state}`).join(", ")}`, action: "update" };
    const missing = prior.attrs.services.filter((s) => !cs.some((c) => c.service === s));
    if (missing.length) return { status: "drifted", reason: `service ${missing.join(", ")} has no container`, action: "update" };
    return { status: "ok" };
  },
  create: (ctx, r) => up(ctx, r, true),
  update: (ctx, r, prior) => up(ctx, r, false, prior.attrs),
  async plan(ctx, desired, prior) {
    return planBuilds(ctx, desired.attrs, prior?.attrs);
  },
  async delete(ctx, prior, opts) {
    const a = prior.attrs;
    // Deleted only to be made again (recreate what went missing, or a new project name):
    // the containers go, the data stays. Volumes go only when the stack itself is destroyed.
    const keepData = !!opts?.replacedBy;
    // Tear down from the copy taken at apply time: the worktree's file may have changed or gone.
    const files: string[] = [];
    for (const f of [a.copy, a.override]) if (f && (await ctx.target.stat(f))) files.push(f);
    if (files.length === 2) {
      ctx.log(`${prior.address}: docker compose down${keepData ? "" : " --volumes"} (project ${a.project})`);
      const res = await compose(ctx, a, files, ["down", ...(keepData ? [] : ["--volumes"]), "--remove-orphans", "-t", "5"]);
      if (!res.ok) ctx.log(`${prior.address}: docker compose down failed; removing by label instead`);
    }
    await removeLabelled(ctx, projectLabel(a.project), { volumes: !keepData });
    const next = (opts?.replacedBy?.attrs as Partial<ComposeAttrs> | undefined)?.project;
    if (keepData && next !== a.project) {
      const left = await volumesWith(ctx, projectLabel(a.project));
      if (left.length) return { kept: `volumes of ${a.project} kept (a replacement never deletes data; ${next ?? "the new stack"} gets its own): ${left.join(", ")}. Remove them with \`docker volume rm ${left.join(" ")}\` once you no longer need them.` };
    }
    return {};
  },
  async refresh(ctx, prior) {
    return { volumes: await volumesWith(ctx, projectLabel(prior.attrs.project)) };
  },
  stop: stopStack,
  start: startStack,
  status: stackStatus,
  logNames(prior) {
    return prior.attrs.services;
  },
  async *logs(ctx, prior, opts) {
    const a = prior.attrs;
    const cmd = await composeCommand(ctx.target, ctx.env, ctx.home);
    const env = { ...ctx.env };
    delete env.COMPOSE_PROJECT_NAME;
    const args = [...cmd, "-p", a.project, ...(await projectDirectory(ctx, a)), "-f", a.copy, "-f", a.override, "--env-file", a.env_file, "logs", "--no-color", "--tail", String(opts.tail), ...(opts.follow ? ["--follow"] : []), ...(opts.service ? [opts.service] : [])];
    for await (const line of ctx.target.lines(args, { env })) yield ctx.redactor.redact(line);
  },
  async discover(ctx) {
    const cs = await containersIfEngine(ctx, `${OWNER_LABEL}=${ctx.instanceId}`);
    if (!cs) return [];
    const projects = [...new Set(cs.map((c) => c.project).filter(Boolean))].sort();
    const out: StateResource<ComposeAttrs>[] = [];
    for (const project of projects)
      out.push({
        address: projects.length === 1 ? "compose.stack" : `compose.stack_${project}`,
        type: "compose",
        attrs: { project, compose_file: "", copy: "", override: "", env_file: "", secrets_file: null, services: [...new Set(cs.filter((c) => c.project === project).map((c) => c.service))].sort(), volumes: await volumesWith(ctx, projectLabel(project)) },
        output: {},
        dependsOn: [],
      });
    return out as unknown as StateResource[];
  },
  async holdsPort(ctx, prior, port) {
    const cs = await containers(ctx, projectLabel(prior.attrs.project));
    return cs.some((c) => publishedPorts(c.ports).includes(port));
  },
};
