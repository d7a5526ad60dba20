// Detection for `sbx init`, as kinfra does it: the compose file, its services and
// published ports, env and secret candidates, git-ignored files a worktree needs,
// health endpoint candidates and the project name. Pure: file access is injected.

import { parse as parseToml } from "smol-toml";
import { warning, type Diagnostic } from "../diagnostics.js";
import { scanCompose } from "./compose-scan.js";
import { isAmbientOrOwned, isSecretName, normaliseProjectName } from "./names.js";
import type { Detection, EnvCandidate, FileCandidate, HealthCandidate, InitReader, ProjectName, SecretCandidate } from "./types.js";

export interface DetectOptions {
  /** Base name of the repository directory: the last resort for the project name. */
  dirName: string;
  /** Compose file named by an existing infra.toml (`[sandbox] compose_file`), relative to the root. */
  composeFile?: string;
  /** Port variables an existing infra.toml declares (never env candidates). */
  declaredPorts?: readonly string[];
  /** `--health-endpoint`. */
  healthEndpoint?: string;
}

/** Compose's own default names, in the order `docker compose` prefers them. */
export const COMPOSE_NAMES = ["compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"] as const;
const COMPOSE_GLOB = /^(?:\.devops-ai\/)?(?:docker-)?compose[.-][^/]*\.ya?ml$/;
export const OVERRIDE_FILE = /(?:^|\/)(?:docker-)?compose\.override\.ya?ml$/;
export const EXAMPLE_SUFFIXES = [".example", ".sample", ".template"] as const;

export function detect(reader: InitReader, opts: DetectOptions): Detection {
  const diags: Diagnostic[] = [];
  const project = projectName(reader, opts.dirName, diags);
  const found = findCompose(reader, opts.composeFile);
  const det: Detection = { project, otherComposeFiles: found.others, env: [], secrets: [], files: [], health: [], diags };
  if (opts.composeFile && !found.file)
    diags.push(warning("Compose file not found", { detail: `infra.toml names ${opts.composeFile} under [sandbox] compose_file, but it does not exist. Fix the path or create the file.` }));
  if (found.file) {
    det.composeFile = found.file;
    det.compose = scanCompose(reader.read(found.file) ?? "", found.file);
    diags.push(...det.compose.diags);
  }
  const portVars = new Set<string>(opts.declaredPorts ?? []);
  for (const s of det.compose?.services ?? []) for (const p of s.ports) if (p.host.kind === "var") portVars.add(p.host.name);
  const { env, secrets } = variableCandidates(reader, det, portVars);
  det.env = env;
  det.secrets = secrets;
  det.files = fileCandidates(reader, det);
  det.health = healthCandidates(reader, det, opts.healthEndpoint);
  const scripts = packageScripts(reader);
  const script = ["dev", "start"].find((s) => typeof scripts[s] === "string");
  if (script) {
    det.command = `npm run ${script}`;
    det.commandSource = `package.json scripts.${script}`;
  }
  return det;
}

function projectName(reader: InitReader, dirName: string, diags: Diagnostic[]): ProjectName {
  const tries: [string, () => string | undefined][] = [
    [".devops-ai/project.md", () => /^\s*\*\*Name:\*\*\s*(.+?)\s*$/m.exec(reader.read(".devops-ai/project.md") ?? "")?.[1]],
    [
      "pyproject.toml",
      () => {
        const text = reader.read("pyproject.toml");
        if (text === undefined) return undefined;
        try {
          const t = parseToml(text) as { project?: { name?: unknown }; tool?: { poetry?: { name?: unknown } } };
          const n = t.project?.name ?? t.tool?.poetry?.name;
          return typeof n === "string" ? n : undefined;
        } catch (e) {
          diags.push(warning("Unreadable pyproject.toml", { range: { file: "pyproject.toml", start: { line: 1, col: 1 } }, detail: `${(e as Error).message.split("\n")[0]}; the project name comes from elsewhere.` }));
          return undefined;
        }
      },
    ],
    [
      "package.json",
      () => {
        const text = reader.read("package.json");
        if (text === undefined) return undefined;
        try {
          const n = (JSON.parse(text) as { name?: unknown }).name;
          return typeof n === "string" ? n : undefined;
        } catch (e) {
          diags.push(warning("Unreadable package.json", { range: { file: "package.json", start: { line: 1, col: 1 } }, detail: `${(e as Error).message}; the project name comes from elsewhere.` }));
          return undefined;
        }
      },
    ],
    ["directory", () => dirName],
  ];
  for (const [origin, get] of tries) {
    const n = normaliseProjectName(get() ?? "");
    if (n) return { name: n, origin };
  }
  return { name: "app", origin: "default" };
}

