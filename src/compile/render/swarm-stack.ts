// The compose file rewritten for `docker stack deploy`, which reads no `.env` file:
// every `${VAR}` is resolved here from the slot's env (and the result escaped, so the
// deploy interpolates nothing again); ports become long-form `mode: host` (the ingress
// routing mesh is not used); relative bind mounts, env files, config and secret files
// become absolute worktree paths (the copy lives in the state dir); label and env lists
// become maps so the override merges into them. What Swarm cannot do is reported,
// located in the compose file.

import * as path from "node:path";
import { LineCounter, isMap, isSeq, parseDocument, stringify, type Document, type Node } from "yaml";
import { escapeComposeVars, interpolateCompose } from "../compose-vars.js";
import { error, warning, type Diagnostic, type SourceRange } from "../diagnostics.js";

export interface SwarmPort {
  target: number;
  published?: number;
  protocol: string;
}

export interface SwarmService {
  name: string;
  replicas: number | "global";
  /** Keys of the service's own environment (the override never overrides them). */
  envKeys: string[];
  ports: SwarmPort[];
}

export interface SwarmRewrite {
  /** The copy to deploy. */
  text: string;
  /** The `version:` of the copy, which the override must repeat (stack deploy refuses a mismatch). */
  version?: string;
  services: SwarmService[];
  /** Top-level objects the stack creates (not `external`), which get owner labels. */
  networks: string[];
  volumes: string[];
  configs: string[];
  secrets: string[];
  diags: Diagnostic[];
}

export interface SwarmRewriteInput {
  text: string;
  /** The compose file's name in diagnostics. */
  file: string;
  /** The slot's env: COMPOSE_PROJECT_NAME, ports, [sandbox.env]. */
  env: Readonly<Record<string, string>>;
  /** [sandbox.secrets] names: referencing one would put its value in the service spec. */
  secretNames: ReadonlySet<string>;
  /** Absolute directory of the compose file in the worktree (relative paths resolve there). */
  composeDir: string;
  /**
   * Owner labels for every network (the stack's `default` too), volume, config and secret the
   * stack creates. They go in the copy: an override may not name a config or secret without
   * its `file:` (docker stack deploy reads each file on its own).
   */
  labels: Readonly<Record<string, string>>;
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };
type Path = (string | number)[];

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Options `docker stack deploy` ignores ("Ignoring unsupported options"), with what to use instead. */
const IGNORED: Record<string, string> = {
  restart: "use deploy.restart_policy",
  cap_add: "Swarm services cannot add capabilities on this engine",
  cap_drop: "Swarm services cannot drop capabilities on this engine",
  cgroup_parent: "",
  devices: "",
  external_links: "",
  links: "services reach each other by name on the stack's network",
  network_mode: "services join the stack's overlay networks",
  privileged: "",
  security_opt: "",
  userns_mode: "",
};

class Locator {
  constructor(
    private readonly doc: Document,
    private readonly lc: LineCounter,
    private readonly file: string,
  ) {}

  /** The range of the node at `p`, or of its nearest ancestor that has one. */
  at(p: Path): SourceRange {
    for (let n = p.length; n >= 0; n--) {
      const node = n ? (this.doc.getIn(p.slice(0, n), true) as Node | undefined) : (this.doc.contents as Node | null);
      const off = node?.range?.[0];
      if (off !== undefined) {
        const pos = this.lc.linePos(off);
        return { file: this.file, start: { line: pos.line, col: pos.col } };
      }
    }
    return { file: this.file, start: { line: 1, col: 1 } };
  }
}

/** `["A=1", "B"]` or `{A: 1}` → `{A: "1", B: null}`. */
function toMap(v: Json | undefined): Obj {
  if (Array.isArray(v)) {
    const out: Obj = {};
    for (const item of v) {
      const s = String(item);
      const eq = s.indexOf("=");
      if (eq < 0) out[s] = null;
      else out[s.slice(0, eq)] = s.slice(eq + 1);
    }
    return out;
  }
  if (isObj(v)) {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) out[k] = x === null || typeof x === "object" ? x : String(x);
    return out;
  }
  return {};
}

const PORT = /^(?:(\[[^\]]*\]|\d{1,3}(?:\.\d{1,3}){3}):)?(?:([^:]*):)?([^:/]+)(?:\/([a-z]+))?$/;

