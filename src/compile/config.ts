// Finds the configuration files of a project, layers them with profiles, local
// overrides and --set flags, merges and validates. Pure: file access is injected.

import { createHash } from "node:crypto";
import * as path from "node:path";
import { parse as parseToml } from "smol-toml";
import { chooseBackend, directoryNameLayer, ignoredAgentSettings, projectNameLayer, USER_AGENT_FILE, AGENT_BACKENDS } from "./agent.js";
import { error, hasErrors, type Diagnostic, type SourceRange } from "./diagnostics.js";
import { loadToml, type LoadedFile, type TomlTable, type TomlValue } from "./load.js";
import { mergeLayers, type Layer, type Merged } from "./merge.js";
import { parsePath, pathKey, type OptionPath } from "./path.js";
import { parsePlacement } from "./placement.js";
import { LAYER_PRIORITY, DEFAULT, OPTION_DEFAULT } from "./priority.js";
import { declaredInputs, profileProblems, profileSearchDirs, resolveInputs, type InputDecl } from "./profiles.js";
import { portSpecs, portsForSlot, slotRange, usableSlots } from "./ports.js";
import { SCHEMAS } from "./schema.js";
import { secretsInUnparsedToml } from "./secret-refs.js";
import { validateMerged } from "./validate.js";
import type { InfraConfig } from "./generated/infra.js";
import type { AgentConfig } from "./generated/agent.js";
import type { ProfileConfig } from "./generated/profile.js";

/** File access, injected so this module stays pure. */
export interface SourceReader {
  read(absPath: string): string | undefined;
}

export interface ProjectPaths {
  cwd: string;
  /** Top level of the current git worktree (or the cwd outside git). */
  worktree: string;
  /** The main repository: parent of the git common dir. */
  main: string;
  /** $XDG_CONFIG_HOME (for user profiles). */
  xdgConfig?: string;
  /** $SBX_HOME (its profiles/ are searched after the project's). */
  sbxHome?: string;
  /** SBX_PROFILE_PATH entries: shared profile directories, searched last. */
  profilePath?: string[];
}

export interface ProfileRef {
  /** The name it was asked for by (its file name without .toml). */
  name: string;
  id: string;
  version: string;
  hash: string;
  file: string;
  description?: string;
  backend?: string;
  placement?: string;
  /** `route`: candidate placements and how one is chosen (resolved at plan time, by probing). */
  route?: ProfileConfig["route"];
  routeAt?: SourceRange;
  /** Where `placement` is written, for errors about it. */
  placementAt?: SourceRange;
  ttl?: string;
  secretRefs: Record<string, string>;
}

export interface ConfigFile {
  /** `user`: $XDG_CONFIG_HOME/keystone/agent.toml, the user's agent defaults. */
  role: "infra" | "agent" | "local" | "profile" | "user";
  file: string;
  hash: string;
}

export interface ResolvedConfig {
  infra: InfraConfig;
  /** Every secret reference by name: profiles' setup.secret_refs under [sandbox.secrets]. Raw: literals are values. */
  secretRefs: Record<string, string>;
  agent?: AgentConfig;
  infraMerged: Merged;
  agentMerged?: Merged;
  profiles: ProfileRef[];
  files: ConfigFile[];
  /** Absolute directory holding infra.toml (or .devops-ai/), or agent.toml when it is alone; the worktree top for a profile alone. */
  configDir: string;
  /** `${inputs.NAME}`: every declared input, given or defaulted. */
  inputs: Record<string, string>;
  /** The backend that runs the sandbox (sandbox.backend, agent.toml's [backend] type, or the default). */
  backend: string;
  /** Where the backend was chosen, when a file chose it. */
  backendFrom?: SourceRange;
  texts: Map<string, string>;
}

export interface LoadOptions {
  paths: ProjectPaths;
  reader: SourceReader;
  sets?: readonly string[];
  /** `--profile NAME`: one more profile; with no infra.toml the sandbox is made from it alone. */
  profile?: string;
  /** `--input NAME=VALUE`, for the inputs profiles declare. */
  inputs?: Readonly<Record<string, string>>;
}

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 12);
}