function packageScripts(reader: InitReader): Record<string, unknown> {
  const text = reader.read("package.json");
  if (text === undefined) return {};
  try {
    const s = (JSON.parse(text) as { scripts?: unknown }).scripts;
    return s !== null && typeof s === "object" ? (s as Record<string, unknown>) : {};
  } catch (e) {
    if (e instanceof SyntaxError) return {}; // already reported by projectName
    throw e;
  }
}

function findCompose(reader: InitReader, named?: string): { file?: string; others: string[] } {
  const candidates = [...COMPOSE_NAMES, ...COMPOSE_NAMES.map((n) => `.devops-ai/${n}`), ...reader.list().filter((f) => COMPOSE_GLOB.test(f)).sort()];
  const present = [...new Set(candidates)].filter((f) => reader.read(f) !== undefined);
  if (named !== undefined) {
    const file = reader.read(named) !== undefined ? named : undefined;
    return { file, others: present.filter((f) => f !== named) };
  }
  // An override file only adds to a base file; it is never the one to run.
  const file = present.find((f) => !OVERRIDE_FILE.test(f));
  return { ...(file ? { file } : {}), others: present.filter((f) => f !== file) };
}

/** `KEY=value` lines of a dotenv-style example file (comments, `export`, quotes). */
export function parseEnvExample(text: string): { name: string; value: string; line: number }[] {
  const out: { name: string; value: string; line: number }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(raw);
    if (!m) return;
    let v = m[2]!.trim();
    const q = v[0];
    if ((q === '"' || q === "'") && v.lastIndexOf(q) > 0) v = v.slice(1, v.lastIndexOf(q));
    else v = v.replace(/\s+#.*$/, "");
    out.push({ name: m[1]!, value: v, line: i + 1 });
  });
  return out;
}

function exampleEnvFiles(reader: InitReader, det: Detection): string[] {
  const bases = new Set<string>([".env"]);
  for (const s of det.compose?.services ?? []) for (const h of s.hostPaths) if (h.kind === "env_file") bases.add(h.path);
  const out: string[] = [];
  for (const b of bases) for (const suf of EXAMPLE_SUFFIXES) if (reader.read(b + suf) !== undefined) out.push(b + suf);
  return out;
}

function variableCandidates(reader: InitReader, det: Detection, portVars: ReadonlySet<string>): { env: EnvCandidate[]; secrets: SecretCandidate[] } {
  const env = new Map<string, EnvCandidate>();
  const secrets = new Map<string, SecretCandidate>();
  const consider = (name: string, value: string | undefined, source: string) => {
    if (portVars.has(name) || isAmbientOrOwned(name)) return;
    if (isSecretName(name)) {
      if (!secrets.has(name)) secrets.set(name, { name, source });
      return;
    }
    const had = env.get(name);
    if (!had) env.set(name, { name, ...(value !== undefined ? { value } : {}), source });
    else if (had.value === undefined && value !== undefined) env.set(name, { ...had, value });
  };
  for (const v of det.compose?.vars ?? []) {
    const plainDefault = (v.op === ":-" || v.op === "-") && v.arg !== undefined && !v.arg.includes("$") ? v.arg : undefined;
    consider(v.name, plainDefault, `${det.composeFile}:${v.pos.line}`);
  }
  for (const f of exampleEnvFiles(reader, det))
    for (const e of parseEnvExample(reader.read(f) ?? "")) consider(e.name, e.value === "" ? undefined : e.value, `${f}:${e.line}`);
  const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return { env: [...env.values()].sort(byName), secrets: [...secrets.values()].sort(byName) };
}

