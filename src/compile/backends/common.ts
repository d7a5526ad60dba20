// Resources every backend has: the slot claim, copied files, the secrets file and the
// env file; plus the shared helpers backends use to locate and interpolate options.

import * as path from "node:path";
import { error, type Diagnostic } from "../diagnostics.js";
import { interpolate, type InterpolationScope } from "../interpolate.js";
import type { Merged } from "../merge.js";
import { pathKey, type OptionPath } from "../path.js";
import { composeProjectName } from "../names.js";
import { renderEnvSandbox } from "../render/env-file.js";
import { parseSecretRef, type SecretRef } from "../secret-refs.js";
import { addressOf, asResource, type Resource } from "../../kinds/spec.js";
import type { CopyAttrs } from "../../kinds/copy/kind.js";
import type { FileAttrs } from "../../kinds/file/kind.js";
import type { GitExcludeAttrs } from "../../kinds/git-exclude/kind.js";
import type { HealthAttrs, HealthCheck } from "../../kinds/health/kind.js";
import type { SecretsAttrs } from "../../kinds/secrets/kind.js";
import type { SlotAttrs } from "../../kinds/slot/kind.js";
import type { ResolvedConfig } from "../config.js";
import type { InfraConfig } from "../generated/infra.js";
import type { BuildContext } from "./types.js";

export interface BuildInput {
  infra: InfraConfig;
  merged: Merged;
  ctx: BuildContext;
  ports: Record<string, number>;
  /** Every secret reference: profile setup.secret_refs under [sandbox.secrets]. */
  secretRefs: Record<string, string>;
  /** Profile inputs for `${inputs.NAME}`. */
  inputs: Record<string, string>;
  file: string;
}

export function buildInput(config: ResolvedConfig, ctx: BuildContext, ports: Record<string, number>): BuildInput {
  return { infra: config.infra, merged: config.infraMerged, ctx, ports, secretRefs: config.secretRefs, inputs: config.inputs, file: config.files.find((f) => f.role === "infra")?.file ?? "infra.toml" };
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

export function scopeFor(input: BuildInput): InterpolationScope {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.infra.sandbox?.env ?? {})) if (v !== undefined) env[k] = String(v);
  return {
    ports: input.ports,
    slot: input.ctx.slot,
    project: { name: input.infra.project?.name ?? "" },
    instance: { id: input.ctx.instanceId },
    paths: input.ctx.roots,
    env,
    secretNames: new Set(Object.keys(input.secretRefs)),
    inputs: input.inputs,
  };
}

/** Interpolate a string option, turning problems into located diagnostics. */
export function expand(input: BuildInput, scope: InterpolationScope, text: string, p: OptionPath, diags: Diagnostic[]): string {
  const r = interpolate(text, scope);
  if ("problem" in r) {
    diags.push(error("Bad interpolation", { range: where(input.merged, p, input.file), detail: `In \`${p.join(".")}': ${r.problem}.` }));
    return text;
  }
  return r.value;
}

function parsedSecretRefs(input: BuildInput, diags: Diagnostic[]): SecretRef[] {
  const refs: SecretRef[] = [];
  for (const [k, v] of Object.entries(input.secretRefs).sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const r = parseSecretRef(k, v);
    if (r.problem) diags.push(error("Malformed secret reference", { range: where(input.merged, ["sandbox", "secrets", k], input.file), detail: r.problem }));
    else refs.push(r.ref!);
  }
  return refs;
}

export interface CommonResources {
  resources: Resource[];
  /** The non-secret env from [sandbox.env], interpolated. */
  env: Record<string, string>;
  /** Everything .env.sandbox holds: the compose project name, the ports and [sandbox.env]. */
  sandboxEnv: Record<string, string>;
  envSandboxPath: string;
  secretsPath: string | null;
  /** Addresses of copied files (services depend on them). */
  copies: string[];
}

