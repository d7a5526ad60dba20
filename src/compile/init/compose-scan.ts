// Reads a compose file the way init needs it: services, every published port with its
// position, interpolated variables, healthcheck URLs, host paths and literal env values.

import * as path from "node:path";
import { LineCounter, parseDocument, isAlias, isMap, isScalar, isSeq, type Document, type Node, type Scalar, type YAMLMap } from "yaml";
import { error, type Diagnostic, type SourcePos } from "../diagnostics.js";
import { isSecretName } from "./names.js";
import { parseHostPort, scanRefsDeep, splitShortSpec } from "./port-spec.js";
import type { ComposeScan, EnvLiteral, HealthUrl, HostPathUse, PortUse, ServiceScan, VarUse } from "./types.js";

export interface ParsedCompose {
  doc: Document.Parsed;
  lc: LineCounter;
  file: string;
  diags: Diagnostic[];
  services?: YAMLMap;
}

/** Parse compose text with a line counter; YAML errors become located diagnostics. */
export function parseCompose(text: string, file: string): ParsedCompose {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const diags: Diagnostic[] = [];
  for (const e of doc.errors) {
    const p = lc.linePos(e.pos[0]);
    diags.push(error("Invalid compose file", { range: { file, start: { line: p.line, col: p.col } }, detail: `${e.message.split("\n")[0]}. Fix the YAML syntax.` }));
  }
  if (diags.length) return { doc, lc, file, diags };
  const services = doc.get("services", true);
  if (!isMap(services)) {
    diags.push(error("Compose file has no services", { range: { file, start: { line: 1, col: 1 } }, detail: "Add a top-level `services:` mapping." }));
    return { doc, lc, file, diags };
  }
  return { doc, lc, file, diags, services };
}

export function posOf(lc: LineCounter, node: Node | null | undefined): SourcePos {
  const p = lc.linePos(node?.range?.[0] ?? 0);
  return { line: p.line, col: p.col };
}

function keyName(key: unknown): string {
  return String(isScalar(key) ? key.value : key);
}

/** One `ports:` entry with its nodes: `target` is the scalar that holds the host port text. */
export interface PortNode {
  item: Node;
  target?: Scalar;
  /** True inside a flow collection (`[...]`, `{...}`), where a plain `${...}` would not parse. */
  flow: boolean;
  use: PortUse;
}

/** Follow an alias to its anchored node (a shared `ports:` list is rewritten where it is defined). */
function deref(parsed: ParsedCompose, node: unknown): unknown {
  return isAlias(node) ? node.resolve(parsed.doc) : node;
}

/** Every published-port entry of every service, in document order (aliases followed to their anchor). */
export function portNodes(parsed: ParsedCompose): PortNode[] {
  const out: PortNode[] = [];
  for (const pair of parsed.services?.items ?? []) {
    const service = keyName(pair.key);
    const svc = pair.value;
    if (!isMap(svc)) continue;
    const ports = deref(parsed, svc.get("ports", true));
    if (!isSeq(ports)) continue;
    ports.items.forEach((node, index) => {
      const item = deref(parsed, node);
      if (isScalar(item)) {
        const raw = String(item.value);
        if (typeof item.value !== "string") {
          out.push({ item, flow: Boolean(ports.flow), use: { service, index, form: "short", raw, host: { kind: "ephemeral" }, container: raw, pos: posOf(parsed.lc, item) } });
          return;
        }
        const s = splitShortSpec(raw);
        const host = s.hostText === undefined ? { kind: "ephemeral" as const } : parseHostPort(s.hostText);
        const use: PortUse = { service, index, form: "short", raw, host, container: s.container, pos: posOf(parsed.lc, item) };
        if (s.hostIp !== undefined) use.hostIp = s.hostIp;
        if (s.protocol !== undefined) use.protocol = s.protocol;
        out.push({ item, target: item, flow: Boolean(ports.flow), use });
      } else if (isMap(item)) {
        const pub = item.get("published", true);
        const target = item.get("target");
        const hostIp = item.get("host_ip");
        const protocol = item.get("protocol");
        const pubScalar = isScalar(pub) ? pub : undefined;
        const raw = pubScalar ? String(pubScalar.value ?? "") : "";
        const host = pubScalar === undefined || pubScalar.value === null ? { kind: "ephemeral" as const } : parseHostPort(raw);
        const use: PortUse = { service, index, form: "long", raw, host, container: target === undefined ? "" : String(target), pos: posOf(parsed.lc, pubScalar ?? item) };
        if (hostIp !== undefined && hostIp !== null) use.hostIp = String(hostIp);
        if (protocol !== undefined && protocol !== null) use.protocol = String(protocol);
        out.push({ item, ...(pubScalar ? { target: pubScalar } : {}), flow: Boolean(ports.flow || item.flow), use });
      }
    });
  }
  return out;
}