/** Show paths relative to the worktree, else the main repository, else as given. */
export function displayPath(paths: ProjectPaths, abs: string): string {
  for (const base of [paths.worktree, paths.main]) {
    const rel = path.relative(base, abs);
    if (!rel.startsWith("..") && !path.isAbsolute(rel)) return rel || ".";
  }
  for (const [base, name] of [
    [paths.sbxHome, "$SBX_HOME"],
    [paths.xdgConfig, "$XDG_CONFIG_HOME"],
  ] as const) {
    if (!base) continue;
    const rel = path.relative(base, abs);
    if (!rel.startsWith("..") && !path.isAbsolute(rel)) return `${name}/${rel}`;
  }
  return abs;
}

const INFRA_NAMES = ["infra.toml", ".devops-ai/infra.toml"];

/** Walk from cwd up to the worktree top for the first directory with an infra.toml, or else an agent.toml. */
export function findConfigDir(paths: ProjectPaths, reader: SourceReader): { dir: string; infraFile?: string } | undefined {
  let dir = paths.cwd;
  for (let i = 0; i < 64; i++) {
    for (const name of INFRA_NAMES) {
      const f = path.join(dir, name);
      if (reader.read(f) !== undefined) return { dir, infraFile: f };
    }
    if (reader.read(path.join(dir, "agent.toml")) !== undefined) return { dir };
    if (dir === paths.worktree || path.dirname(dir) === dir) break;
    dir = path.dirname(dir);
  }
  return undefined;
}

function layerFrom(loaded: LoadedFile, kind: Layer["kind"], prefix: OptionPath = []): Layer {
  let value: TomlValue = loaded.value;
  for (const seg of prefix) value = (value as TomlTable)?.[String(seg)] as TomlValue;
  return {
    kind,
    file: loaded.file,
    priority: LAYER_PRIORITY[kind],
    value: (value ?? {}) as TomlTable,
    keyPos: (p) => loaded.keyPos.get(pathKey([...prefix, ...p])),
    valuePos: (p) => loaded.valuePos.get(pathKey([...prefix, ...p])),
  };
}

/** Parse `--set a.b=value`: the value is TOML when it parses, else a plain string. */
export function parseSet(text: string): { path?: string[]; value?: TomlValue; diag?: Diagnostic } {
  const eq = text.indexOf("=");
  const p = eq > 0 ? parsePath(text.slice(0, eq).trim()) : undefined;
  if (!p) return { diag: error("Invalid --set", { detail: `Expected --set option.path=value, got \`${text}'. Example: --set sandbox.ports.API_PORT=9000` }) };
  const raw = text.slice(eq + 1).trim();
  let value: TomlValue = raw;
  try {
    value = (parseToml(`v = ${raw}`) as { v: TomlValue }).v;
  } catch {
    value = raw;
  }
  return { path: p, value };
}

/** A --set flag as it may be shown: the value of a secret is never repeated. */
export function showSet(text: string): string {
  const eq = text.indexOf("=");
  const p = eq > 0 ? parsePath(text.slice(0, eq).trim()) : undefined;
  const secret = p && ((p[0] === "sandbox" && p[1] === "secrets") || p.includes("secret_refs"));
  return secret ? `${text.slice(0, eq)}=(sensitive)` : text;
}

function nest(p: readonly string[], v: TomlValue): TomlTable {
  let out: TomlValue = v;
  for (let i = p.length - 1; i >= 0; i--) out = { [p[i]!]: out };
  return out as TomlTable;
}

/**
 * Every definition of a secret in the layers, merged or not, as [name, raw reference]:
 * the redactor learns literal values even when the configuration does not load (a
 * conflict lists every definition). `{ force = v }` and `{ default = v }` are unwrapped.
 */
