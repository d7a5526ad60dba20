// One sandbox instance as the CLI sees it: configuration, state, slot, and the
// plan/apply/destroy operations that tie compile, plan and drivers together.

import { createHash } from "node:crypto";
import { execa } from "execa";
import * as fs from "node:fs";
import * as path from "node:path";
import { buildGraph, backendOf } from "../compile/backends/index.js";
import { loadConfig, type ResolvedConfig } from "../compile/config.js";
import { hasErrors, type Diagnostic } from "../compile/diagnostics.js";
import { portSpecs, portsForSlot, slotRange } from "../compile/ports.js";
import type { Resource } from "../compile/resource.js";
import { parseSecretRef } from "../compile/secret-refs.js";
import { diffResources, type Observation, type PriorResource } from "../plan/diff.js";
import { PLAN_FORMAT_VERSION, summarise, type Plan } from "../plan/model.js";
import { instanceId, fsReader, projectPaths } from "./context.js";
import { driverFor } from "./drivers/index.js";
import { provideSecretRefs } from "./drivers/secrets.js";
import type { DriverContext } from "./drivers/types.js";
import { hostPaths } from "./host.js";
import { commandOf, isPortFree, portListeners } from "./ports.js";
import { ownedProcesses } from "./procs.js";
import { findClaim, predictSlot, readRegistry } from "./registry.js";
import { fingerprintAll, hostKey } from "./secrets/fingerprint.js";
import { globalRedactor } from "./secrets/redact.js";
import { resolveAll } from "./secrets/resolve.js";
import { StateStore, type InstanceState } from "./state.js";

export const SBX_VERSION = "0.1.0";

export interface SessionOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  home: string;
  sets: readonly string[];
  command: string;
  force: boolean;
  refreshSecrets: boolean;
  log(line: string): void;
}

export interface Session {
  opts: SessionOptions;
  config: ResolvedConfig;
  paths: ReturnType<typeof projectPaths>;
  id: string;
  project: string;
  stateDir: string;
  store: StateStore;
  ctx: DriverContext;
  rawSecretRefs: Record<string, string>;
  configHash: string;
  warnings: Diagnostic[];
}

export function openSession(opts: SessionOptions): { session?: Session; diags: Diagnostic[]; texts: Map<string, string> } {
  const paths = projectPaths(opts.cwd, opts.env);
  const { config, diags, texts } = loadConfig({ paths, reader: fsReader, sets: opts.sets });
  if (!config || hasErrors(diags)) return { diags, texts };
  const project = config.infra.project!.name;
  const id = instanceId(project, paths.worktree);
  const stateDir = hostPaths.instance(opts.home, id);
  const rawSecretRefs: Record<string, string> = {};
  for (const p of config.profiles) Object.assign(rawSecretRefs, p.secretRefs);
  for (const [k, v] of Object.entries(config.infra.sandbox?.secrets ?? {})) if (v !== undefined) rawSecretRefs[k] = v;
  const ctx: DriverContext = {
    home: opts.home,
    instanceId: id,
    stateDir,
    worktree: paths.worktree,
    main: paths.main,
    env: opts.env,
    redactor: globalRedactor,
    log: opts.log,
    force: opts.force,
    command: opts.command,
  };
  provideSecretRefs(ctx, rawSecretRefs);
  const h = createHash("sha256");
  for (const f of config.files) h.update(`${f.role}:${f.file}:${f.hash}\n`);
  for (const s of opts.sets) h.update(`set:${s}\n`);
  return {
    session: { opts, config, paths, id, project, stateDir, store: new StateStore(stateDir), ctx, rawSecretRefs, configHash: h.digest("hex").slice(0, 16), warnings: diags },
    diags,
    texts,
  };
}

function profileSecretRefs(s: Session): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of s.config.profiles) Object.assign(out, p.secretRefs);
  return out;
}

