// Reads a compose file into typed services for the Kubernetes compiler, with located diagnostics.

import { LineCounter, parseDocument, isMap, isScalar, isSeq, type Node, type YAMLMap } from "yaml";
import { error, warning, type Diagnostic, type Result, type SourceRange } from "../diagnostics.js";
import { parseQuantity } from "./names.js";
import type { ComposeHealthcheck, ComposePort, ComposeService, ComposeVolume } from "./types.js";

/** Keys whose effect a cluster cannot reproduce; reported once per service. */
const UNSUPPORTED: Record<string, string> = {
  env_file: "put the values in [sandbox.env] or [sandbox.secrets]; every container gets those",
  network_mode: "pods in a namespace share one network",
  privileged: "sbx does not generate privileged pods",
  cap_add: "sbx does not add capabilities",
  devices: "devices of your machine are not on the cluster",
  extra_hosts: "use a Service name instead",
  secrets: "use [sandbox.secrets]; they become a Secret",
  configs: "use [sandbox.env] or [sandbox.files]",
};

type At = (n: unknown) => SourceRange;

/** Parse compose YAML; `file` names it in diagnostics. */
export function readComposeServices(text: string, file: string): Result<ComposeService[]> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const diags: Diagnostic[] = [];
  const at: At = (n) => {
    const p = lc.linePos((n as Node | undefined)?.range?.[0] ?? 0);
    return { file, start: { line: p.line, col: p.col } };
  };
  for (const e of doc.errors) {
    const p = lc.linePos(e.pos[0]);
    diags.push(error("Invalid compose file", { range: { file, start: { line: p.line, col: p.col } }, detail: `${e.message.split("\n")[0]}. Fix the YAML syntax.` }));
  }
  if (diags.length) return { value: [], diags };
  const services = doc.get("services", true);
  if (!isMap(services) || services.items.length === 0) {
    diags.push(error("Compose file has no services", { range: services ? at(services) : { file, start: { line: 1, col: 1 } }, detail: "Add a top-level `services:` mapping with at least one service." }));
    return { value: [], diags };
  }
  const out: ComposeService[] = [];
  for (const item of services.items) {
    const name = String(isScalar(item.key) ? item.key.value : item.key);
    if (!isMap(item.value)) {
      diags.push(error(`Service \`${name}' is not a mapping`, { range: at(item.key), detail: `services.${name} must be a mapping with at least \`image:\`.` }));
      continue;
    }
    out.push(readService(name, item.value, at(item.key), at, diags));
  }
  return { value: out, diags };
}

function readService(name: string, svc: YAMLMap, where: SourceRange, at: At, diags: Diagnostic[]): ComposeService {
  const node = (k: string) => svc.get(k, true) as Node | undefined;
  const str = (k: string) => {
    const n = node(k);
    return isScalar(n) && n.value !== null ? String(n.value) : undefined;
  };
  const s: ComposeService = { name, build: node("build") !== undefined, environment: [], ports: [], volumes: [], at: where };
  const image = str("image");
  if (image !== undefined) s.image = image;
  const ep = argv(node("entrypoint"));
  if (ep) s.entrypoint = ep;
  const cmd = argv(node("command"));
  if (cmd) s.command = cmd;
  const wd = str("working_dir");
  if (wd !== undefined) s.workingDir = wd;
  readEnvironment(node("environment"), s, at);
  for (const p of seqItems(node("ports"))) readPort(name, p, s.ports, at, diags);
  for (const p of seqItems(node("expose"))) {
    const m = /^(\d+)(?:\/(tcp|udp))?$/i.exec(String(isScalar(p) ? p.value : ""));
    if (m) s.ports.push({ container: Number(m[1]), protocol: (m[2] ?? "tcp").toUpperCase() as "TCP" | "UDP", at: at(p) });
    else diags.push(error("Unsupported expose entry", { range: at(p), detail: `services.${name}.expose entries must be a port such as "9000" or "9000/udp".` }));
  }
  for (const v of seqItems(node("volumes"))) readVolume(name, v, s.volumes, at, diags);
  const hc = readHealthcheck(name, node("healthcheck"), at, diags);
  if (hc) s.healthcheck = hc;
  const deploy = node("deploy");
  if (isMap(deploy)) {
    const r = deploy.getIn(["replicas"]);
    if (typeof r === "number") s.replicas = r;
    const mem = deploy.getIn(["resources", "limits", "memory"]);
    const cpus = deploy.getIn(["resources", "limits", "cpus"]);
    if (mem !== undefined) setMemory(s, mem, name, at(deploy), diags);
    if (cpus !== undefined) setCpus(s, cpus, name, at(deploy), diags);
  }
  if (node("mem_limit")) setMemory(s, (node("mem_limit") as { value?: unknown }).value, name, at(node("mem_limit")), diags);
  if (node("cpus")) setCpus(s, (node("cpus") as { value?: unknown }).value, name, at(node("cpus")), diags);
  for (const [k, why] of Object.entries(UNSUPPORTED)) {
    const n = node(k);
    if (n !== undefined) diags.push(warning(`\`${k}' is ignored on Kubernetes`, { range: at(n), detail: `services.${name}.${k} has no equivalent in the generated manifests: ${why}.` }));
  }
  return s;
}

