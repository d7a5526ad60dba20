// Re-running init on an existing infra.toml: add only the keys it lacks, as new text
// lines, and never touch a line the user wrote. smol-toml says what exists; the
// toml-eslint-parser AST says where each table ends, and whether a table was written
// as a [header], with dotted keys, or inline (which cannot grow without a rewrite).

import { parse as parseToml } from "smol-toml";
import { parseTOML, type AST } from "toml-eslint-parser";
import { error, warning, type Diagnostic } from "../diagnostics.js";
import { renderEntry, renderHeader, type TomlEntry, type TomlSection } from "./toml-text.js";

export interface MergeResult {
  text: string;
  /** Dotted paths of the keys added. */
  added: string[];
  diags: Diagnostic[];
}

type Path = readonly (string | number)[];

function keyNames(key: AST.TOMLKey): string[] {
  return key.keys.map((k) => (k.type === "TOMLBare" ? k.name : k.value));
}

function startsWith(p: Path, prefix: Path): boolean {
  return prefix.length <= p.length && prefix.every((s, i) => p[i] === s);
}

function same(a: Path, b: Path): boolean {
  return a.length === b.length && startsWith(a, b);
}

function getIn(v: unknown, p: Path): unknown {
  let cur = v;
  for (const seg of p) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

interface KeyValueAt {
  table: Path;
  key: string[];
  node: AST.TOMLKeyValue;
}

function index(ast: AST.TOMLProgram): { tables: AST.TOMLTable[]; kvs: KeyValueAt[] } {
  const tables: AST.TOMLTable[] = [];
  const kvs: KeyValueAt[] = [];
  for (const item of ast.body[0].body) {
    if (item.type === "TOMLKeyValue") kvs.push({ table: [], key: keyNames(item.key), node: item });
    else {
      tables.push(item);
      for (const kv of item.body) kvs.push({ table: item.resolvedKey, key: keyNames(kv.key), node: kv });
    }
  }
  return { tables, kvs };
}

/** Offset just past the end of the line holding `offset`. */
function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf("\n", offset);
  return nl < 0 ? text.length : nl + 1;
}

interface Insertion {
  at: number;
  lines: string[];
}

/** Add each active entry of `sections` that `text` does not define; keep every existing byte. */
export function mergeToml(file: string, rawText: string, sections: readonly TomlSection[]): MergeResult {
  const bom = rawText.charCodeAt(0) === 0xfeff ? "\ufeff" : "";
  const text = rawText.slice(bom.length);
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  let before: unknown;
  let ast: AST.TOMLProgram;
  try {
    before = parseToml(text);
    ast = parseTOML(text, { tomlVersion: "1.1.0" });
  } catch (e) {
    const err = e as { line?: number; column?: number; message: string };
    const range = { file, start: { line: err.line ?? 1, col: err.column ?? 1 } };
    return { text: rawText, added: [], diags: [error("infra.toml is not valid TOML", { range, detail: `${err.message.split("\n")[0]}. Fix it, then run sbx init again; nothing was merged.` })] };
  }
  const { tables, kvs } = index(ast);
  const diags: Diagnostic[] = [];
  const added: string[] = [];
  const inserts: Insertion[] = [];
  const appended: string[][] = [];
  for (const s of sections) {
    if (s.commented) continue;
    const missing = s.entries.filter((e) => !e.commented && getIn(before, [...s.table, e.key]) === undefined);
    if (missing.length === 0) continue;
    const dotted = s.table.join(".");
    // A table, or one of its parents, written as a value (`ports = { ... }`) cannot grow without rewriting that line.
    const inline = kvs.find((kv) => startsWith(s.table, [...kv.table, ...kv.key]));
    if (inline) {
      const line = inline.node.loc.start.line;
      diags.push(warning(`Cannot add to [${dotted}]`, { range: { file, start: { line, col: inline.node.loc.start.column + 1 } }, detail: `[${dotted}] is written inline here, so sbx init leaves it alone. Add by hand:\n${missing.map((e) => `  ${renderEntry(e)}`).join("\n")}` }));
      continue;
    }
    const lines = [`# added by sbx init`, ...missing.map((e) => renderEntry(e))];
    const header = tables.find((t) => t.kind === "standard" && same(t.resolvedKey, s.table));
    const dottedDefs = kvs.filter((kv) => kv.key.length > 1 && startsWith([...kv.table, ...kv.key], s.table) && !same([...kv.table, ...kv.key], s.table));
    if (header) {
      const last = header.body[header.body.length - 1];
      inserts.push({ at: lineEnd(text, last ? last.range[1] : header.range[0]), lines });
    } else if (dottedDefs.length) {
      const last = dottedDefs[dottedDefs.length - 1]!;
      const prefix = s.table.slice(last.table.length).map(String);
      inserts.push({ at: lineEnd(text, last.node.range[1]), lines: [lines[0]!, ...missing.map((e: TomlEntry) => renderEntry(e, prefix))] });
    } else appended.push([renderHeader(s.table), ...missing.map((e) => renderEntry(e))]);
    added.push(...missing.map((e) => `${dotted}.${e.key}`));
  }
  if (added.length === 0) return { text: rawText, added, diags };
  let out = text;
  for (const ins of [...inserts].sort((a, b) => b.at - a.at)) {
    const pre = out.slice(0, ins.at);
    const glue = pre.length && !pre.endsWith("\n") ? eol : "";
    out = pre + glue + ins.lines.map((l) => l + eol).join("") + out.slice(ins.at);
  }
  if (appended.length) {
    const glue = out.length && !out.endsWith("\n") ? eol : "";
    const block = ["# added by sbx init", ...appended.flatMap((b, i) => (i ? ["", ...b] : b))];
    out = out + glue + (out.length ? eol : "") + block.map((l) => l + eol).join("");
  }
  const problem = checkMerge(text, before, out, sections, added);
  if (problem) return { text: rawText, added: [], diags: [...diags, error("Could not merge into infra.toml", { range: { file, start: { line: 1, col: 1 } }, detail: `${problem}. Nothing was changed; add the missing keys by hand.` })] };
  return { text: bom + out, added, diags };
}

/** The merged text must parse, keep every original value and line, and hold each added key. */
function checkMerge(original: string, before: unknown, merged: string, sections: readonly TomlSection[], added: readonly string[]): string | undefined {
  let after: unknown;
  try {
    after = parseToml(merged);
  } catch (e) {
    return `the merged file does not parse (${(e as Error).message.split("\n")[0]})`;
  }
  const kept = (a: unknown, b: unknown): boolean => {
    if (a === null || typeof a !== "object" || a instanceof Date) return JSON.stringify(a) === JSON.stringify(b);
    if (b === null || typeof b !== "object") return false;
    return Object.entries(a).every(([k, v]) => kept(v, (b as Record<string, unknown>)[k]));
  };
  if (!kept(before, after)) return "a value the file already had would change";
  let from = 0;
  for (const line of original.split("\n")) {
    const at = merged.indexOf(line, from);
    if (at < 0) return "a line of the file would change";
    from = at + line.length;
  }
  for (const s of sections) for (const e of s.entries) if (added.includes(`${s.table.join(".")}.${e.key}`) && getIn(after, [...s.table, e.key]) === undefined) return `${s.table.join(".")}.${e.key} did not land`;
  return undefined;
}
