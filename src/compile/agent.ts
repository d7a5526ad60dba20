// agent.toml beside (or instead of) infra.toml: the user-level keystone file as a layer of
// defaults, the project name of a repository that has only an agent.toml, which backend a
// configuration selects, and the agent settings that backend cannot honour. Pure.

import * as path from "node:path";
import { error, warning, type Diagnostic, type SourceRange } from "./diagnostics.js";
import type { LoadedFile, TomlTable } from "./load.js";
import { locate, showDef, type Def, type Layer, type Merged } from "./merge.js";
import { formatPath, pathKey, type OptionPath } from "./path.js";
import { LAYER_PRIORITY } from "./priority.js";

/** keystone's location of the user's agent.toml, under $XDG_CONFIG_HOME (default ~/.config). */
export const USER_AGENT_FILE = path.join("keystone", "agent.toml");

/** Backends that run an agent.toml sandbox (the others ignore agent settings). */
export const AGENT_BACKENDS = ["microvm", "kubernetes"] as const;

/** The backend when agent.toml is present and nothing names one: keystone's default. */
export const DEFAULT_AGENT_BACKEND = "microvm";

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * A project name from a directory name, fitted to the schema's pattern: characters outside
 * letters, digits, `_`, `.` and `-` become `-`, leading ones that cannot start a name are
 * dropped; "sandbox" when nothing is left.
 */