function seqItems(n: Node | undefined): unknown[] {
  return isSeq(n) ? n.items : [];
}

/** A command as argv: a list stays, a string is split like a shell would (quotes, backslashes). */
function argv(n: Node | undefined): string[] | undefined {
  if (isSeq(n)) return n.items.map((i) => String(isScalar(i) ? i.value : i));
  if (isScalar(n) && n.value !== null) return shellSplit(String(n.value));
  return undefined;
}

export function shellSplit(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  let has = false;
  let q: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (q === "'") {
      if (c === "'") q = undefined;
      else cur += c;
    } else if (q === '"') {
      if (c === '"') q = undefined;
      else if (c === "\\" && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) cur += text[++i];
      else cur += c;
    } else if (c === "'" || c === '"') {
      q = c;
      has = true;
    } else if (c === "\\" && i + 1 < text.length) {
      cur += text[++i];
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = "";
      has = false;
    } else cur += c;
  }
  if (has || cur) out.push(cur);
  return out;
}

function readEnvironment(n: Node | undefined, s: ComposeService, at: At): void {
  if (isMap(n))
    for (const it of n.items) {
      const k = String(isScalar(it.key) ? it.key.value : it.key);
      const v = isScalar(it.value) ? it.value.value : it.value;
      // `KEY:` with no value passes the variable through from the interpolation environment.
      s.environment.push({ name: k, value: v === null || v === undefined ? `\${${k}}` : String(v), at: at(it.key) });
    }
  else
    for (const it of seqItems(n)) {
      const t = String(isScalar(it) ? it.value : "");
      const eq = t.indexOf("=");
      s.environment.push(eq < 0 ? { name: t, value: `\${${t}}`, at: at(it) } : { name: t.slice(0, eq), value: t.slice(eq + 1), at: at(it) });
    }
}

/** Split at ':' outside `${...}`. */
function colonParts(spec: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = "";
  for (let i = 0; i < spec.length; i++) {
    const c = spec[i]!;
    if (c === "$" && spec[i + 1] === "{") depth++;
    else if (c === "}" && depth > 0) depth--;
    if (c === ":" && depth === 0) {
      parts.push(cur);
      cur = "";
    } else cur += c;
  }
  parts.push(cur);
  return parts;
}

const VAR = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-[^}]*)?\}$|^\$([A-Za-z_][A-Za-z0-9_]*)$/;

function readPort(svc: string, p: unknown, out: ComposePort[], at: At, diags: Diagnostic[]): void {
  let host: string | undefined;
  let target: string;
  let proto = "tcp";
  if (isMap(p)) {
    target = String(p.get("target") ?? "");
    const pub = p.get("published");
    host = pub === undefined || pub === null ? undefined : String(pub);
    proto = String(p.get("protocol") ?? "tcp");
  } else {
    let spec = String(isScalar(p) ? p.value : "");
    const slash = /\/(tcp|udp|sctp)$/i.exec(spec);
    if (slash) {
      proto = slash[1]!;
      spec = spec.slice(0, -slash[0].length);
    }
    const parts = colonParts(spec);
    target = parts[parts.length - 1]!;
    host = parts.length >= 2 ? parts[parts.length - 2] : undefined;
  }
  if (!/^\d+$/.test(target) || Number(target) < 1 || Number(target) > 65535) {
    diags.push(error("Unsupported port", { range: at(p), detail: `services.${svc}.ports: \`${target}' is not one container port (ranges are not supported on Kubernetes).` }));
    return;
  }
  const protocol = proto.toUpperCase();
  if (protocol !== "TCP" && protocol !== "UDP") {
    diags.push(error("Unsupported port protocol", { range: at(p), detail: `services.${svc}.ports: protocol ${proto}; use tcp or udp.` }));
    return;
  }
  const port: ComposePort = { container: Number(target), protocol, at: at(p) };
  if (host !== undefined && host !== "") {
    const m = VAR.exec(host);
    if (m) port.variable = m[1] ?? m[2]!;
    else
      diags.push(
        warning("Fixed host port is not forwarded", {
          range: at(p),
          detail: `services.${svc}.ports publishes host port ${host}, which every sandbox would want. Write it as "\${SOME_PORT:-${host}}:${target}" and declare SOME_PORT under [sandbox.ports].`,
        }),
      );
  }
  out.push(port);
}

