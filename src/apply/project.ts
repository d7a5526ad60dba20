// One sandbox instance as the workflows see it: where it is, its configuration (when it
// loads), its state store and the driver context. Destroy works without configuration.

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildGraph, backendOf, placementOf } from "../compile/backends/index.js";
import type { BuildResult } from "../compile/backends/types.js";
import { findConfigDir, loadConfig, showSet, type ProjectPaths, type ResolvedConfig } from "../compile/config.js";
import { hasErrors, type Diagnostic } from "../compile/diagnostics.js";
import type { Placement } from "../compile/placement.js";
import type { DriverContext } from "../kinds/driver.js";
import { fsReader, instanceId, projectPaths } from "./context.js";
import { hostPaths } from "./host.js";
import { findClaim, readRegistry } from "./registry.js";
import { SECRETS_FILE } from "../compile/backends/common.js";
import { globalRedactor, registerLiteralSecrets, registerSecretDefinitions, registerSecretsFile } from "./secrets/redact.js";
import { StateError, StateStore, type InstanceMeta } from "./state.js";
import { localTarget } from "./target/local.js";

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  home: string;
  sets: readonly string[];
  command: string;
  force?: boolean;
  refreshSecrets?: boolean;
  /** `--build`, `--no-wait`, `--timeout` (seconds): see DriverContext. */
  build?: boolean;
  noWait?: boolean;
  healthTimeout?: number;
  /** `--profile NAME`: one more profile, or the whole sandbox where there is no infra.toml. */
  profile?: string;
  /** `--input NAME=VALUE` for the profiles' inputs. */
  inputs?: Record<string, string>;
  log(line: string): void;
}

export interface Instance {
  opts: RunOptions;
  paths: ProjectPaths;
  id: string;
  project: string;
  stateDir: string;
  store: StateStore;
  ctx: DriverContext;
}

export interface Project extends Instance {
  config: ResolvedConfig;
  configHash: string;
  /** Warnings from loading the configuration. */
  warnings: Diagnostic[];
  /** Set when the sandbox is made from --profile (given now, or recorded at its first apply). */
  origin?: { profile: string; inputs: Record<string, string> };
}

/**
 * The profile and inputs to load: the flags when given; else, in a worktree without an
 * infra.toml, what the sandbox's first `apply --profile` recorded (so plan, apply and
 * recreate work there without repeating the flags). Given inputs override recorded ones.
 */
function originOf(opts: RunOptions, paths: ProjectPaths): { profile?: string; inputs?: Record<string, string> } {
  if (opts.profile) return { profile: opts.profile, inputs: opts.inputs ?? {} };
  if (findConfigDir(paths, fsReader)) return opts.inputs ? { inputs: opts.inputs } : {};
  const recorded = recordedOrigin(opts, paths.worktree);
  if (!recorded) return opts.inputs ? { inputs: opts.inputs } : {};
  return { profile: recorded.profile, inputs: { ...recorded.inputs, ...(opts.inputs ?? {}) } };
}

/** The origin a worktree's sandbox recorded, from host state alone. */
export function recordedOrigin(opts: RunOptions, worktree: string): InstanceMeta["origin"] {
  try {
    const inst = findInstance(opts, worktree);
    if (!inst || !inst.store.exists()) return undefined;
    return inst.store.load().state.instance.origin;
  } catch (e) {
    if (e instanceof StateError) return undefined; // unusable state: plan and status report it
    throw e;
  }
}

export function driverContext(opts: RunOptions, inst: { id: string; stateDir: string; worktree: string; main: string }, secretRefs: Record<string, string>, placement?: Placement): DriverContext {
  return {
    ...(placement ? { placement } : {}),
    home: opts.home,
    instanceId: inst.id,
    stateDir: inst.stateDir,
    worktree: inst.worktree,
    main: inst.main,
    env: opts.env,
    target: localTarget,
    redactor: globalRedactor,
    secretRefs,
    force: !!opts.force,
    refreshSecrets: !!opts.refreshSecrets,
    command: opts.command,
    build: !!opts.build,
    noWait: !!opts.noWait,
    ...(opts.healthTimeout !== undefined ? { healthTimeout: opts.healthTimeout } : {}),
    log: opts.log,
  };
}