function secretDefinitions(layers: readonly Layer[], profiles: readonly ProfileRef[]): [string, string][] {
  const out: [string, string][] = [];
  const raw = (v: unknown): string | undefined => {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
    if (v && typeof v === "object" && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && (keys[0] === "force" || keys[0] === "default")) return raw((v as Record<string, unknown>)[keys[0]]);
    }
    return undefined;
  };
  for (const l of layers) {
    const secrets = (l.value.sandbox as TomlTable | undefined)?.secrets;
    if (!secrets || typeof secrets !== "object" || Array.isArray(secrets)) continue;
    for (const [k, v] of Object.entries(secrets)) {
      const r = raw(v);
      if (r !== undefined) out.push([k, r]);
    }
  }
  for (const p of profiles) for (const [k, v] of Object.entries(p.secretRefs)) if (typeof v === "string") out.push([k, v]);
  return out;
}

export function loadConfig(opts: LoadOptions): { config?: ResolvedConfig; diags: Diagnostic[]; texts: Map<string, string>; secretDefs?: [string, string][] } {
  const { paths, reader } = opts;
  const diags: Diagnostic[] = [];
  const texts = new Map<string, string>();
  const found = findConfigDir(paths, reader);
  if (!found && !opts.profile) {
    diags.push(
      error("No infra.toml or agent.toml found", {
        detail: `Looked in ${displayPath(paths, paths.cwd)} and its parents up to the git top level for infra.toml, .devops-ai/infra.toml or agent.toml. Create one (see examples/quickstart/infra.toml, or README "Agent sandboxes" for agent.toml), run sbx with -C DIR, or make the sandbox from a profile alone: --profile NAME (\`sbx profiles list' shows them).`,
      }),
    );
    return { diags, texts };
  }
  const files: ConfigFile[] = [];
  const unparsedSecrets: [string, string][] = [];
  const load = (abs: string, role: ConfigFile["role"]): LoadedFile | undefined => {
    const text = reader.read(abs);
    if (text === undefined) return undefined;
    const shown = displayPath(paths, abs);
    texts.set(shown, text);
    const r = loadToml(shown, text);
    diags.push(...r.diags);
    // A file that does not parse is in no layer: read its secrets line by line, so the error
    // that shows the broken line never shows a literal secret.
    if (!r.value) unparsedSecrets.push(...secretsInUnparsedToml(text));
    if (r.value) files.push({ role, file: shown, hash: shortHash(text) });
    return r.value;
  };

  // With neither infra.toml nor agent.toml, `--profile` alone describes the sandbox, rooted at the worktree top.
  const configDir = found?.dir ?? paths.worktree;
  const infraFile = found?.infraFile ? load(found.infraFile, "infra") : undefined;
  const baseDir = found?.infraFile ? path.dirname(found.infraFile) : configDir;
  const localFile = found ? load(path.join(baseDir, "infra.local.toml"), "local") : undefined;
  const agentFile = found ? load(path.join(baseDir, "agent.toml"), "agent") : undefined;
  if (found && (found.infraFile ? !infraFile : !agentFile)) return { diags, texts, secretDefs: unparsedSecrets };

  // Profiles: `profile = "x"`, `[sandbox] profile = "x"` or `extends = [...]`, in any project file; then --profile.
  const profileNames: { name: string; range?: SourceRange }[] = [];
  const rangeIn = (f: LoadedFile, at: OptionPath): SourceRange | undefined => {
    const where = f.valuePos.get(pathKey(at)) ?? f.keyPos.get(pathKey(at));
    return where ? { file: f.file, start: where } : undefined;
  };
  for (const f of [infraFile, localFile, agentFile]) {
    if (!f) continue;
    const v = f.value;
    if (typeof v.profile === "string") profileNames.push({ name: v.profile, range: rangeIn(f, ["profile"]) });
    const sb = v.sandbox as TomlTable | undefined;
    if (sb && typeof sb.profile === "string") profileNames.push({ name: sb.profile, range: rangeIn(f, ["sandbox", "profile"]) });
    if (Array.isArray(v.extends)) v.extends.forEach((n, i) => typeof n === "string" && profileNames.push({ name: n, range: rangeIn(f, ["extends", i]) }));
  }
  if (opts.profile) profileNames.push({ name: opts.profile });
  const profiles: ProfileRef[] = [];
  const profileInfraLayers: Layer[] = [];
  const profileAgentLayers: Layer[] = [];
  const inputDecls: InputDecl[] = [];
  const visiting: string[] = [];
  const done = new Set<string>();
  const searchDirs = profileSearchDirs(paths, configDir).map((d) => d.dir);

  const resolveProfile = (name: string, range: SourceRange | undefined): void => {
    if (done.has(name)) return;
    if (visiting.includes(name)) {
      diags.push(error("Profile cycle", { range, detail: `Profiles extend each other in a cycle: ${[...visiting, name].join(" -> ")}. Remove one of the extends entries.` }));
      return;
    }
    const abs = searchDirs.map((d) => path.join(d, `${name}.toml`)).find((f) => reader.read(f) !== undefined);
    if (!abs) {
      diags.push(
        error(`Profile \`${name}' not found`, {
          range,
          code: range ? "config" : "usage",
          detail: `Looked for ${name}.toml in ${searchDirs.map((d) => displayPath(paths, d)).join(", ")}. Create it or fix the name (\`sbx profiles list' shows the profiles found).`,
        }),
      );
      return;
    }
    visiting.push(name);
    const pf = load(abs, "profile");
    if (pf) {
      // sand-boxer's spellings and fields not honoured yet are errors of their own, reported once.
      const checked = profileProblems(pf);
      diags.push(...checked.diags);
      const pm = mergeLayers(SCHEMAS.profile, [{ ...layerFrom(pf, "profile"), value: checked.value }]);
      diags.push(...pm.diags, ...validateMerged("profile", pm.merged, pf.file));
      const p = checked.value as unknown as ProfileConfig;
      inputDecls.push(...declaredInputs(pf, typeof p.id === "string" ? p.id : name));
      if (Array.isArray(p.extends)) p.extends.forEach((n, i) => resolveProfile(n, rangeIn(pf, ["extends", i])));
      const defaults = (pf.value.defaults ?? {}) as TomlTable;
      // Profile-level fields are defaults for the matching infra options.
      const synth: TomlTable = {};
      if (typeof p.backend === "string") synth.sandbox = { backend: p.backend };
      // A swarm placement (swarm://, the local engine's swarm) runs the compose file as a Swarm stack.
      // A k8s placement (k8s://context/namespace) runs the sandbox on that cluster.
      const placedKind = typeof p.backend !== "string" && typeof p.placement === "string" ? parsePlacement(p.placement).value?.kind : undefined;
      const swarmPlacement = placedKind === "swarm" || placedKind === "k8s";
      if (swarmPlacement) synth.sandbox = { backend: placedKind === "swarm" ? "swarm" : "kubernetes" };
      if (typeof p.ttl === "string") synth.sandbox = { ...((synth.sandbox as TomlTable) ?? {}), ttl: p.ttl };
      if (typeof p.placement === "string") synth.sandbox = { ...((synth.sandbox as TomlTable) ?? {}), placement: p.placement };
      if (Object.keys(synth).length)
        profileInfraLayers.push({
          kind: "profile",
          file: pf.file,
          priority: DEFAULT,
          value: synth,
          keyPos: (q) => pf.keyPos.get(pathKey([swarmPlacement && q[q.length - 1] === "backend" ? "placement" : q[q.length - 1]!])),
          valuePos: (q) => pf.valuePos.get(pathKey([swarmPlacement && q[q.length - 1] === "backend" ? "placement" : q[q.length - 1]!])),
        });
      if (defaults.infra) profileInfraLayers.push(layerFrom(pf, "profile", ["defaults", "infra"]));
      if (defaults.agent) profileAgentLayers.push(layerFrom(pf, "profile", ["defaults", "agent"]));
      const placementPos = pf.valuePos.get(pathKey(["placement"]));
      profiles.push({
        name,
        id: typeof p.id === "string" ? p.id : name,
        version: String(p.version ?? "0"),
        hash: shortHash(pf.text),
        file: pf.file,
        description: p.description,
        backend: p.backend,
        placement: p.placement,
        ...(p.route ? { route: p.route, routeAt: { file: pf.file, start: pf.keyPos.get(pathKey(["route"])) ?? { line: 1, col: 1 } } } : {}),
        ...(placementPos ? { placementAt: { file: pf.file, start: placementPos } } : {}),
        ttl: p.ttl,
        secretRefs: { ...(p.setup?.secret_refs ?? {}) } as Record<string, string>,
      });
    }
    visiting.pop();
    done.add(name);
  };
  for (const { name, range } of profileNames) resolveProfile(name, range);
  if (!found && !profiles.length) return { diags, texts };
  const inputs = resolveInputs(inputDecls, opts.inputs ?? {});
  diags.push(...inputs.diags);

  // --set flags go to infra unless they name an agent-only table.
  const infraSets: Layer[] = [];
  const agentSets: Layer[] = [];
  for (const s of opts.sets ?? []) {
    const r = parseSet(s);
    if (r.diag) {
      diags.push(r.diag);
      continue;
    }
    const target = ["defaults", "backend", "proxy"].includes(r.path![0]!) && r.path![0] !== "sandbox" ? agentSets : infraSets;
    target.push({ kind: "cli", file: `--set ${showSet(s)}`, priority: LAYER_PRIORITY.cli, value: nest(r.path!, r.value!) });
  }

  const infraLayers: Layer[] = [...profileInfraLayers];
  // With no infra.toml, the project is named by agent.toml's [project] name, else the directory;
  // a sandbox from a profile alone is named after the profile.
  if (infraFile) infraLayers.push(layerFrom(infraFile, "project"));
  else if (found) infraLayers.push(directoryNameLayer(paths.main));
  else infraLayers.push(profileOnlyProject(profiles[profiles.length - 1]!));
  const agentName = agentFile ? projectNameLayer(agentFile) : undefined;
  if (agentName) infraLayers.push(agentName);
  if (localFile) infraLayers.push(layerFrom(localFile, "local"));
  infraLayers.push(...infraSets);
  // The file errors without a position fall back to: infra.toml, agent.toml when it is alone, or the profile.
  const mainFile = infraFile?.file ?? agentFile?.file ?? profiles[profiles.length - 1]!.file;
  const secretDefs = [...secretDefinitions(infraLayers, profiles), ...unparsedSecrets];
  const im = mergeLayers(SCHEMAS.infra, infraLayers);
  diags.push(...im.diags);
  if (!hasErrors(im.diags)) diags.push(...validateMerged("infra", im.merged, mainFile));
  if (!hasErrors(diags) && typeof (im.merged.value.project as TomlTable | undefined)?.name !== "string")
    diags.push(error("Missing required option `project.name'", { range: { file: mainFile, start: { line: 1, col: 1 } }, address: "project.name", detail: 'Add a [project] table with `name = ...`. For example:\n  [project]\n  name = "myapp"' }));

  // agent.toml takes part when the repository has one or infra.toml picks an agent backend;
  // then the user's keystone file supplies defaults below the repository's.
  const infraBackend = (im.merged.value.sandbox as TomlTable | undefined)?.backend;
  const agentActive = !!agentFile || AGENT_BACKENDS.some((b) => b === infraBackend);
  let agentMerged: Merged | undefined;
  if (agentActive || profileAgentLayers.length || agentSets.length) {
    const layers = [...profileAgentLayers];
    const userFile = agentActive && paths.xdgConfig ? load(path.join(paths.xdgConfig, USER_AGENT_FILE), "user") : undefined;
    if (userFile) layers.push(layerFrom(userFile, "user"));
    if (agentFile) layers.push(layerFrom(agentFile, "project"));
    layers.push(...agentSets);
    const am = mergeLayers(SCHEMAS.agent, layers);
    diags.push(...am.diags);
    if (!hasErrors(am.diags)) diags.push(...validateMerged("agent", am.merged, agentFile?.file ?? userFile?.file ?? "agent.toml"));
    agentMerged = am.merged;
  }
  const choice = chooseBackend({ infra: im.merged, agent: agentActive ? agentMerged : undefined, repoAgent: !!agentFile, hasServices: Object.keys((im.merged.value.services as TomlTable | undefined) ?? {}).length > 0 });
  diags.push(...choice.diags);
  // Cross-field rules assume well-typed values: only after the schema passed.
  if (!hasErrors(diags)) diags.push(...semanticChecks(im.merged, mainFile), ...ignoredAgentSettings(choice.name, agentMerged));
  if (hasErrors(diags)) return { diags: dedupe(diags), texts, secretDefs };
  const infra = im.merged.value as unknown as InfraConfig;
  const secretRefs: Record<string, string> = {};
  for (const p of profiles) Object.assign(secretRefs, p.secretRefs);
  for (const [k, v] of Object.entries(infra.sandbox?.secrets ?? {})) if (v !== undefined) secretRefs[k] = v;
  return {
    config: {
      infra,
      secretRefs,
      agent: agentMerged?.value as unknown as AgentConfig | undefined,
      infraMerged: im.merged,
      agentMerged,
      profiles,
      files,
      configDir,
      inputs: inputs.values,
      backend: choice.name,
      // Looked up only when an error points at the choice (positions cost a second parse).
      get backendFrom() {
        return choice.from;
      },
      texts,
    },
    diags: dedupe(diags),
    texts,
    secretDefs,
  };
}