function readVolume(svc: string, v: unknown, out: ComposeVolume[], at: At, diags: Diagnostic[]): void {
  let vol: ComposeVolume | undefined;
  if (isMap(v)) {
    const type = String(v.get("type") ?? "volume");
    const source = v.get("source");
    const target = String(v.get("target") ?? "");
    const readOnly = v.get("read_only") === true;
    const kind = type === "bind" ? "bind" : type === "tmpfs" ? "tmpfs" : type === "volume" ? (source ? "named" : "anonymous") : undefined;
    if (!kind) diags.push(error("Unsupported volume type", { range: at(v), detail: `services.${svc}.volumes: type ${type}; use volume, bind or tmpfs.` }));
    else vol = { type: kind, ...(source ? { source: String(source) } : {}), target, readOnly, at: at(v) };
  } else {
    const parts = String(isScalar(v) ? v.value : "").split(":");
    if (parts.length === 1) vol = { type: "anonymous", target: parts[0]!, readOnly: false, at: at(v) };
    else {
      const [source, target, mode] = parts as [string, string, string | undefined];
      const bind = /^[./~]/.test(source) || source.startsWith("$");
      vol = { type: bind ? "bind" : "named", source, target, readOnly: (mode ?? "").split(",").includes("ro"), at: at(v) };
    }
  }
  if (!vol) return;
  if (!vol.target.startsWith("/")) {
    diags.push(error("Invalid volume target", { range: at(v), detail: `services.${svc}.volumes: the target \`${vol.target}' must be an absolute path in the container.` }));
    return;
  }
  out.push(vol);
}

/** Compose durations: 1m30s, 10s, 500ms, 1h. Rounded up to whole seconds (at least 1). */
export function durationSeconds(text: string): number | undefined {
  const re = /(\d+(?:\.\d+)?)(us|ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const m of text.matchAll(re)) {
    total += Number(m[1]) * { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 }[m[2] as "s"];
    consumed += m[0].length;
  }
  if (consumed !== text.length || consumed === 0) return undefined;
  return Math.max(1, Math.ceil(total));
}

function readHealthcheck(svc: string, n: Node | undefined, at: At, diags: Diagnostic[]): ComposeHealthcheck | undefined {
  if (!isMap(n) || n.get("disable") === true) return undefined;
  const test = n.get("test", true) as Node | undefined;
  let exec: string[] | undefined;
  if (isScalar(test)) exec = ["/bin/sh", "-c", String(test.value)];
  else if (isSeq(test)) {
    const items = test.items.map((i) => String(isScalar(i) ? i.value : i));
    if (items[0] === "NONE") return undefined;
    if (items[0] === "CMD") exec = items.slice(1);
    else if (items[0] === "CMD-SHELL") exec = ["/bin/sh", "-c", items.slice(1).join(" ")];
  }
  if (!exec || exec.length === 0) {
    diags.push(error("Unsupported healthcheck", { range: at(test ?? n), detail: `services.${svc}.healthcheck.test must be a string, ["CMD", ...] or ["CMD-SHELL", "..."].` }));
    return undefined;
  }
  const hc: ComposeHealthcheck = { exec };
  const dur = (k: "interval" | "timeout" | "start_period", set: (s: number) => void) => {
    const v = n.get(k);
    if (v === undefined) return;
    const s = durationSeconds(String(v));
    if (s === undefined) diags.push(error("Invalid duration", { range: at(n.get(k, true)), detail: `services.${svc}.healthcheck.${k}: \`${String(v)}'; write it like 30s, 1m30s or 500ms.` }));
    else set(s);
  };
  dur("interval", (s) => (hc.intervalSeconds = s));
  dur("timeout", (s) => (hc.timeoutSeconds = s));
  dur("start_period", (s) => (hc.startPeriodSeconds = s));
  const r = n.get("retries");
  if (typeof r === "number") hc.retries = r;
  return hc;
}

function setMemory(s: ComposeService, v: unknown, svc: string, where: SourceRange, diags: Diagnostic[]): void {
  // compose accepts 512m, 1g, 1gb and plain bytes.
  const m = /^(\d+(?:\.\d+)?)\s*(b|k|kb|m|mb|g|gb)?$/i.exec(String(v));
  const bytes = m ? Number(m[1]) * { b: 1, k: 1024, kb: 1024, m: 2 ** 20, mb: 2 ** 20, g: 2 ** 30, gb: 2 ** 30 }[(m[2] ?? "b").toLowerCase() as "b"] : parseQuantity(String(v));
  if (bytes === undefined || bytes < 2 ** 20) diags.push(error("Invalid memory limit", { range: where, detail: `services.${svc}: memory \`${String(v)}'; write it like 512m or 2g (at least 1m).` }));
  else s.memoryMiB = Math.floor(bytes / 2 ** 20);
}

function setCpus(s: ComposeService, v: unknown, svc: string, where: SourceRange, diags: Diagnostic[]): void {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) diags.push(error("Invalid cpu limit", { range: where, detail: `services.${svc}: cpus \`${String(v)}'; write a positive number such as 0.5 or 2.` }));
  else s.millicores = Math.max(1, Math.round(n * 1000));
}