export function rewriteForSwarm(input: SwarmRewriteInput): SwarmRewrite {
  const lc = new LineCounter();
  const doc = parseDocument(input.text, { lineCounter: lc, prettyErrors: false, version: "1.1", merge: true });
  const empty: SwarmRewrite = { text: "", services: [], networks: [], volumes: [], configs: [], secrets: [], diags: [] };
  // Syntax errors and a missing `services:` are lintCompose's to report.
  if (doc.errors.length || !isMap(doc.get("services", true))) return empty;
  const loc = new Locator(doc, lc, input.file);
  const diags: Diagnostic[] = [];
  const warnedUnset = new Set<string>();
  const secretUse = new Set<string>();

  const expand = (v: Json, p: Path): Json => {
    if (typeof v === "string") {
      const r = interpolateCompose(v, (name) => (Object.prototype.hasOwnProperty.call(input.env, name) ? input.env[name] : undefined));
      for (const name of r.used)
        if (input.secretNames.has(name) && !secretUse.has(`${name}@${p.join(".")}`)) {
          secretUse.add(`${name}@${p.join(".")}`);
          diags.push(
            error(`Secret \`${name}' would be visible in \`docker service inspect'`, {
              range: loc.at(p),
              detail: `${p.join(".")} interpolates the [sandbox.secrets] value ${name}; on the swarm backend sbx never puts a secret value in a service spec. Every service gets it as the file ${`/run/secrets/${name}`} (and ${name}_FILE=/run/secrets/${name} in its env): read it from there, and remove \${${name}} here.`,
            }),
          );
        }
      for (const name of r.unset)
        if (!input.secretNames.has(name) && !warnedUnset.has(name)) {
          warnedUnset.add(name);
          diags.push(
            warning(`Variable \`${name}' is not set`, {
              range: loc.at(p),
              detail: `docker stack deploy reads no .env file, so sbx resolves the compose file's variables from the slot's env (COMPOSE_PROJECT_NAME, [sandbox.ports], [sandbox.env]), not from your shell; ${name} becomes an empty string. Add it to [sandbox.env], or give a default: \${${name}:-value}.`,
            }),
          );
        }
      for (const e of r.errors) diags.push(error("Bad interpolation", { range: loc.at(p), detail: `In ${p.join(".")}: ${e}.` }));
      return escapeComposeVars(r.value);
    }
    if (Array.isArray(v)) return v.map((x, i) => expand(x, [...p, i]));
    if (isObj(v)) {
      const out: Obj = {};
      for (const [k, x] of Object.entries(v)) out[k] = expand(x, [...p, k]);
      return out;
    }
    return v;
  };

  const js = expand(doc.toJS({ maxAliasCount: 1000 }) as Json, []) as Obj;
  const abs = (p: string) => (p.startsWith(".") ? path.join(input.composeDir, p) : p);

  // version: stack deploy needs 3.x, and the same string in every -c file.
  let version: string | undefined;
  if (js.version !== undefined) {
    const v = String(js.version);
    const m = /^3(?:\.(\d+))?$/.exec(v);
    if (!m) diags.push(error(`Compose file version ${v} cannot be deployed to Swarm`, { range: loc.at(["version"]), detail: "docker stack deploy reads version 3 files. Set version: \"3.8\" (or remove the line) and move options Swarm lacks into deploy:." }));
    // Secrets with external `name:` need 3.5.
    version = m && Number(m[1] ?? 0) >= 5 ? v : "3.8";
    js.version = version;
  }

  const services: SwarmService[] = [];
  for (const [name, raw] of Object.entries(isObj(js.services) ? js.services : {})) {
    if (!isObj(raw)) continue;
    const s = raw;
    const at = (...p: Path) => loc.at(["services", name, ...p]);
    if (s.build !== undefined) {
      if (s.image === undefined)
        diags.push(error("Swarm cannot build images", { range: at("build"), detail: `services.${name} has build: and no image:. docker stack deploy ignores build:; build the image first (docker build -t NAME .) and name it in image:, on every node.` }));
      else diags.push(warning("build: is ignored on Swarm", { range: at("build"), detail: `docker stack deploy runs image ${String(s.image)} as it is on the node; build it first (docker build) when the source changes.` }));
      delete s.build;
    }
    for (const [opt, hint] of Object.entries(IGNORED))
      if (s[opt] !== undefined) diags.push(warning(`${opt}: is ignored on Swarm`, { range: at(opt), detail: `docker stack deploy ignores services.${name}.${opt}${hint ? `; ${hint}` : ""}.` }));
    if (s.depends_on !== undefined) {
      const conditions = isObj(s.depends_on) && Object.values(s.depends_on).some((d) => isObj(d) && d.condition !== undefined);
      diags.push(
        warning(conditions ? "depends_on conditions are ignored on Swarm" : "depends_on is ignored on Swarm", {
          range: at("depends_on"),
          detail: `Swarm starts services in no particular order${conditions ? " and never waits for service_healthy or service_completed_successfully" : ""}; make services retry their dependencies, and use [sandbox.health] checks to wait for the stack.`,
        }),
      );
      delete s.depends_on;
    }
    s.environment = toMap(s.environment);
    if (s.labels !== undefined) s.labels = toMap(s.labels);
    const deploy = isObj(s.deploy) ? s.deploy : undefined;
    if (deploy?.labels !== undefined) deploy.labels = toMap(deploy.labels);
    if (typeof s.env_file === "string") s.env_file = abs(s.env_file);
    else if (Array.isArray(s.env_file)) s.env_file = s.env_file.map((f) => (typeof f === "string" ? abs(f) : isObj(f) && typeof f.path === "string" ? { ...f, path: abs(f.path) } : f));
    if (Array.isArray(s.volumes))
      s.volumes = s.volumes.map((v) => {
        if (typeof v === "string") {
          const parts = v.split(":");
          return parts.length >= 2 && parts[0]!.startsWith(".") ? [abs(parts[0]!), ...parts.slice(1)].join(":") : v;
        }
        if (isObj(v) && v.type === "bind" && typeof v.source === "string") return { ...v, source: abs(v.source) };
        return v;
      });
    const ports: SwarmPort[] = [];
    if (Array.isArray(s.ports))
      s.ports = s.ports.map((p, i) => {
        const long = (target: number, published: number | undefined, protocol: string): Obj => {
          ports.push({ target, ...(published !== undefined ? { published } : {}), protocol });
          return { target, ...(published !== undefined ? { published } : {}), protocol, mode: "host" };
        };
        if (isObj(p)) {
          if (p.mode === "ingress") diags.push(warning("Port in ingress mode published in host mode", { range: at("ports", i), detail: "sbx publishes every port in host mode: the ingress routing mesh may be unavailable (it is on one-node swarms without a working overlay), and host mode answers on the node itself." }));
          if (p.host_ip !== undefined) diags.push(warning("host_ip is ignored on Swarm", { range: at("ports", i), detail: "Swarm publishes a port on every interface of the node." }));
          const published = p.published === undefined || p.published === "" ? undefined : Number(p.published);
          return long(Number(p.target), published, typeof p.protocol === "string" ? p.protocol : "tcp");
        }
        const m = PORT.exec(String(p));
        if (!m || /-/.test(m[2] ?? "") || /-/.test(m[3]!) || Number.isNaN(Number(m[3])) || (m[2] && Number.isNaN(Number(m[2])))) {
          diags.push(error("Port form Swarm cannot publish", { range: at("ports", i), detail: `services.${name}.ports has "${String(p)}". Use "\${SOME_PORT:-8080}:80" (one host port per container port; no ranges).` }));
          return p;
        }
        if (m[1]) diags.push(warning("Host address is ignored on Swarm", { range: at("ports", i), detail: `Swarm publishes ${m[2] || m[3]} on every interface of the node, not only ${m[1]}.` }));
        return long(Number(m[3]), m[2] ? Number(m[2]) : undefined, m[4] ?? "tcp");
      });
    const replicas: number | "global" = deploy?.mode === "global" ? "global" : deploy?.replicas !== undefined ? Number(deploy.replicas) : 1;
    if (ports.some((p) => p.published !== undefined) && (replicas === "global" ? false : replicas > 1))
      diags.push(
        warning("Replicas share a host-mode port", {
          range: at("deploy", "replicas"),
          detail: `services.${name} runs ${replicas} replicas that publish the same host port in host mode; one node can run only one of them. Use one replica, or spread them with deploy.placement.max_replicas_per_node: 1 on a multi-node swarm.`,
        }),
      );
    services.push({ name, replicas, envKeys: Object.keys(s.environment as Obj), ports });
  }

  const owned = (key: "networks" | "volumes" | "configs" | "secrets"): string[] => {
    const out: string[] = [];
    const section = js[key];
    if (!isObj(section)) return out;
    for (const [n, raw] of Object.entries(section)) {
      if (isObj(raw) && raw.external !== undefined && raw.external !== false) continue;
      const def: Obj = isObj(raw) ? raw : {};
      def.labels = { ...toMap(def.labels), ...input.labels };
      if (typeof def.file === "string") def.file = abs(def.file);
      section[n] = def;
      out.push(n);
    }
    return out;
  };
  // The network a stack makes when a service names none; labelled like the rest (unused, it is never created).
  if (!isObj(js.networks)) js.networks = {};
  if (!(js.networks as Obj).default) (js.networks as Obj).default = {};
  const networks = owned("networks");
  const volumes = owned("volumes");
  const configs = owned("configs");
  const secrets = owned("secrets");

  const header = `# Generated by sbx from ${input.file} for docker stack deploy: do not edit.\n# Variables resolved from the slot's env ($$ escapes the result), ports in host mode, paths absolute,\n# owner labels on the networks, volumes, configs and secrets the stack creates.\n\n`;
  const text = header + stringify(js, { lineWidth: 0, version: "1.1", aliasDuplicateObjects: false });
  return { text, ...(version ? { version } : {}), services, networks, volumes, configs, secrets, diags };
}