/** A sandbox made from a profile alone is named after it, unless the profile names the project. */
function profileOnlyProject(p: ProfileRef): Layer {
  const name = p.id.toLowerCase().replace(/[^a-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "") || "sandbox";
  return { kind: "schema-default", file: p.file, priority: OPTION_DEFAULT, value: { project: { name } } };
}

/** One diagnostic per place and summary (agent.toml's [project] name is checked by both schemas). */
function dedupe(diags: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diags.filter((d) => {
    const k = `${d.severity}:${d.range?.file}:${d.range?.start.line}:${d.range?.start.col}:${d.summary}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Cross-field rules the schema cannot express. */
function semanticChecks(merged: Merged, file: string): Diagnostic[] {
  const diags: Diagnostic[] = [];
  const v = merged.value as unknown as InfraConfig;
  const ports = v.sandbox?.ports ?? {};
  const at = (p: OptionPath) => {
    const exact = merged.keyLocations.get(pathKey(p));
    if (exact && typeof p[p.length - 1] === "number") return { file: exact.file, start: exact.pos };
    const opt = merged.options.get(pathKey(p));
    const d = opt?.defs.find((x) => x.priority === opt.highestPriority);
    const kl = merged.keyLocations.get(pathKey(p));
    if (d?.line) return { file: d.file, start: { line: d.line, col: d.col ?? 1 } };
    if (kl) return { file: kl.file, start: kl.pos };
    return { file, start: { line: 1, col: 1 } };
  };
  const portNames = Object.keys(ports);
  const pv = v.sandbox?.health?.port_var;
  if (pv && !(pv in ports))
    diags.push(error(`Unknown port variable \`${pv}'`, { range: at(["sandbox", "health", "port_var"]), detail: `sandbox.health.port_var must name a key of [sandbox.ports] (${portNames.join(", ") || "none declared"}).` }));
  (v.sandbox?.health?.checks ?? []).forEach((c, i) => {
    if (c.port_var && !(c.port_var in ports))
      diags.push(error(`Unknown port variable \`${c.port_var}'`, { range: at(["sandbox", "health", "checks", i]), detail: `Health check ${c.name ?? i} names a port that is not in [sandbox.ports] (${portNames.join(", ") || "none declared"}).` }));
    if ((c.type === "tcp" || c.type === "http") && !c.port_var && !c.port)
      diags.push(error("Health check without a port", { range: at(["sandbox", "health", "checks", i]), detail: `Add port_var = "<one of ${portNames.join(", ")}>" or port = N.` }));
    if (c.type === "exec" && !c.command) diags.push(error("Exec check without a command", { range: at(["sandbox", "health", "checks", i]), detail: "Add command = \"...\"." }));
  });
  const services = v.services ?? {};
  // Two services on one port variable: the second would die on EADDRINUSE at apply.
  const portUsers = new Map<string, string>();
  for (const [name, svc] of Object.entries(services).sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (!svc?.port) continue;
    const first = portUsers.get(svc.port);
    if (first)
      diags.push(error(`Port variable \`${svc.port}' is used by two services`, { range: at(["services", name, "port"]), detail: `services.${first} and services.${name} both listen on ${svc.port}; the second could not bind it. Declare another port under [sandbox.ports] for one of them.` }));
    else portUsers.set(svc.port, name);
  }
  const slots = slotRange(v);
  const usable = usableSlots(portSpecs(v), slots);
  if (portNames.length && !usable) {
    const worst = portSpecs(v).map((sp) => ({ sp, hi: portsForSlot([sp], slots.min)[sp.name]! })).sort((a, b) => b.hi - a.hi)[0]!;
    diags.push(
      error("No slot gives valid ports", {
        code: "slot",
        range: at(["sandbox", "ports", worst.sp.name]),
        detail: `With these bases and strides every slot from ${slots.min} to ${slots.max} puts a port outside 1-65535 (slot ${slots.min} gives ${worst.sp.name}=${worst.hi}). Lower the base or stride of ${worst.sp.name}.`,
      }),
    );
  }
  for (const [name, svc] of Object.entries(services)) {
    if (!svc) continue;
    if (svc.port && !(svc.port in ports))
      diags.push(error(`Unknown port variable \`${svc.port}'`, { range: at(["services", name, "port"]), detail: `services.${name}.port must name a key of [sandbox.ports] (${portNames.join(", ") || "none declared"}).` }));
    (svc.depends_on ?? []).forEach((dep, i) => {
      if (!(dep in services))
        diags.push(error(`Unknown service \`${dep}'`, { range: at(["services", name, "depends_on", i]), detail: `services.${name}.depends_on names \`${dep}', which is not a [services.*] table. Known: ${Object.keys(services).join(", ")}.` }));
    });
  }
  // Dependency cycles among services.
  const state = new Map<string, number>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    if (state.get(n) === 2) return;
    if (state.get(n) === 1) {
      const cyc = [...stack.slice(stack.indexOf(n)), n];
      diags.push(error("Service dependency cycle", { range: at(["services", n, "depends_on"]), detail: `${cyc.join(" -> ")}. Remove one depends_on entry.` }));
      return;
    }
    state.set(n, 1);
    stack.push(n);
    for (const d of services[n]?.depends_on ?? []) if (d in services) visit(d);
    stack.pop();
    state.set(n, 2);
  };
  for (const n of Object.keys(services)) visit(n);
  // Files: destinations and sources must stay inside their trees (checked again at apply).
  for (const [dest, src] of Object.entries(v.sandbox?.files ?? {})) {
    if (escapes(dest)) diags.push(error("Path escapes the worktree", { range: at(["sandbox", "files", dest]), detail: `${dest}: Destination path escapes worktree: ${dest}. Use a path inside the worktree.` }));
    if (src && escapes(src)) diags.push(error("Path escapes the project root", { range: at(["sandbox", "files", dest]), detail: `${dest}: Source path escapes project root: ${src}. Use a path inside the main repository.` }));
  }
  for (const [i, m] of (v.sandbox?.mounts?.code ?? []).entries())
    if (escapes(m.split(":")[0]!)) diags.push(error("Mount escapes the worktree", { range: at(["sandbox", "mounts", "code", i]), detail: `${m}: the host path must stay inside the worktree.` }));
  return diags;
}

function escapes(p: string): boolean {
  if (path.isAbsolute(p)) return true;
  const n = path.normalize(p);
  return n === ".." || n.startsWith(`..${path.sep}`);
}