function fileCandidates(reader: InitReader, det: Detection): FileCandidate[] {
  const out = new Map<string, FileCandidate>();
  const sourceFor = (dest: string): string | undefined => {
    if (reader.read(dest) !== undefined) return dest;
    return EXAMPLE_SUFFIXES.map((s) => dest + s).find((e) => reader.read(e) !== undefined);
  };
  for (const s of det.compose?.services ?? [])
    for (const h of s.hostPaths) {
      // A directory-only pattern (`data/`) matches a missing path only when asked as a directory.
      if (out.has(h.path) || !(reader.isIgnored(h.path) || (h.kind === "bind" && reader.isIgnored(`${h.path}/`)))) continue;
      const source = sourceFor(h.path);
      const what = h.kind === "bind" ? "bind mount" : "env_file";
      out.set(h.path, { dest: h.path, ...(source ? { source } : {}), reason: `git-ignored ${what} of services.${s.name} (${det.composeFile}:${h.pos.line})` });
    }
  for (const f of reader.list()) {
    const suf = EXAMPLE_SUFFIXES.find((s) => f.endsWith(s));
    if (!suf) continue;
    const dest = f.slice(0, -suf.length);
    if (!dest || dest.endsWith("/") || out.has(dest) || !reader.isIgnored(dest)) continue;
    out.set(dest, { dest, source: reader.read(dest) !== undefined ? dest : f, reason: `git-ignored, with ${f} as its template` });
  }
  return [...out.values()].sort((a, b) => (a.dest < b.dest ? -1 : 1));
}

const SOURCE_EXT = /\.(?:[cm]?[jt]sx?|py|go|rb|java|kt|rs|php|cs|ex|exs|scala)$/;
const SKIP_DIR = /(?:^|\/)(?:node_modules|vendor|dist|build|\.venv|venv|__pycache__|test|tests|spec|__tests__)\//;
/** Route literals worth proposing, best first. */
const ROUTES = ["/health", "/healthz", "/api/health", "/api/v1/health", "/api/healthz", "/readyz", "/ready", "/livez", "/ping", "/status"];
const ROUTE_LITERAL = new RegExp(`["'\`](${ROUTES.map((r) => r.replace(/\//g, "\\/")).join("|")})["'\`]`);
const MAX_SOURCE_FILES = 400;
const MAX_SOURCE_BYTES = 256 * 1024;

function healthCandidates(reader: InitReader, det: Detection, flag?: string): HealthCandidate[] {
  const out: HealthCandidate[] = [];
  if (flag) out.push({ endpoint: flag.startsWith("/") ? flag : `/${flag}`, origin: "flag", evidence: "--health-endpoint" });
  for (const s of det.compose?.services ?? [])
    for (const h of s.health) out.push({ endpoint: h.path, service: s.name, containerPort: h.port, origin: "healthcheck", evidence: `services.${s.name}.healthcheck (${det.composeFile}:${h.pos.line})` });
  let best: { route: string; where: string } | undefined;
  const files = reader.list().filter((f) => SOURCE_EXT.test(f) && !SKIP_DIR.test(f)).sort().slice(0, MAX_SOURCE_FILES);
  for (const f of files) {
    const text = reader.read(f);
    if (text === undefined || text.length > MAX_SOURCE_BYTES) continue;
    const m = ROUTE_LITERAL.exec(text);
    if (!m) continue;
    const route = m[1]!;
    if (!best || ROUTES.indexOf(route) < ROUTES.indexOf(best.route)) best = { route, where: `${f}:${text.slice(0, m.index).split("\n").length}` };
  }
  if (best) out.push({ endpoint: best.route, origin: "source", evidence: `route "${best.route}" in ${best.where}` });
  return out;
}