/** Load the configuration of the directory; every literal secret is registered with the redactor at once. */
export function openProject(opts: RunOptions): { project?: Project; diags: Diagnostic[]; texts: Map<string, string> } {
  const paths = projectPaths(opts.cwd, opts.env);
  const origin = originOf(opts, paths);
  const { config, diags, texts, secretDefs } = loadConfig({ paths, reader: fsReader, sets: opts.sets, ...origin });
  registerSecretDefinitions(secretDefs ?? []);
  if (config) registerLiteralSecrets(config.secretRefs);
  if (!config || hasErrors(diags)) return { diags, texts };
  const project = config.infra.project!.name;
  const id = instanceId(project, paths.worktree);
  const stateDir = hostPaths.instance(opts.home, id);
  registerSecretsFile(path.join(stateDir, SECRETS_FILE));
  const h = createHash("sha256");
  for (const f of config.files) h.update(`${f.role}:${f.file}:${f.hash}\n`);
  for (const s of opts.sets) h.update(`set:${s}\n`);
  if (origin.profile) h.update(`profile:${origin.profile}\n`);
  for (const [k, v] of Object.entries(origin.inputs ?? {}).sort()) h.update(`input:${k}=${v}\n`);
  return {
    project: {
      opts,
      paths,
      id,
      project,
      stateDir,
      store: new StateStore(stateDir),
      ctx: driverContext(opts, { id, stateDir, worktree: paths.worktree, main: paths.main }, config.secretRefs, placementOf(config)),
      config,
      configHash: h.digest("hex").slice(0, 16),
      warnings: diags,
      ...(origin.profile ? { origin: { profile: origin.profile, inputs: origin.inputs ?? {} } } : {}),
    },
    diags,
    texts,
  };
}

/** The desired graph for a slot, on this host. */
export function desiredGraph(p: Project, slot: number): BuildResult {
  return buildGraph(p.config, {
    slot,
    configRel: path.relative(p.paths.worktree, p.config.configDir),
    instanceId: p.id,
    roots: { worktree: p.paths.worktree, main: p.paths.main, state: p.stateDir },
    sourceDir: p.paths.worktree,
    reader: fsReader,
  });
}

export function backendName(p: Project): string {
  return backendOf(p.config);
}

/** The --set flags as recorded in a plan (secret values never). */
export function recordedSets(sets: readonly string[]): string[] {
  return sets.map(showSet);
}

/**
 * The instance of a worktree found from host state alone (registry claim, else a state
 * file naming the worktree): destroy and gc need no configuration.
 */
export function findInstance(opts: RunOptions, worktree: string): Instance | undefined {
  const claim = Object.values(readRegistry(opts.home).registry.slots).find((c) => c.worktree === worktree);
  let id = claim?.instance;
  let main = worktree;
  let project = claim?.project ?? "";
  const dir = path.join(opts.home, "instances");
  const ids = id ? [id] : fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
  for (const candidate of ids) {
    const store = new StateStore(hostPaths.instance(opts.home, candidate));
    if (!store.exists()) continue;
    let state;
    try {
      state = store.load().state;
    } catch (e) {
      if (e instanceof StateError && candidate !== claim?.instance) continue; // another sandbox's unusable state: not this one's business
      throw e;
    }
    if (state.instance.worktree !== worktree && candidate !== claim?.instance) continue;
    id = candidate;
    main = state.instance.main || worktree;
    project = state.instance.project || project;
    break;
  }
  if (!id) return undefined;
  return instanceFor(opts, { id, project, worktree, main });
}

export function instanceFor(opts: RunOptions, i: { id: string; project: string; worktree: string; main: string }): Instance {
  const stateDir = hostPaths.instance(opts.home, i.id);
  registerSecretsFile(path.join(stateDir, SECRETS_FILE));
  const paths: ProjectPaths = { cwd: i.worktree, worktree: i.worktree, main: i.main };
  return { opts, paths, id: i.id, project: i.project, stateDir, store: new StateStore(stateDir), ctx: driverContext(opts, { id: i.id, stateDir, worktree: i.worktree, main: i.main }, {}) };
}

export function claimOf(home: string, id: string) {
  return findClaim(readRegistry(home).registry, id);
}
