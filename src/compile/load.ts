// Load one TOML file: values from smol-toml, and the position of every key and value
// from toml-eslint-parser, so each definition can say where it came from.

import { parse as parseToml, TomlError } from "smol-toml";
import { parseTOML, type AST } from "toml-eslint-parser";
import { error, type Diagnostic, type Result, type SourcePos } from "./diagnostics.js";
import { pathKey, type OptionPath } from "./path.js";

export type TomlValue = string | number | boolean | TomlValue[] | { [key: string]: TomlValue };
export type TomlTable = { [key: string]: TomlValue };

/** Positions by pathKey. */
export interface PosIndex {
  get(key: string): SourcePos | undefined;
}

export interface LoadedFile {
  /** Path as shown to users (relative to the worktree or main repository where possible). */
  file: string;
  text: string;
  value: TomlTable;
  /** pathKey(path) -> position of the key (for tables: the header). Parsed on first use. */
  keyPos: PosIndex;
  /** pathKey(path) -> position of the value. Parsed on first use. */
  valuePos: PosIndex;
  /** The `#:schema` directive on the first line, when present. */
  schemaDirective?: string;
}

const MAX_BYTES = 8 * 1024 * 1024;

/** Files whose positions could not be read (by the display name), with why: for tests and `--debug`. */
export const positionsError = new Map<string, string>();

export function loadToml(file: string, text: string): Result<LoadedFile | undefined> {
  const diags: Diagnostic[] = [];
  if (text.length > MAX_BYTES) {
    diags.push(
      error("File too large", {
        range: { file, start: { line: 1, col: 1 } },
        detail: `${file} is ${text.length} bytes; sbx reads configuration files up to ${MAX_BYTES} bytes. Split it or remove generated content.`,
      }),
    );
    return { value: undefined, diags };
  }
  // A UTF-8 BOM is legal TOML; drop it so both parsers agree on columns.
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let raw: Record<string, unknown>;
  try {
    raw = parseToml(src) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof TomlError) {
      const msg = e.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
      diags.push(
        error("Invalid TOML", {
          range: { file, start: { line: e.line, col: e.column } },
          detail: `${tomlHint(msg)}`,
        }),
      );
      return { value: undefined, diags };
    }
    const msg = e instanceof Error ? e.message : String(e);
    diags.push(error("Invalid TOML", { range: { file, start: { line: 1, col: 1 } }, detail: msg }));
    return { value: undefined, diags };
  }
  const value = normalise(raw) as TomlTable;
  // Positions are needed only to point at something (an error, `sbx explain`), so the
  // second, slower parse runs on first use, not on every command.
  let index: { keyPos: Map<string, SourcePos>; valuePos: Map<string, SourcePos> } | undefined;
  const positions = () => {
    if (index) return index;
    index = { keyPos: new Map(), valuePos: new Map() };
    try {
      indexPositions(parseTOML(src, { tomlVersion: "1.1.0" }), index.keyPos, index.valuePos);
    } catch (e) {
      // smol-toml accepted the file, so this is no user error: locations fall back to the file.
      index.keyPos.clear();
      index.valuePos.clear();
      positionsError.set(file, (e as Error).message);
    }
    return index;
  };
  const first = src.split("\n", 1)[0] ?? "";
  const m = /^#:schema\s+(\S+)/.exec(first);
  return {
    value: { file, text: src, value, keyPos: { get: (k) => positions().keyPos.get(k) }, valuePos: { get: (k) => positions().valuePos.get(k) }, schemaDirective: m?.[1] },
    diags,
  };
}

function tomlHint(msg: string): string {
  if (/control characters/.test(msg)) return `${msg}. A string is probably missing its closing quote.`;
  if (/redefine/.test(msg)) return `${msg}. Each table and key may be defined once; merge the two definitions.`;
  return msg;
}

/** TOML dates become ISO strings; bigints never appear (smol throws above 2^53). */
function normalise(v: unknown): TomlValue {
  if (v instanceof Date) {
    const s = (v as { toISOString(): string }).toISOString();
    return s;
  }
  if (Array.isArray(v)) return v.map(normalise);
  if (v !== null && typeof v === "object") {
    const out: TomlTable = {};
    for (const [k, x] of Object.entries(v)) out[k] = normalise(x);
    return out;
  }
  return v as TomlValue;
}

function pos(node: { loc: { start: { line: number; column: number } } }): SourcePos {
  return { line: node.loc.start.line, col: node.loc.start.column + 1 };
}

function keyNames(key: AST.TOMLKey): string[] {
  return key.keys.map((k) => (k.type === "TOMLBare" ? k.name : k.value));
}

function indexPositions(ast: AST.TOMLProgram, keyPos: Map<string, SourcePos>, valuePos: Map<string, SourcePos>): void {
  const top = ast.body[0];
  const visitValue = (path: OptionPath, node: AST.TOMLContentNode): void => {
    valuePos.set(pathKey(path), pos(node));
    if (node.type === "TOMLInlineTable") {
      for (const kv of node.body) visitKeyValue(path, kv);
    } else if (node.type === "TOMLArray") {
      node.elements.forEach((el, i) => {
        keyPos.set(pathKey([...path, i]), pos(el));
        visitValue([...path, i], el);
      });
    }
  };
  const visitKeyValue = (base: OptionPath, kv: AST.TOMLKeyValue): void => {
    const names = keyNames(kv.key);
    // Dotted keys define intermediate tables; give each its position if it has none yet.
    for (let i = 1; i < names.length; i++) {
      const k = pathKey([...base, ...names.slice(0, i)]);
      if (!keyPos.has(k)) keyPos.set(k, pos(kv.key.keys[i - 1]!));
    }
    const path = [...base, ...names];
    keyPos.set(pathKey(path), pos(kv.key));
    visitValue(path, kv.value);
  };
  for (const item of top.body) {
    if (item.type === "TOMLKeyValue") {
      visitKeyValue([], item);
    } else {
      const path = item.resolvedKey;
      for (let i = 1; i < path.length; i++) {
        const k = pathKey(path.slice(0, i));
        if (!keyPos.has(k)) keyPos.set(k, pos(item));
      }
      keyPos.set(pathKey(path), pos(item));
      valuePos.set(pathKey(path), pos(item));
      for (const kv of item.body) visitKeyValue(path, kv);
    }
  }
}

export { sourceLine } from "./diagnostics.js";