export function projectNameFromDirectory(dir: string): string {
  const name = path
    .basename(dir)
    .replace(/[^A-Za-z0-9_.-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "");
  return NAME_PATTERN.test(name) ? name : "sandbox";
}

/** agent.toml's `[project] name` as a definition of infra's `project.name`, at the same priority. */
export function projectNameLayer(agent: LoadedFile): Layer | undefined {
  const project = agent.value.project;
  if (!project || typeof project !== "object" || Array.isArray(project) || typeof (project as TomlTable).name !== "string") return undefined;
  return {
    kind: "project",
    file: agent.file,
    priority: LAYER_PRIORITY.project,
    value: { project: { name: (project as TomlTable).name! } },
    keyPos: (p) => agent.keyPos.get(pathKey(p)),
    valuePos: (p) => agent.valuePos.get(pathKey(p)),
  };
}

/** The main repository's directory name as `project.name`, below every file (priority 1500). */
export function directoryNameLayer(main: string): Layer {
  return { kind: "derived", file: `(name of directory ${main})`, priority: LAYER_PRIORITY.derived, value: { project: { name: projectNameFromDirectory(main) } } };
}

function winning(merged: Merged | undefined, p: OptionPath): { value: string; defs: Def[]; priority: number } | undefined {
  const opt = merged?.options.get(pathKey(p));
  if (!opt || typeof opt.value !== "string") return undefined;
  return { value: opt.value, defs: opt.defs.filter((d) => d.priority === opt.highestPriority), priority: opt.highestPriority };
}

/** `- In `agent.toml:3:8' (project, priority 100): backend.type = "microvm"`. */
function defLine(d: Def, option: string): string {
  const marker = "\u0001";
  return showDef({ ...d, value: marker }).replace(JSON.stringify(marker), `${option} = ${JSON.stringify(d.value)}`);
}

function rangeOf(merged: Merged, p: OptionPath): SourceRange | undefined {
  const l = locate(merged, p);
  return l && l.pos.line > 0 ? { file: l.file, start: l.pos } : undefined;
}

export interface BackendChoice {
  name: string;
  /** Where the choice was made, when a file made it (for "not built yet" and similar errors). */
  from?: SourceRange;
  diags: Diagnostic[];
}

/**
 * Which backend runs the sandbox. infra.toml's `sandbox.backend` and agent.toml's
 * `[backend] type` define the same choice: the better priority wins (a profile's or the
 * user file's default yields to a project file), and two different values at the same
 * priority are a conflict naming both places. Otherwise: agent.toml present → microvm
 * (keystone's default); [services] → process; else compose (kinfra's default).
 */
export function chooseBackend(o: { infra: Merged; agent?: Merged; repoAgent: boolean; hasServices: boolean }): BackendChoice {
  const ib = winning(o.infra, ["sandbox", "backend"]);
  const ab = o.agent ? winning(o.agent, ["backend", "type"]) : undefined;
  // Where the choice was made is looked up only when an error points at it (positions cost a parse).
  const fromInfra: BackendChoice = {
    name: ib?.value ?? "",
    get from() {
      return rangeOf(o.infra, ["sandbox", "backend"]);
    },
    diags: [],
  };
  const agent = o.agent;
  const fromAgent: BackendChoice = {
    name: ab?.value ?? "",
    get from() {
      return agent ? rangeOf(agent, ["backend", "type"]) : undefined;
    },
    diags: [],
  };
  if (ib && ab && ib.value !== ab.value) {
    if (ib.priority < ab.priority) return fromInfra;
    if (ab.priority < ib.priority) return fromAgent;
    return {
      name: ib.value,
      from: fromInfra.from,
      diags: [
        error("Two backends chosen", {
          range: fromAgent.from ?? fromInfra.from,
          address: "backend.type",
          detail:
            `agent.toml's [backend] type and infra.toml's sandbox.backend choose the sandbox's backend, and they disagree at priority ${ib.priority}:\n` +
            [...ab.defs.map((d) => defLine(d, "backend.type")), ...ib.defs.map((d) => defLine(d, "sandbox.backend"))].join("\n") +
            "\nRemove one of them, or make them agree.",
        }),
      ],
    };
  }
  if (ib) return fromInfra;
  if (ab) return fromAgent;
  if (o.repoAgent) return { name: DEFAULT_AGENT_BACKEND, diags: [] };
  return { name: o.hasServices ? "process" : "compose", diags: [] };
}

/** Agent options each backend cannot honour (beyond: non-agent backends honour none). */
const UNSUPPORTED: Record<string, (p: OptionPath, v: unknown) => string | undefined> = {
  microvm: (p, v) => {
    const k = formatPath(p);
    if (k === "defaults.sync_mode" && v !== "manual") return "the worktree is shared live at /workspace (virtiofs), so there is nothing to sync";
    if (k === "defaults.sync_idle_seconds") return "the worktree is shared live, so there is nothing to sync";
    if (k === "defaults.env_files") return "the worktree, .env files included, is shared live at /workspace";
    if (p[0] === "proxy") return "sbx does not run keystone's proxy; reach services through backend.microvm.forward_ports";
    if (p[0] === "backend" && p[1] === "kubernetes") return "it configures the kubernetes backend";
    return undefined;
  },
  kubernetes: () => undefined,
};

/**
 * Agent settings the chosen backend ignores, as one located warning (never dropped in
 * silence). Only definitions from the repository's files and --set count: profiles and the
 * user's keystone file hold defaults meant for many projects.
 */
export function ignoredAgentSettings(backend: string, agent: Merged | undefined): Diagnostic[] {
  if (!agent) return [];
  const why = UNSUPPORTED[backend];
  const lines: string[] = [];
  let first: SourceRange | undefined;
  for (const opt of [...agent.options.values()].sort((a, b) => (pathKey(a.path) < pathKey(b.path) ? -1 : 1))) {
    const p = opt.path;
    if (p[0] === "project" || p[0] === "profile" || p[0] === "extends" || formatPath(p) === "backend.type") continue;
    const own = opt.defs.filter((d) => d.layer === "project" || d.layer === "local" || d.layer === "cli");
    if (!own.length) continue;
    const reason = why ? why(p, opt.value) : `the ${backend} backend runs no agent VM`;
    if (!reason) continue;
    const d = own[0]!;
    const at = d.line ? `${d.file}:${d.line}:${d.col ?? 1}` : d.file;
    if (!first && d.line) first = { file: d.file, start: { line: d.line, col: d.col ?? 1 } };
    lines.push(`- ${formatPath(p)} (${at}): ${reason}`);
  }
  if (!lines.length) return [];
  const n = lines.length;
  return [
    warning(`${n} agent setting${n === 1 ? " is" : "s are"} ignored by the ${backend} backend`, {
      range: first,
      detail: `${lines.join("\n")}\n${AGENT_BACKENDS.includes(backend as (typeof AGENT_BACKENDS)[number]) ? "Remove them to silence this warning." : 'Remove them, or choose an agent backend: [backend] type = "microvm" in agent.toml (and no other sandbox.backend in infra.toml).'}`,
    }),
  ];
}