export function desiredGraph(s: Session, slot: number): { resources: Resource[]; diags: Diagnostic[] } {
  const composeRel = s.config.infra.sandbox?.compose_file ?? "docker-compose.yml";
  const composeAbs = path.join(s.paths.worktree, composeRel);
  const composeText = backendOf(s.config) === "compose" ? fsReader.read(composeAbs) : undefined;
  if (composeText !== undefined) s.config.texts.set(composeRel, composeText);
  return buildGraph(s.config, {
    composeText,
    composeFile: composeRel,
    slot,
    configRel: path.relative(s.paths.worktree, s.config.configDir),
    instanceId: s.id,
    roots: { worktree: s.paths.worktree, main: s.paths.main, state: s.stateDir },
    profileSecretRefs: profileSecretRefs(s),
  });
}

/** Current fingerprints for the plan: cheap schemes resolved now, op:// reused unless refreshing. */
async function secretFingerprints(s: Session, state: InstanceState): Promise<Record<string, string>> {
  const prior = state.resources["secrets.env"];
  const priorRefs = (prior?.attrs.refs ?? {}) as Record<string, string>;
  const priorFp = (prior?.output.fingerprints ?? {}) as Record<string, string>;
  const cheap: Record<string, string> = {};
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(s.rawSecretRefs)) {
    const ref = parseSecretRef(name, raw).ref;
    if (!ref) continue;
    if (ref.scheme === "literal") cheap[name] = raw;
    else if (ref.scheme === "op") {
      if (!s.opts.refreshSecrets && priorRefs[name] === ref.display && priorFp[name]) out[name] = priorFp[name]!;
      else out[name] = "(known after apply)";
    } else cheap[name] = raw;
  }
  if (Object.keys(cheap).length) {
    const { values, errors } = await resolveAll(cheap, { main: s.paths.main, env: s.opts.env });
    s.ctx.redactor.add(...values.values());
    Object.assign(out, fingerprintAll(hostKey(s.opts.home), values));
    for (const e of errors) out[e.name] = "(known after apply)";
  }
  return Object.fromEntries(Object.entries(out).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
}

async function refresh(s: Session, state: InstanceState): Promise<Map<string, Observation>> {
  const observed = new Map<string, Observation>();
  await Promise.all(
    Object.values(state.resources).map(async (r) => {
      observed.set(r.address, await driverFor(r.type).read(s.ctx, r));
    }),
  );
  return observed;
}

/** Ports of a held slot that some other program is listening on. */
async function foreignPorts(s: Session, state: InstanceState, ports: Record<string, number>): Promise<string[]> {
  const ours = new Set(ownedProcesses(s.id).map((p) => p.pid));
  const composePorts = await publishedByOurStack(state);
  const problems: string[] = [];
  for (const [name, port] of Object.entries(ports)) {
    if (await isPortFree(port)) continue;
    if (composePorts.has(port)) continue;
    const pids = portListeners(port);
    if (pids.length && pids.every((p) => ours.has(p) || pgidOwned(p, ours))) continue;
    if (!pids.length && Object.values(state.resources).some((r) => r.type === "process" && r.attrs.port === port)) continue;
    const who = pids.length ? ` by ${pids.map((p) => `pid ${p} (${commandOf(p)})`).join(", ")}` : "";
    problems.push(`Port ${port} (${name}) is in use${who}. Stop that program, or destroy this sandbox and apply again to get another slot.`);
  }
  return problems;
}

/** Host ports published by this sandbox's own compose containers (held by docker-proxy). */
async function publishedByOurStack(state: InstanceState): Promise<Set<number>> {
  const stack = state.resources["compose.stack"];
  const out = new Set<number>();
  if (!stack) return out;
  const r = await execa("docker", ["ps", "--filter", `label=com.docker.compose.project=${String(stack.attrs.project)}`, "--format", "{{.Ports}}"], { reject: false, stdin: "ignore" });
  for (const m of String(r.stdout ?? "").matchAll(/:(\d+)->/g)) out.add(Number(m[1]));
  return out;
}

