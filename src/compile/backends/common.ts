// Resources every backend has: the slot claim, copied files, the secrets file and the env file.

import * as path from "node:path";
import { error, type Diagnostic } from "../diagnostics.js";
import { interpolate, type InterpolationScope } from "../interpolate.js";
import type { Merged } from "../merge.js";
import { pathKey, type OptionPath } from "../path.js";
import { renderEnvSandbox } from "../render/env-file.js";
import { addressOf, type Resource } from "../resource.js";
import { parseSecretRef, type SecretRef } from "../secret-refs.js";
import type { InfraConfig } from "../generated/infra.js";

export interface Roots {
  worktree: string;
  main: string;
  state: string;
}

export interface BuildContext {
  slot: number;
  /** Directory of infra.toml relative to the worktree ("" at the top); service cwds start there. */
  configRel?: string;
  instanceId: string;
  roots: Roots;
  /** Text of the compose file (compose backend), read by the caller. */
  composeText?: string;
  composeFile?: string;
  /** Profile setup.secret_refs, resolved at provision only. */
  profileSecretRefs?: Record<string, string>;
}

export interface BuildInput {
  infra: InfraConfig;
  merged: Merged;
  ctx: BuildContext;
  ports: Record<string, number>;
}

/** Locate an option for an error message. */
export function where(merged: Merged, p: OptionPath, fallback: string): { file: string; start: { line: number; col: number } } {
  const opt = merged.options.get(pathKey(p));
  const d = opt?.defs.find((x) => x.priority === opt.highestPriority);
  if (d?.line) return { file: d.file, start: { line: d.line, col: d.col ?? 1 } };
  const kl = merged.keyLocations.get(pathKey(p));
  if (kl) return { file: kl.file, start: kl.pos };
  return { file: fallback, start: { line: 1, col: 1 } };
}

export function scopeFor(input: BuildInput, secretNames: ReadonlySet<string>): InterpolationScope {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.infra.sandbox?.env ?? {})) if (v !== undefined) env[k] = String(v);
  return {
    ports: input.ports,
    slot: input.ctx.slot,
    project: { name: input.infra.project?.name ?? "" },
    instance: { id: input.ctx.instanceId },
    paths: input.ctx.roots,
    env,
    secretNames,
  };
}

/** Interpolate a string option, turning problems into located diagnostics. */
export function expand(input: BuildInput, scope: InterpolationScope, text: string, p: OptionPath, diags: Diagnostic[], file: string): string {
  const r = interpolate(text, scope);
  if ("problem" in r) {
    diags.push(error("Bad interpolation", { range: where(input.merged, p, file), detail: `In \`${p.join(".")}': ${r.problem}.` }));
    return text;
  }
  return r.value;
}

export function secretRefs(input: BuildInput, diags: Diagnostic[], file: string): SecretRef[] {
  const refs: SecretRef[] = [];
  const all: [string, string, OptionPath][] = [];
  for (const [k, v] of Object.entries(input.infra.sandbox?.secrets ?? {})) if (v !== undefined) all.push([k, v, ["sandbox", "secrets", k]]);
  for (const [k, v] of Object.entries(input.ctx.profileSecretRefs ?? {})) if (!(input.infra.sandbox?.secrets ?? {})[k]) all.push([k, v, []]);
  for (const [k, v, p] of all.sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const r = parseSecretRef(k, v);
    if (r.problem) diags.push(error("Malformed secret reference", { range: where(input.merged, p, file), detail: r.problem }));
    else refs.push(r.ref!);
  }
  return refs;
}

export interface CommonResources {
  resources: Resource[];
  env: Record<string, string>;
  envSandboxPath: string;
  secretsPath?: string;
  copies: string[];
}

export function commonResources(input: BuildInput, diags: Diagnostic[], file: string): CommonResources {
  const { infra, ctx } = input;
  const project = infra.project?.name ?? "sandbox";
  const refs = secretRefs(input, diags, file);
  const scope = scopeFor(input, new Set(refs.map((r) => r.name)));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(infra.sandbox?.env ?? {})) {
    if (v === undefined) continue;
    if (refs.some((r) => r.name === k))
      diags.push(error(`\`${k}' is both env and secret`, { range: where(input.merged, ["sandbox", "env", k], file), detail: `Remove ${k} from [sandbox.env] or from [sandbox.secrets]; a variable cannot be both.` }));
    env[k] = expand(input, scope, String(v), ["sandbox", "env", k], diags, file);
  }
  const resources: Resource[] = [];
  resources.push({
    address: "slot.this",
    type: "slot",
    attrs: { project, slot: ctx.slot, ports: input.ports },
    sensitive: [],
    dependsOn: [],
  });
  const copies: string[] = [];
  for (const [dest, src] of Object.entries(infra.sandbox?.files ?? {}).sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (src === undefined) continue;
    const address = addressOf("copy", dest);
    copies.push(address);
    resources.push({ address, type: "copy", attrs: { source: src, dest }, sensitive: [], dependsOn: ["slot.this"] });
  }
  let secretsPath: string | undefined;
  if (refs.length) {
    secretsPath = path.join(ctx.roots.state, ".env.secrets");
    const shown: Record<string, string> = {};
    for (const r of refs) shown[r.name] = r.display;
    resources.push({
      address: "secrets.env",
      type: "secrets",
      attrs: { path: secretsPath, refs: shown },
      sensitive: ["fingerprints"],
      dependsOn: ["slot.this"],
    });
  }
  const envSandboxPath = path.join(ctx.roots.state, ".env.sandbox");
  resources.push({
    address: "file.env_sandbox",
    type: "file",
    attrs: { path: envSandboxPath, content: renderEnvSandbox({ project, slot: ctx.slot, ports: input.ports, env }), mode: "0644" },
    sensitive: [],
    dependsOn: ["slot.this"],
  });
  return { resources, env, envSandboxPath, secretsPath, copies };
}

/** The health gate's checks: kinfra's endpoint check plus [[sandbox.health.checks]]. */
export function healthChecks(input: BuildInput, scope: InterpolationScope, diags: Diagnostic[], file: string): Record<string, unknown>[] {
  const h = input.infra.sandbox?.health;
  const checks: Record<string, unknown>[] = [];
  if (h?.endpoint && h.port_var && input.ports[h.port_var] !== undefined) {
    const p = h.endpoint.startsWith("/") ? h.endpoint : `/${h.endpoint}`;
    checks.push({ name: "health", type: "http", host: "localhost", port: input.ports[h.port_var], path: p, status: [200] });
  }
  (h?.checks ?? []).forEach((c, i) => {
    const port = c.port_var ? input.ports[c.port_var] : c.port;
    const check: Record<string, unknown> = { name: c.name ?? `${c.type}-${i + 1}`, type: c.type };
    if (c.type !== "exec") {
      check.host = c.host ?? "127.0.0.1";
      check.port = port;
    }
    if (c.type === "http") {
      check.path = expand(input, scope, c.path ?? "/", ["sandbox", "health", "checks", i, "path"], diags, file);
      check.status = c.status ?? [200];
      if (c.json_min_length !== undefined) check.json_min_length = c.json_min_length;
    }
    if (c.type === "exec") check.command = expand(input, scope, c.command ?? "", ["sandbox", "health", "checks", i, "command"], diags, file);
    if (c.after) check.after = c.after;
    checks.push(check);
  });
  return checks;
}