const HEALTH_URL = /https?:\/\/(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::(\d+))?(\/[^\s'"|;&)`]*)?/;

function healthUrls(parsed: ParsedCompose, service: string, svc: YAMLMap): HealthUrl[] {
  const hc = svc.get("healthcheck", true);
  if (!isMap(hc)) return [];
  const test = hc.get("test", true);
  const parts: Scalar[] = isSeq(test) ? test.items.filter(isScalar) : isScalar(test) ? [test] : [];
  const text = parts.map((p) => String(p.value)).join(" ");
  const m = HEALTH_URL.exec(text);
  if (!m || m[0].startsWith("https")) return [];
  return [{ service, port: m[1] ? Number(m[1]) : 80, path: m[2] ?? "/", pos: posOf(parsed.lc, test as Node) }];
}

/** A relative host path as seen from the repository root; undefined for named volumes, absolute or interpolated paths. */
function repoPath(composeDir: string, src: string): string | undefined {
  if (!src.startsWith(".") || src.includes("$")) return undefined;
  const rel = path.posix.normalize(path.posix.join(composeDir, src)).replace(/\/+$/, "");
  if (rel === "." || rel === ".." || rel.startsWith("../")) return undefined;
  return rel;
}

function hostPaths(parsed: ParsedCompose, service: string, svc: YAMLMap): HostPathUse[] {
  const dir = path.posix.dirname(parsed.file);
  const out: HostPathUse[] = [];
  const add = (kind: HostPathUse["kind"], src: string | undefined, node: Node) => {
    const p = src === undefined ? undefined : repoPath(dir, kind === "env_file" && !src.startsWith(".") && !src.startsWith("/") ? `./${src}` : src);
    if (p) out.push({ service, kind, path: p, pos: posOf(parsed.lc, node) });
  };
  const vols = svc.get("volumes", true);
  if (isSeq(vols))
    for (const v of vols.items) {
      if (isScalar(v) && typeof v.value === "string") add("bind", v.value.split(":")[0], v);
      else if (isMap(v) && v.get("type") === "bind") add("bind", String(v.get("source") ?? ""), v);
    }
  const ef = svc.get("env_file", true);
  const entries = isSeq(ef) ? ef.items : ef ? [ef] : [];
  for (const e of entries) {
    if (isScalar(e) && typeof e.value === "string") add("env_file", e.value, e);
    else if (isMap(e) && typeof e.get("path") === "string") add("env_file", String(e.get("path")), e);
  }
  return out;
}

function envLiterals(parsed: ParsedCompose, service: string, svc: YAMLMap): EnvLiteral[] {
  const env = svc.get("environment", true);
  const out: EnvLiteral[] = [];
  const consider = (name: string, value: unknown, node: Node) => {
    if (value === null || value === undefined) return; // passed through from the shell
    const v = String(value);
    if (v === "" || v.includes("$") || !isSecretName(name)) return;
    out.push({ service, name, pos: posOf(parsed.lc, node) });
  };
  if (isMap(env))
    for (const pair of env.items) {
      const v = pair.value;
      consider(keyName(pair.key), isScalar(v) ? v.value : v, (isScalar(v) ? v : pair.key) as Node);
    }
  else if (isSeq(env))
    for (const item of env.items) {
      if (!isScalar(item) || typeof item.value !== "string") continue;
      const eq = item.value.indexOf("=");
      if (eq > 0) consider(item.value.slice(0, eq), item.value.slice(eq + 1), item);
    }
  return out;
}

/** Every interpolated variable in string values (keys are never interpolated). */
function varUses(parsed: ParsedCompose): VarUse[] {
  const out: VarUse[] = [];
  const walk = (node: unknown, at: string): void => {
    if (isScalar(node)) {
      if (typeof node.value !== "string") return;
      for (const r of scanRefsDeep(node.value)) {
        const u: VarUse = { name: r.name, pos: posOf(parsed.lc, node), at };
        if (r.op) u.op = r.op;
        if (r.arg !== undefined) u.arg = r.arg;
        out.push(u);
      }
    } else if (isMap(node)) {
      for (const pair of node.items) walk(pair.value, at ? `${at}.${keyName(pair.key)}` : keyName(pair.key));
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, `${at}[${i}]`));
    }
  };
  walk(parsed.doc.contents, "");
  return out;
}

/** Scan a compose file (path relative to the repository root). */
export function scanCompose(text: string, file: string): ComposeScan {
  const parsed = parseCompose(text, file);
  if (!parsed.services) return { file, ok: false, services: [], vars: [], diags: parsed.diags };
  const ports = portNodes(parsed);
  const services: ServiceScan[] = [];
  for (const pair of parsed.services.items) {
    const name = keyName(pair.key);
    const svc = pair.value;
    const scan: ServiceScan = { name, pos: posOf(parsed.lc, pair.key as Node), ports: ports.filter((p) => p.use.service === name).map((p) => p.use), health: [], hostPaths: [], envLiterals: [], hasBuild: false };
    if (isMap(svc)) {
      const cn = svc.get("container_name", true);
      if (cn) scan.containerName = posOf(parsed.lc, cn as Node);
      const nm = svc.get("network_mode", true);
      if (isScalar(nm) && nm.value === "host") scan.hostNetwork = posOf(parsed.lc, nm);
      scan.health = healthUrls(parsed, name, svc);
      scan.hostPaths = hostPaths(parsed, name, svc);
      scan.envLiterals = envLiterals(parsed, name, svc);
      scan.hasBuild = svc.has("build");
    }
    services.push(scan);
  }
  return { file, ok: true, services, vars: varUses(parsed), diags: parsed.diags };
}