function pgidOwned(pid: number, ours: Set<number>): boolean {
  try {
    const pgid = Number(fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")[2]);
    return ours.has(pgid);
  } catch {
    return false;
  }
}

export interface PlanResult {
  plan: Plan;
  state: InstanceState;
  diags: Diagnostic[];
}

export async function planSession(s: Session, mode: "apply" | "destroy", forceSlot?: number): Promise<PlanResult> {
  const { state } = s.store.load();
  const diags: Diagnostic[] = [];
  const errors: string[] = [];
  const specs = portSpecs(s.config.infra);
  const claim = findClaim(readRegistry(s.opts.home).registry, s.id);
  let slot = forceSlot ?? claim?.slot;
  let status: Plan["slot"]["status"] = claim ? "held" : "to-claim";
  if (slot === undefined && mode === "apply") {
    slot = await predictSlot({ home: s.opts.home, instance: s.id, project: s.project, worktree: s.paths.worktree, specs, range: slotRange(s.config.infra) });
    if (slot === undefined) {
      const r = slotRange(s.config.infra);
      errors.push(`No slots available (${r.min}-${r.max} all claimed or have port conflicts)`);
    }
  }
  if (mode === "destroy" && !claim) status = "none";
  let desired: Resource[] = [];
  if (mode === "apply" && slot !== undefined) {
    const g = desiredGraph(s, slot);
    diags.push(...g.diags);
    desired = g.resources;
    const fp = desired.find((r) => r.address === "secrets.env");
    if (fp) fp.attrs = { ...fp.attrs, fingerprints: await secretFingerprints(s, state) };
    if (claim) errors.push(...(await foreignPorts(s, state, portsForSlot(specs, slot))));
  }
  const observed = await refresh(s, state);
  const prior: PriorResource[] = Object.values(state.resources).map((r) => ({ address: r.address, type: r.type, attrs: r.attrs, dependsOn: r.dependsOn, sensitive: r.sensitive }));
  const changes = diffResources({ desired, prior, observed, mode });
  // Name rotated secrets, never their values.
  const sec = changes.find((c) => c.address === "secrets.env" && c.action === "update");
  if (sec) {
    const b = (sec.before?.fingerprints ?? {}) as Record<string, string>;
    const a = (sec.after?.fingerprints ?? {}) as Record<string, string>;
    const rotated = Object.keys(a).filter((k) => b[k] && a[k] !== b[k] && a[k] !== "(known after apply)");
    if (rotated.length) sec.reasons.push(`secret value changed: ${rotated.join(", ")}`);
  }
  const fingerprints = (desired.find((r) => r.address === "secrets.env")?.attrs.fingerprints ?? {}) as Record<string, string>;
  const plan: Plan = {
    format_version: PLAN_FORMAT_VERSION,
    sbx_version: SBX_VERSION,
    mode,
    instance: { id: s.id, project: s.project, worktree: s.paths.worktree, backend: backendOf(s.config) },
    slot: { number: slot ?? 0, status: slot === undefined ? "none" : status },
    ports: slot !== undefined ? portsForSlot(specs, slot) : {},
    profiles: s.config.profiles.map((p) => ({ id: p.id, version: p.version, hash: p.hash, file: p.file })),
    config_hash: s.configHash,
    prior_state: state.serial > 0 || Object.keys(state.resources).length ? { lineage: state.lineage, serial: state.serial } : null,
    secret_fingerprints: fingerprints,
    resource_changes: changes,
    summary: summarise(changes),
    diagnostics: [...s.warnings, ...diags].filter((d) => d.severity === "warning"),
    errors,
  };
  // Profile version changes are worth a reason on every resource they shape.
  const priorProfiles = (state.instance as { profiles?: { id: string; version: string }[] }).profiles ?? [];
  for (const p of plan.profiles) {
    const old = priorProfiles.find((x) => x.id === p.id);
    if (old && old.version !== p.version) for (const c of changes) if (c.action !== "no-op") c.reasons.push(`profile ${p.id}@${old.version} → ${p.id}@${p.version}`);
  }
  return { plan, state, diags };
}

export function ensureStateDir(s: Session): void {
  fs.mkdirSync(s.stateDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(s.stateDir, "logs"), { recursive: true, mode: 0o700 });
}

export function appendEvent(home: string, event: Record<string, unknown>): void {
  fs.mkdirSync(home, { recursive: true });
  fs.appendFileSync(hostPaths.events(home), JSON.stringify({ at: new Date().toISOString(), ...event }) + "\n", { mode: 0o600 });
}

