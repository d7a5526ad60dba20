// `sbx explain OPTION`: type, winning value, priority and every definition with its
// location, as `nixos-option` shows them. Secrets are shown as their references.

import { error, type Diagnostic } from "./diagnostics.js";
import type { ResolvedConfig } from "./config.js";
import { didYouMean, showDef, showValue, type Def, type Merged } from "./merge.js";
import { formatPath, parsePath, pathKey, type OptionPath } from "./path.js";
import { portSpecs, portsForSlot } from "./ports.js";
import { priorityName } from "./priority.js";
import { describeType, schemaAt, SCHEMAS, SCHEMA_FILES, type SchemaName } from "./schema.js";
import { showSecretRef } from "./secret-refs.js";
import type { TomlValue } from "./load.js";

const AGENT_ROOTS = ["defaults", "backend", "proxy"];

/** A secret's value as it may be shown: its reference, or "(literal, not shown)". */
function shown(p: OptionPath, v: TomlValue): TomlValue {
  if (p[0] === "sandbox" && p[1] === "secrets") {
    if (p.length === 3 && typeof v === "string") return showSecretRef(String(p[2]), v);
    if (p.length === 2 && v && typeof v === "object" && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === "string" ? showSecretRef(k, x) : x]));
  }
  return v;
}

function shownDef(p: OptionPath, d: Def): string {
  return showDef({ ...d, value: shown(p, d.value) });
}

/** Every option path defined in a merged config (for "did you mean"). */
function definedPaths(merged: Merged | undefined): string[] {
  return merged ? [...merged.options.values()].map((o) => formatPath(o.path)) : [];
}

/** `slot`: the sandbox's claimed slot, or (with `claimed: false`) the first slot its ports allow. */
export function explainOption(config: ResolvedConfig, text: string, opts: { slot?: number; claimed?: boolean } = {}): { lines: string[]; diags: Diagnostic[] } {
  const p = parsePath(text);
  if (!p) return { lines: [], diags: [error(`\`${text}' is not an option path`, { code: "usage", detail: "Example: sbx explain sandbox.ports.API_PORT" })] };
  const schema: SchemaName = AGENT_ROOTS.includes(p[0]!) ? "agent" : "infra";
  const merged = schema === "agent" ? config.agentMerged : config.infraMerged;
  const root = SCHEMAS[schema];
  const s = schemaAt(root, p);
  const opt = merged?.options.get(pathKey(p));
  const lines = [`Option: ${formatPath(p)}`, `Type: ${describeType(root, s)}`];
  if (s?.description) lines.push(`Description: ${s.description}`);
  if (opt) {
    lines.push(`Value: ${showValue(shown(p, opt.value))}`, `Priority: ${opt.highestPriority} (${priorityName(opt.highestPriority)})`);
    if (p[0] === "sandbox" && p[1] === "ports" && p.length === 3 && opts.slot !== undefined) {
      const spec = portSpecs(config.infra).find((x) => x.name === p[2]);
      const formula = opts.slot === 0 ? "slot 0: the standard port" : `base ${spec?.base} + slot × stride ${spec?.stride}`;
      if (spec && opts.claimed !== false) lines.push(`Port in slot ${opts.slot}: ${portsForSlot([spec], opts.slot)[spec.name]} (${formula})`);
      else if (spec) lines.push(`Port: no slot claimed yet; slot ${opts.slot} would give ${portsForSlot([spec], opts.slot)[spec.name]} (${formula})`);
    }
    lines.push("Defined by:");
    for (const d of [...opt.defs].sort((a, b) => a.priority - b.priority)) lines.push(`  ${shownDef(p, d)}${d.priority === opt.highestPriority ? "" : "  (overridden)"}`);
    return { lines, diags: [] };
  }
  const children = merged ? [...merged.options.values()].filter((o) => o.path.length > p.length && pathKey(o.path.slice(0, p.length)) === pathKey(p)) : [];
  if (children.length) {
    lines.push("Value: (table)", "Defined by:");
    for (const c of children) lines.push(`  ${formatPath(c.path)} = ${showValue(shown(c.path, c.value))}  (${c.defs.map((d) => (d.line ? `${d.file}:${d.line}` : d.file)).join(", ")})`);
    return { lines, diags: [] };
  }
  if (s) {
    lines.push(s.default !== undefined ? `Value: ${JSON.stringify(s.default)} (default)` : "Value: (not set)", `Declared by: ${SCHEMA_FILES[schema]}`);
    return { lines, diags: [] };
  }
  // Not an option: suggest a defined path, or the same name under sandbox.ports / sandbox.env.
  const candidates = [...definedPaths(config.infraMerged), ...definedPaths(config.agentMerged)];
  const last = String(p[p.length - 1]);
  const sameName = candidates.filter((c) => c.endsWith(`.${last}`));
  const hint = sameName[0] ?? didYouMean(formatPath(p), candidates);
  return { lines: [], diags: [error(`The option \`${formatPath(p)}' does not exist`, { code: "usage", detail: hint ? `Did you mean \`${hint}'?` : "See `sbx compile --json` for the options this project sets." })] };
}