export function commonResources(input: BuildInput, diags: Diagnostic[]): CommonResources {
  const { infra, ctx } = input;
  const project = infra.project?.name ?? "sandbox";
  const refs = parsedSecretRefs(input, diags);
  const scope = scopeFor(input);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(infra.sandbox?.env ?? {})) {
    if (v === undefined) continue;
    if (refs.some((r) => r.name === k))
      diags.push(error(`\`${k}' is both env and secret`, { range: where(input.merged, ["sandbox", "env", k], input.file), detail: `Remove ${k} from [sandbox.env] or from [sandbox.secrets]; a variable cannot be both.` }));
    env[k] = expand(input, scope, String(v), ["sandbox", "env", k], diags);
  }
  const resources: Resource[] = [];
  const slot: Resource<SlotAttrs> = { address: "slot.this", type: "slot", attrs: { project, slot: ctx.slot, ports: input.ports, ttl: infra.sandbox?.ttl ?? null }, dependsOn: [] };
  resources.push(asResource(slot));
  const copies: string[] = [];
  for (const [dest, src] of Object.entries(infra.sandbox?.files ?? {}).sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (src === undefined) continue;
    const copy: Resource<CopyAttrs> = { address: addressOf("copy", dest), type: "copy", attrs: { source: src, dest }, dependsOn: ["slot.this"] };
    copies.push(copy.address);
    resources.push(asResource(copy));
  }
  let secretsPath: string | null = null;
  if (refs.length) {
    secretsPath = path.join(ctx.roots.state, ".env.secrets");
    const shown: Record<string, string> = {};
    for (const r of refs) shown[r.name] = r.display;
    const secrets: Resource<SecretsAttrs> = { address: "secrets.env", type: "secrets", attrs: { path: secretsPath, refs: shown }, dependsOn: ["slot.this"] };
    resources.push(asResource(secrets));
  }
  const envSandboxPath = path.join(ctx.roots.state, ".env.sandbox");
  const envFile: Resource<FileAttrs> = {
    address: "file.env_sandbox",
    type: "file",
    attrs: { path: envSandboxPath, content: renderEnvSandbox({ project, slot: ctx.slot, ports: input.ports, env }), mode: "0644", artefact: ".env.sandbox" },
    dependsOn: ["slot.this"],
  };
  resources.push(asResource(envFile));
  if (infra.sandbox?.env_file_in_worktree) resources.push(...worktreeEnvFile(ctx.roots.worktree, envFile.attrs.content));
  const sandboxEnv: Record<string, string> = { COMPOSE_PROJECT_NAME: composeProjectName(project, ctx.slot) };
  for (const k of Object.keys(input.ports).sort()) sandboxEnv[k] = String(input.ports[k]);
  for (const k of Object.keys(env).sort()) sandboxEnv[k] = env[k]!;
  return { resources, env, sandboxEnv, envSandboxPath, secretsPath, copies };
}

/**
 * `env_file_in_worktree`: .env.sandbox in the worktree too (kinfra's earlier layout),
 * after its pattern is in the repository's info/exclude so it is never committed.
 */
function worktreeEnvFile(worktree: string, content: string): Resource[] {
  const exclude: Resource<GitExcludeAttrs> = { address: "git_exclude.env_sandbox", type: "git_exclude", attrs: { worktree, pattern: "/.env.sandbox" }, dependsOn: ["slot.this"] };
  const file: Resource<FileAttrs> = { address: "file.env_sandbox_worktree", type: "file", attrs: { path: path.join(worktree, ".env.sandbox"), content, mode: "0644", artefact: "worktree/.env.sandbox" }, dependsOn: ["git_exclude.env_sandbox"] };
  return [asResource(exclude), asResource(file)];
}

/** The health gate's checks: kinfra's endpoint check plus [[sandbox.health.checks]]. */
export function healthGate(input: BuildInput, diags: Diagnostic[], dependsOn: string[]): Resource | undefined {
  const h = input.infra.sandbox?.health;
  const scope = scopeFor(input);
  const checks: HealthCheck[] = [];
  if (h?.endpoint && h.port_var && input.ports[h.port_var] !== undefined) {
    const p = h.endpoint.startsWith("/") ? h.endpoint : `/${h.endpoint}`;
    checks.push({ name: "health", type: "http", host: "localhost", port: input.ports[h.port_var]!, path: p, status: [200] });
  }
  (h?.checks ?? []).forEach((c, i) => {
    const name = c.name ?? `${c.type}-${i + 1}`;
    const after = c.after?.length ? { after: c.after } : {};
    const at: (string | number)[] = ["sandbox", "health", "checks", i];
    if (c.type === "exec") checks.push({ name, type: "exec", command: expand(input, scope, c.command ?? "", [...at, "command"], diags), ...after });
    else {
      const port = (c.port_var ? input.ports[c.port_var] : c.port) ?? 0;
      const host = c.host ?? "127.0.0.1";
      if (c.type === "tcp") checks.push({ name, type: "tcp", host, port, ...after });
      else
        checks.push({
          name,
          type: "http",
          host,
          port,
          path: expand(input, scope, c.path ?? "/", [...at, "path"], diags),
          status: c.status ?? [200],
          ...(c.json_min_length !== undefined ? { json_min_length: c.json_min_length } : {}),
          ...after,
        });
    }
  });
  if (!checks.length) return undefined;
  const gate: Resource<HealthAttrs> = { address: "health.gate", type: "health", attrs: { checks, timeout: h?.timeout ?? 60, interval: h?.interval ?? 2 }, dependsOn };
  return asResource(gate);
}
