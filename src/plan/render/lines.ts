// Walks diff trees into lines: a gutter symbol, where it sits, and the text after it.
// Text and Markdown output both come from these lines, so they always agree.

import { structuredPatch } from "diff";
import type { DiffNode, Entry, NodeAction } from "./tree.js";

export type Sym = "+" | "-" | "~" | " " | "-/+" | "<=";

export interface Line {
  /** Spaces before the symbol. */
  at: number;
  sym: Sym;
  text: string;
}

export const SENSITIVE = "(sensitive value)";
const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

const SYM: Record<NodeAction, Sym> = { create: "+", delete: "-", update: "~", "no-op": " " };

function scalar(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function plural(n: number, word: string): string {
  return `${n} unchanged ${word}${n === 1 ? "" : "s"}`;
}

/** Lines of a multi-line text: whole (create/delete) or as a unified diff with hidden context. */
/** `at` is the column of the attribute's symbol: content sits 6 further, diff symbols 4. */
function textBody(before: string | undefined, after: string | undefined, at: number): Line[] {
  const inner = at + 4;
  if (before === undefined || after === undefined) {
    const t = (before ?? after)!;
    const body = t.endsWith("\n") ? t.slice(0, -1) : t;
    const lines: Line[] = body.split("\n").map((l) => ({ at: inner, sym: " " as Sym, text: l }));
    if (!t.endsWith("\n")) lines.push({ at: inner, sym: " ", text: "# (no newline at end)" });
    return lines;
  }
  const patch = structuredPatch("a", "b", before, after, "", "", { context: 3, timeout: 200 });
  if (!patch) return [{ at: inner, sym: " ", text: "# (content replaced; too different to diff in time)" }];
  const lines: Line[] = [];
  if (before.replace(/\s+/g, "") === after.replace(/\s+/g, "")) lines.push({ at: inner, sym: " ", text: "# (whitespace changes only)" });
  let shown = 0;
  for (const h of patch.hunks) {
    const hidden = h.oldStart - 1 - shown;
    if (hidden > 0) lines.push({ at: inner, sym: " ", text: `# (${plural(hidden, "line")} hidden)` });
    for (const l of h.lines) {
      if (l.startsWith("\\")) {
        lines.push({ at: inner, sym: " ", text: "# (no newline at end of file)" });
        continue;
      }
      lines.push({ at: inner, sym: l[0] === "+" ? "+" : l[0] === "-" ? "-" : " ", text: l.slice(1) });
    }
    shown = h.oldStart - 1 + h.oldLines;
  }
  const total = before.endsWith("\n") ? before.split("\n").length - 1 : before.split("\n").length;
  if (total - shown > 0) lines.push({ at: inner, sym: " ", text: `# (${plural(total - shown, "line")} hidden)` });
  return lines;
}

/** Where a value sits: an attribute of the resource, an entry inside a value, or a list element. */
type Place = "attribute" | "nested" | "element";

/** A value after `key = `: the first line's text, then whole lines. A deleted attribute ends in `-> null`. */
function value(node: DiffNode, at: number, place: Place): { first: string; rest: Line[] } {
  const gone = node.action === "delete" && place === "attribute" ? " -> null" : "";
  switch (node.kind) {
    case "sensitive":
      return { first: `${SENSITIVE}${gone}`, rest: [] };
    case "primitive":
      if (node.action === "update") return { first: `${scalar(node.before)} -> ${scalar(node.after)}`, rest: [] };
      return { first: `${scalar(node.action === "delete" ? node.before : node.after)}${gone}`, rest: [] };
    case "text":
      return { first: "<<-EOT", rest: [...textBody(node.before, node.after, at), { at, sym: " ", text: `EOT${gone}` }] };
    case "map":
    case "object": {
      if (!node.entries.length) return { first: `{}${gone}`, rest: [] };
      return { first: "{", rest: [...entryLines(node.entries, at + 4, { quoteKeys: node.kind === "map", hide: node.action === "update", nested: true }), { at, sym: " ", text: `}${gone}` }] };
    }
    case "list": {
      if (!node.items.length) return { first: `[]${gone}`, rest: [] };
      const rest: Line[] = [];
      let hidden = 0;
      for (const item of node.items) {
        if (node.action === "update" && item.action === "no-op") {
          hidden++;
          continue;
        }
        if (hidden) rest.push({ at: at + 4, sym: " ", text: `# (${plural(hidden, "element")} hidden)` }), (hidden = 0);
        const v = value(item, at + 4, "element");
        rest.push({ at: at + 4, sym: SYM[item.action], text: v.first + (v.rest.length ? "" : ",") }, ...v.rest);
        if (v.rest.length) rest[rest.length - 1] = { ...rest[rest.length - 1]!, text: rest[rest.length - 1]!.text + "," };
      }
      if (hidden) rest.push({ at: at + 4, sym: " ", text: `# (${plural(hidden, "element")} hidden)` });
      rest.push({ at, sym: " ", text: `]${gone}` });
      return { first: "[", rest };
    }
  }
}

/** `key = value` lines for the entries of an object or map, keys aligned, unchanged ones counted. */
export function entryLines(entries: readonly Entry[], at: number, opts: { quoteKeys: boolean; hide: boolean; nested?: boolean }): Line[] {
  // A null created or destroyed says nothing (Terraform leaves it out too).
  const isNull = (e: Entry) => e.node.kind === "primitive" && (e.node.action === "create" || e.node.action === "delete") && (e.node.action === "create" ? e.node.after : e.node.before) === null;
  const shown = (opts.hide ? entries.filter((e) => e.node.action !== "no-op") : entries).filter((e) => !isNull(e));
  const key = (k: string) => (opts.quoteKeys || !IDENT.test(k) ? JSON.stringify(k) : k);
  const width = Math.max(0, ...shown.map((e) => key(e.key).length));
  const lines: Line[] = [];
  for (const e of shown) {
    const v = value(e.node, at, opts.nested ? "nested" : "attribute");
    const forces = e.forces ? " # forces replacement" : "";
    lines.push({ at, sym: SYM[e.node.action], text: `${key(e.key).padEnd(width)} = ${v.first}${forces}` }, ...v.rest);
  }
  const hidden = entries.filter((e) => !isNull(e)).length - shown.length;
  if (hidden) lines.push({ at, sym: " ", text: `# (${plural(hidden, opts.quoteKeys ? "element" : "attribute")} hidden)` });
  return lines;
}

/** A line as plain text: symbol at its column, one space, the text. */
export function plainLine(l: Line): string {
  if (l.sym === " ") return `${" ".repeat(l.at + 2)}${l.text}`.replace(/\s+$/, "");
  return `${" ".repeat(l.at)}${l.sym} ${l.text}`.replace(/\s+$/, "");
}

/** A line for a GitHub `diff` fence: the symbol moves to column 0 (`!` for changes), the text keeps its column. */
export function fencedLine(l: Line): string {
  const mark = l.sym === "+" ? "+" : l.sym === "-" ? "-" : l.sym === "~" || l.sym === "-/+" ? "!" : " ";
  const textAt = l.sym === " " ? l.at + 2 : l.at + l.sym.length + 1;
  return `${mark}${" ".repeat(Math.max(0, textAt - 1))}${l.text}`.replace(/\s+$/, "");
}
