// Configuration commands that touch no host state: validate, explain, compile.

import * as fs from "node:fs";
import * as path from "node:path";
import { fsReader, projectPaths } from "../../apply/context.js";
import { buildGraph, backendOf } from "../../compile/backends/index.js";
import { loadConfig, type ResolvedConfig } from "../../compile/config.js";
import { hasErrors } from "../../compile/diagnostics.js";
import { showDef, showValue, type Merged } from "../../compile/merge.js";
import { formatPath, parsePath, pathKey } from "../../compile/path.js";
import { priorityName } from "../../compile/priority.js";
import { describeType, schemaAt, SCHEMAS, SCHEMA_FILES, type SchemaName } from "../../compile/schema.js";
import { stableStringify } from "../../plan/render/json.js";
import { cwdOf, type GlobalOptions } from "../common.js";
import { err, Exit, out, printDiagnostics } from "../output.js";

function load(g: GlobalOptions): ResolvedConfig {
  const paths = projectPaths(cwdOf(g));
  const { config, diags, texts } = loadConfig({ paths, reader: fsReader, sets: g.set ?? [] });
  if (diags.length) printDiagnostics(diags, texts);
  if (!config || hasErrors(diags)) throw new Exit(1);
  return config;
}

export function validateCommand(g: GlobalOptions): void {
  const config = load(g);
  for (const f of config.files) out(`✓ ${f.file} (${f.role})`);
  out(`${config.files.length} file${config.files.length === 1 ? "" : "s"} valid.`);
}

export function explainCommand(g: GlobalOptions, option: string): void {
  const config = load(g);
  const p = parsePath(option);
  if (!p) {
    err(`error: \`${option}' is not an option path. Example: sbx explain sandbox.ports.API_PORT`);
    throw new Exit(1);
  }
  const agentRoots = ["defaults", "backend", "proxy"];
  const schema: SchemaName = agentRoots.includes(p[0]!) ? "agent" : "infra";
  const merged: Merged | undefined = schema === "agent" ? config.agentMerged : config.infraMerged;
  const root = SCHEMAS[schema];
  const s = schemaAt(root, p);
  const opt = merged?.options.get(pathKey(p));
  const lines = [`Option: ${formatPath(p)}`, `Type: ${describeType(root, s)}`];
  if (s?.description) lines.push(`Description: ${s.description}`);
  if (opt) {
    lines.push(`Value: ${showValue(opt.value)}`, `Priority: ${opt.highestPriority} (${priorityName(opt.highestPriority)})`, "Defined by:");
    for (const d of [...opt.defs].sort((a, b) => a.priority - b.priority)) lines.push(`  ${showDef(d)}${d.priority === opt.highestPriority ? "" : "  (overridden)"}`);
  } else {
    const children = merged ? [...merged.options.values()].filter((o) => o.path.length > p.length && pathKey(o.path.slice(0, p.length)) === pathKey(p)) : [];
    if (children.length) {
      lines.push("Value: (table)", "Defined by:");
      for (const c of children) lines.push(`  ${formatPath(c.path)} = ${showValue(c.value)}  (${c.defs.map((d) => (d.line ? `${d.file}:${d.line}` : d.file)).join(", ")})`);
    } else if (s) {
      lines.push(s.default !== undefined ? `Value: ${JSON.stringify(s.default)} (default)` : "Value: (not set)");
      lines.push(`Declared by: ${SCHEMA_FILES[schema]}`);
    } else {
      err(`error: The option \`${formatPath(p)}' does not exist.`);
      throw new Exit(1);
    }
  }
  out(lines.join("\n"));
}

export interface CompileFlags {
  json?: boolean;
  out?: string;
  slot?: string;
}

const SYMBOLIC = { worktree: "<worktree>", main: "<main>", state: "<state>" };

export function compileCommand(g: GlobalOptions, flags: CompileFlags): void {
  const config = load(g);
  const slot = Number(flags.slot ?? 1);
  const secretRefs: Record<string, string> = {};
  for (const p of config.profiles) Object.assign(secretRefs, p.secretRefs);
  const built = buildGraph(config, { slot, configRel: path.relative(projectPaths(cwdOf(g)).worktree, config.configDir), instanceId: "<instance.id>", roots: SYMBOLIC, profileSecretRefs: secretRefs });
  const { resources } = built;
  // Offline review needs no compose file; apply still refuses to run without one.
  const diags = built.diags.map((d) => (d.summary === "Compose file not found" ? { ...d, severity: "warning" as const } : d));
  if (diags.length) printDiagnostics(diags, config.texts);
  if (hasErrors(diags)) throw new Exit(1);
  const doc = {
    format_version: "1.0",
    backend: backendOf(config),
    slot,
    files: config.files,
    profiles: config.profiles.map((p) => ({ id: p.id, version: p.version, hash: p.hash, file: p.file })),
    config: { infra: redactLiterals(config), agent: config.agent ?? null },
    resources,
  };
  if (flags.out) {
    const dir = path.resolve(flags.out);
    fs.mkdirSync(dir, { recursive: true });
    const write = (name: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
      out(`wrote ${path.join(flags.out!, name)}`);
    };
    write("compiled.json", stableStringify(doc) + "\n");
    for (const r of resources) {
      if (r.address === "file.env_sandbox") write(".env.sandbox", String(r.attrs.content));
      if (r.address === "secrets.env") write(".env.secrets.refs", Object.entries(r.attrs.refs as Record<string, string>).map(([k, v]) => `${k}=${v}`).join("\n") + "\n");
      if (r.type === "process") write(`processes/${String(r.attrs.name)}.json`, stableStringify(r.attrs) + "\n");
      if (r.type === "file" && r.address !== "file.env_sandbox") write(path.basename(String(r.attrs.path)), String(r.attrs.content));
    }
    return;
  }
  out(stableStringify(doc));
}

/** Literal secrets are values: the compiled config shows them as such, never the text. */
function redactLiterals(config: ResolvedConfig): unknown {
  const infra = JSON.parse(JSON.stringify(config.infra)) as { sandbox?: { secrets?: Record<string, string> } };
  const secrets = infra.sandbox?.secrets;
  if (secrets)
    for (const k of Object.keys(secrets)) {
      const v = secrets[k]!;
      if (!/^(op:\/\/|env:\/\/|dotenv:\/\/|file:\/\/|\$[A-Za-z_])/.test(v)) secrets[k] = "(literal, not shown)";
    }
  return infra;
}
