// `sbx stop` / `sbx start` for a compose stack: `compose stop` / `compose start` from the
// files recorded at apply, so containers, volumes and networks stay (kinfra's
// `sandbox down` / `up`); `sbx destroy` stays the verb that removes them.

import type { StateResource } from "../../apply/state.js";
import { DriverError, markStopped, unmarkStopped, type ApplyResult, type DriverContext } from "../driver.js";
import { compose, containers, projectLabel } from "./engine.js";
import type { ComposeAttrs } from "./kind.js";

async function recordedFiles(ctx: DriverContext, a: ComposeAttrs): Promise<string[]> {
  const files: string[] = [];
  for (const f of [a.copy, a.override]) if (f && (await ctx.target.stat(f))) files.push(f);
  return files;
}

export async function stopStack(ctx: DriverContext, prior: StateResource<ComposeAttrs>): Promise<ApplyResult<ComposeAttrs>> {
  const a = prior.attrs;
  const files = await recordedFiles(ctx, a);
  if (files.length < 2) throw new DriverError(`${prior.address}: the compose files recorded at apply (${a.copy}, ${a.override}) are gone; run \`sbx apply\` to restore them, then \`sbx stop\`.`);
  ctx.log(`${prior.address}: docker compose stop (project ${a.project})`);
  const r = await compose(ctx, a, files, ["stop", "-t", "10"]);
  if (!r.ok) throw new DriverError(`docker compose stop failed for ${a.project}:\n      ${r.output.trim().split("\n").slice(-6).join("\n      ")}`);
  return { output: markStopped(prior.output) };
}

export async function startStack(ctx: DriverContext, prior: StateResource<ComposeAttrs>): Promise<ApplyResult<ComposeAttrs>> {
  const a = prior.attrs;
  const files = await recordedFiles(ctx, a);
  const cs = await containers(ctx, projectLabel(a.project));
  if (files.length < 2 || !cs.length)
    throw new DriverError(`${prior.address}: there is nothing to start (${cs.length ? "the compose files recorded at apply are gone" : "its containers were removed outside sbx"}). Run \`sbx apply\` to recreate it.`);
  ctx.log(`${prior.address}: docker compose start (project ${a.project})`);
  const r = await compose(ctx, a, files, ["start"]);
  if (!r.ok) throw new DriverError(`docker compose start failed for ${a.project}:\n      ${r.output.trim().split("\n").slice(-6).join("\n      ")}\n    Run \`sbx apply\` to recreate what is missing.`);
  return { output: unmarkStopped(prior.output) };
}

