// Rewrites fixed host ports of a compose file to `${VAR:-port}`. The yaml Document API
// finds each port scalar and its exact source range; only that token is replaced, so
// comments, quoting, blank lines and indentation stay byte for byte (Document#toString
// would re-flow comments and spacing). Already-parameterized ports are left alone, so a
// second run changes nothing.

import { warning, type Diagnostic, type SourcePos } from "../diagnostics.js";
import { parseCompose, portNodes, type PortNode } from "./compose-scan.js";
import { hostTextSpan } from "./port-spec.js";

export interface PortChange {
  service: string;
  /** Index in the service's `ports:` list. */
  index: number;
  variable: string;
  port: number;
  /** The scalar token before and after, as written in the file. */
  before: string;
  after: string;
  pos: SourcePos;
}

export interface ComposeRewrite {
  text: string;
  changes: PortChange[];
  diags: Diagnostic[];
}

/** The interpolation that replaces a fixed host port. */
export function portExpression(variable: string, port: number): string {
  return `\${${variable}:-${port}}`;
}

function doubleQuoted(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function singleQuoted(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** The new token for `value`, in the scalar's own style where that stays valid YAML. */
function render(node: PortNode, value: string): string | undefined {
  const t = node.target!;
  switch (t.type) {
    case "QUOTE_DOUBLE":
      return doubleQuoted(value);
    case "QUOTE_SINGLE":
      return singleQuoted(value);
    case "PLAIN":
      // `{` and `}` end a plain scalar inside [...] or {...}; a number becomes a string.
      return node.flow || typeof t.value !== "string" ? doubleQuoted(value) : value;
    default:
      return undefined; // block scalars: not a place anyone writes a port
  }
}

/**
 * Replace each fixed host port that `varByPort` names with `${VAR:-port}`.
 * Ranges, ephemeral and interpolated host ports are not touched.
 */
export function rewriteComposePorts(text: string, file: string, varByPort: ReadonlyMap<number, string>): ComposeRewrite {
  const parsed = parseCompose(text, file);
  const diags: Diagnostic[] = [...parsed.diags];
  if (!parsed.services) return { text, changes: [], diags };
  const edits: { start: number; end: number; token: string }[] = [];
  const changes: PortChange[] = [];
  const seen = new Set<number>();
  for (const node of portNodes(parsed)) {
    const { use, target } = node;
    if (use.host.kind !== "fixed" || !target?.range) continue;
    const variable = varByPort.get(use.host.port);
    if (!variable) continue;
    const [start, end] = target.range;
    if (seen.has(start)) continue; // a list shared through an anchor: rewritten once, where it is defined
    seen.add(start);
    let value: string;
    if (use.form === "long") value = portExpression(variable, use.host.port);
    else {
      const span = hostTextSpan(use.raw)!;
      value = use.raw.slice(0, span.start) + portExpression(variable, use.host.port) + use.raw.slice(span.end);
    }
    const token = target.tag ? undefined : render(node, value);
    if (token === undefined) {
      diags.push(warning("Port left as written", { range: { file, start: use.pos }, detail: `services.${use.service}.ports[${use.index}] is a tagged or block scalar; write it as "${value}" by hand.` }));
      continue;
    }
    edits.push({ start, end, token });
    changes.push({ service: use.service, index: use.index, variable, port: use.host.port, before: text.slice(start, end), after: token, pos: use.pos });
  }
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.token + out.slice(e.end);
  verify(out, file, changes);
  return { text: out, changes, diags };
}

/** The rewritten file must parse and read back each new variable where it was put; anything else is a bug. */
function verify(text: string, file: string, changes: readonly PortChange[]): void {
  if (changes.length === 0) return;
  const parsed = parseCompose(text, file);
  if (parsed.diags.length) throw new Error(`init rewrote ${file} into invalid YAML: ${parsed.diags[0]!.detail}`);
  const uses = portNodes(parsed).map((n) => n.use);
  for (const c of changes) {
    const u = uses.find((x) => x.service === c.service && x.index === c.index);
    if (u?.host.kind !== "var" || u.host.name !== c.variable || u.host.default !== c.port)
      throw new Error(`init rewrote services.${c.service}.ports[${c.index}] in ${file} but reads back ${u ? JSON.stringify(u.host) : "nothing"}`);
  }
}
