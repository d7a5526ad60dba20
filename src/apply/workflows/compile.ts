// Configuration without host state: validate (compile for a slot, every check plan
// makes that needs no host), compile (the resolved config, the desired graph and every
// artefact) and explain (an option's type, value and definitions).

import * as fs from "node:fs";
import * as path from "node:path";
import { buildGraph, backendOf, slotPortSpecs } from "../../compile/backends/index.js";
import type { BuildResult } from "../../compile/backends/types.js";
import { loadConfig, type ResolvedConfig } from "../../compile/config.js";
import { error, hasErrors, type Diagnostic } from "../../compile/diagnostics.js";
import { slotRange, usableSlots } from "../../compile/ports.js";
import { showSecretRef } from "../../compile/secret-refs.js";
import { KINDS } from "../../kinds/index.js";
import type { Artefact } from "../../kinds/spec.js";
import { stableStringify } from "../../plan/render/json.js";
import { fsReader, projectPaths } from "../context.js";
import { registerLiteralSecrets } from "../secrets/redact.js";

export const SYMBOLIC_ROOTS = { worktree: "<worktree>", main: "<main>", state: "<state>" };

export interface Loaded {
  config?: ResolvedConfig;
  diags: Diagnostic[];
  texts: Map<string, string>;
}

export function loadProjectConfig(cwd: string, sets: readonly string[], env: NodeJS.ProcessEnv): Loaded & { worktree: string } {
  const paths = projectPaths(cwd, env);
  const r = loadConfig({ paths, reader: fsReader, sets });
  if (r.config) registerLiteralSecrets(r.config.secretRefs);
  return { ...r, worktree: paths.worktree };
}

/** The graph for a slot with symbolic paths: what any machine would compile. */
export function compileFor(config: ResolvedConfig, worktree: string, slot: number): BuildResult {
  return buildGraph(config, { slot, configRel: path.relative(worktree, config.configDir), instanceId: "<instance.id>", roots: SYMBOLIC_ROOTS, sourceDir: worktree, reader: fsReader });
}

/** The first slot whose ports are valid (the slot validate compiles for). */
export function firstSlot(config: ResolvedConfig): number {
  return (usableSlots(slotPortSpecs(config), slotRange(config.infra)) ?? slotRange(config.infra)).min;
}

/** The backend's checks that load something first (Kubernetes API schemas), when compiling found no error. */
async function checked(built: BuildResult, diags: readonly Diagnostic[]): Promise<Diagnostic[]> {
  return !hasErrors(diags) && built.check ? [...diags, ...(await built.check())] : [...diags];
}

/** Everything plan would report that needs no host state. */
export async function validateProject(cwd: string, sets: readonly string[], env: NodeJS.ProcessEnv): Promise<Loaded & { files: ResolvedConfig["files"] }> {
  const loaded = loadProjectConfig(cwd, sets, env);
  if (!loaded.config || hasErrors(loaded.diags)) return { ...loaded, files: loaded.config?.files ?? [] };
  const built = compileFor(loaded.config, loaded.worktree, firstSlot(loaded.config));
  for (const [k, v] of built.texts) loaded.texts.set(k, v);
  return { ...loaded, diags: await checked(built, [...loaded.diags, ...built.diags]), files: loaded.config.files };
}

/** The resolved configuration as shown to people: secrets as their references, never values. */
function shownConfig(config: ResolvedConfig): unknown {
  const infra = JSON.parse(JSON.stringify(config.infra)) as { sandbox?: { secrets?: Record<string, string> } };
  const secrets = infra.sandbox?.secrets;
  if (secrets) for (const k of Object.keys(secrets)) secrets[k] = showSecretRef(k, secrets[k]!);
  return { infra, agent: config.agent ?? null };
}

export interface Compiled {
  doc: unknown;
  artefacts: Artefact[];
  diags: Diagnostic[];
  texts: Map<string, string>;
}

export interface CompiledGraph {
  config?: ResolvedConfig;
  built?: BuildResult;
  slot: number;
  diags: Diagnostic[];
  texts: Map<string, string>;
}

/** Load and compile the configuration of `cwd` for a slot (default: the first valid one), with no host state. */
export function compileAt(cwd: string, sets: readonly string[], env: NodeJS.ProcessEnv, slotText?: string): CompiledGraph {
  const loaded = loadProjectConfig(cwd, sets, env);
  const { config } = loaded;
  if (!config || hasErrors(loaded.diags)) return { slot: 0, diags: loaded.diags, texts: loaded.texts };
  let slot = firstSlot(config);
  if (slotText !== undefined) {
    if (!/^\d+$/.test(slotText) || Number(slotText) > 100000)
      return { slot: 0, diags: [error(`Invalid --slot \`${slotText}'`, { code: "usage", detail: "A slot is a whole number from 0 (the standard ports) up, e.g. --slot 2." })], texts: loaded.texts };
    slot = Number(slotText);
  }
  const built = compileFor(config, loaded.worktree, slot);
  for (const [k, v] of built.texts) loaded.texts.set(k, v);
  return { config, built, slot, diags: [...loaded.diags, ...built.diags], texts: loaded.texts };
}

export async function compileProject(cwd: string, sets: readonly string[], env: NodeJS.ProcessEnv, slotText?: string): Promise<Compiled> {
  const c = compileAt(cwd, sets, env, slotText);
  const { config, built } = c;
  if (!config || !built) return { doc: null, artefacts: [], diags: c.diags, texts: c.texts };
  c.diags = await checked(built, c.diags);
  const doc = {
    format_version: "1.0",
    backend: backendOf(config),
    slot: c.slot,
    files: config.files,
    profiles: config.profiles.map((p) => ({ id: p.id, version: p.version, hash: p.hash, file: p.file })),
    config: shownConfig(config),
    env: built.env,
    urls: built.urls,
    resources: built.resources,
  };
  const artefacts: Artefact[] = [{ path: "compiled.json", content: stableStringify(doc) + "\n" }];
  for (const r of built.resources) artefacts.push(...(KINDS.get(r.type)?.artefacts?.(r) ?? []));
  artefacts.push(...(built.artefacts ?? []));
  return { doc, artefacts, diags: c.diags, texts: c.texts };
}

/** Write artefacts under `dir`; never outside it. */
export function writeArtefacts(dir: string, artefacts: readonly Artefact[], onWrite: (rel: string) => void): void {
  const root = path.resolve(dir);
  for (const a of artefacts) {
    const file = path.resolve(root, a.path);
    if (path.relative(root, file).startsWith("..")) throw new Error(`bug: artefact ${a.path} escapes the output directory`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, a.content);
    onWrite(a.path);
  }
}
