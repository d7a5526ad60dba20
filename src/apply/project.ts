// One sandbox instance as the workflows see it: where it is, its configuration (when it
// loads), its state store and the driver context. Destroy works without configuration.

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildGraph, backendOf, placementOf } from "../compile/backends/index.js";
import type { BuildResult } from "../compile/backends/types.js";
import { findConfigDir, loadConfig, showSet, type ProjectPaths, type ResolvedConfig } from "../compile/config.js";
import { hasErrors, type Diagnostic } from "../compile/diagnostics.js";
import type { DriverContext } from "../kinds/driver.js";
import { fsReader, instanceId, projectPaths } from "./context.js";
import { hostPaths } from "./host.js";
import { allRegistries, findClaim, type SlotClaim } from "./registry.js";
import { SECRETS_FILE } from "../compile/backends/common.js";
import { globalRedactor, registerLiteralSecrets, registerSecretDefinitions, registerSecretsFile } from "./secrets/redact.js";
import { StateError, StateStore, type InstanceMeta } from "./state.js";
import { targetDirs, targetFor } from "./placement.js";
import { DEFAULT_REMOTE_ROOT, parsePlacement, type Placement } from "../compile/placement.js";
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
  /** Structured begin/end of each resource's operation, for a live view on a terminal. */
  progress?: DriverContext["progress"];
}

export interface Instance {
  opts: RunOptions;
  paths: ProjectPaths;
  id: string;
  project: string;
  stateDir: string;
  store: StateStore;
  /** Built for `placed`: rebuilt by placeInstance when a route chooses where a new sandbox runs. */
  ctx: DriverContext;
  /** Where it runs: the placement recorded in state, else the configured one (or the route's choice). */
  placed: Placed;
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

/** Where an instance runs: its placement (a resolved k8s:// target, another host...) and, on another host, the remote root its directories live under. */
export interface Placed {
  placement?: Placement;
  remoteRoot?: string;
}

export function driverContext(opts: RunOptions, inst: { id: string; stateDir: string; worktree: string; main: string } & Placed, secretRefs: Record<string, string>): DriverContext {
  const dirs = targetDirs(inst.placement, inst.remoteRoot ?? DEFAULT_REMOTE_ROOT, inst);
  return {
    home: opts.home,
    instanceId: inst.id,
    stateDir: inst.stateDir,
    worktree: inst.worktree,
    main: inst.main,
    env: opts.env,
    target: targetFor(inst.placement, opts.home),
    source: localTarget,
    ...(inst.placement ? { placement: inst.placement } : {}),
    onTarget: { worktree: dirs.worktree, state: dirs.state },
    redactor: globalRedactor,
    secretRefs,
    force: !!opts.force,
    refreshSecrets: !!opts.refreshSecrets,
    command: opts.command,
    build: !!opts.build,
    noWait: !!opts.noWait,
    ...(opts.healthTimeout !== undefined ? { healthTimeout: opts.healthTimeout } : {}),
    log: opts.log,
    ...(opts.progress ? { progress: opts.progress } : {}),
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
  const store = new StateStore(stateDir);
  // A sandbox keeps running where it was applied; a new one goes where the configuration says.
  const configured = placementOf(config) ?? { kind: "local" };
  const placed: Placed = recordedPlacement(store) ?? { placement: configured, remoteRoot: config.infra.sandbox?.remote_root ?? DEFAULT_REMOTE_ROOT };
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
      store,
      ctx: driverContext(opts, { id, stateDir, worktree: paths.worktree, main: paths.main, ...placed }, config.secretRefs),
      placed,
      config,
      configHash: h.digest("hex").slice(0, 16),
      warnings: diags,
      ...(origin.profile ? { origin: { profile: origin.profile, inputs: origin.inputs ?? {} } } : {}),
    },
    diags,
    texts,
  };
}

/** The desired graph for a slot, where the instance is placed. */
export function desiredGraph(p: Project, slot: number): BuildResult {
  const remote = p.placed.placement?.kind === "ssh";
  const dirs = targetDirs(p.placed.placement, p.placed.remoteRoot ?? DEFAULT_REMOTE_ROOT, { id: p.id, worktree: p.paths.worktree, stateDir: p.stateDir });
  return buildGraph(p.config, {
    slot,
    configRel: path.relative(p.paths.worktree, p.config.configDir),
    instanceId: p.id,
    // On another host, the main checkout is not there: its paths are the shipped worktree's.
    roots: remote ? { worktree: dirs.worktree, main: dirs.worktree, state: dirs.state } : { worktree: p.paths.worktree, main: p.paths.main, state: p.stateDir },
    sourceDir: p.paths.worktree,
    reader: fsReader,
    placement: p.placed.placement ?? { kind: "local" },
  });
}

/** The placement recorded in an instance's state (where it runs now), if any. */
export function recordedPlacement(store: StateStore): Placed | undefined {
  if (!store.exists()) return undefined;
  let meta;
  try {
    meta = store.load().state.instance;
  } catch (e) {
    if (e instanceof StateError) return undefined; // unusable state: the workflow that loads it reports it
    throw e;
  }
  if (!meta.placement) return undefined;
  const parsed = parsePlacement(meta.placement).value;
  return parsed ? { placement: parsed, remoteRoot: meta.remote_root ?? DEFAULT_REMOTE_ROOT } : undefined;
}

/** Place the instance (a route chose where a new sandbox runs): its context now reaches there. */
export function placeInstance(inst: Instance, placed: Placed, secretRefs: Record<string, string>): void {
  inst.placed = placed;
  inst.ctx = driverContext(inst.opts, { id: inst.id, stateDir: inst.stateDir, worktree: inst.paths.worktree, main: inst.paths.main, ...placed }, secretRefs);
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
  const claim = allRegistries(opts.home)
    .flatMap((r) => Object.values(r.registry.slots))
    .find((c) => c.worktree === worktree);
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
  const store = new StateStore(stateDir);
  // Destroy needs no configuration: the target is rebuilt from the placement state recorded.
  const claim = claimOf(opts.home, i.id);
  const placed: Placed = recordedPlacement(store) ?? (claim?.placement ? { placement: parsePlacement(claim.placement).value } : {});
  return { opts, paths, id: i.id, project: i.project, stateDir, store, placed, ctx: driverContext(opts, { id: i.id, stateDir, worktree: i.worktree, main: i.main, ...placed }, {}) };
}

/** This instance's slot claim, in whichever registry holds it (this machine's or a remote host's), with that host's key. */
export function claimOf(home: string, id: string): (SlotClaim & { host?: string }) | undefined {
  for (const r of allRegistries(home)) {
    const c = findClaim(r.registry, id);
    if (c) return { ...c, ...(r.host ? { host: r.host } : {}) };
  }
  return undefined;
}
