// A tiny Nix value model and its printer: escaped double-quoted strings, quoted attribute
// names where needed, sorted attributes, 2-space indentation and `# file:line` comments.

/** A Nix expression sbx can emit. There is no raw text: every node is printed safely. */
export type NixValue =
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "int"; readonly value: number }
  | { readonly kind: "bool"; readonly value: boolean }
  | { readonly kind: "null" }
  | { readonly kind: "path"; readonly value: string }
  | { readonly kind: "list"; readonly items: readonly NixItem[] }
  | { readonly kind: "attrs"; readonly entries: readonly NixEntry[] }
  | { readonly kind: "function"; readonly args: readonly string[]; readonly body: NixValue };

/** A list element, optionally with a comment printed on the line above it. */
export interface NixItem {
  readonly value: NixValue;
  readonly comment?: string;
}

/**
 * One `a.b.c = value;` binding. `path` has at least one segment; several segments print
 * as an attribute path (`host.port = 22;`), which Nix merges with its siblings.
 */
export interface NixEntry {
  readonly path: readonly string[];
  readonly value: NixValue;
  /** Printed after a one-line value (`mem = 4096; # agent.toml:3`) or above a longer one. */
  readonly comment?: string;
}

export const str = (value: string): NixValue => ({ kind: "string", value });
export const int = (value: number): NixValue => ({ kind: "int", value });
export const bool = (value: boolean): NixValue => ({ kind: "bool", value });
export const nul: NixValue = { kind: "null" };
/** A path relative to the file being written, e.g. `./vms/a.nix`. */
export const path = (value: string): NixValue => ({ kind: "path", value });
export const list = (items: readonly (NixValue | NixItem)[]): NixValue => ({
  kind: "list",
  items: items.map((i) => ("kind" in i ? { value: i } : i)),
});
export const attrs = (entries: readonly NixEntry[]): NixValue => ({ kind: "attrs", entries });
/** A module header `{ a, b, ... }:` around a body. */
export const fn = (args: readonly string[], body: NixValue): NixValue => ({ kind: "function", args, body });
export const entry = (p: string | readonly string[], value: NixValue, comment?: string): NixEntry => ({
  path: typeof p === "string" ? [p] : p,
  value,
  ...(comment === undefined ? {} : { comment }),
});

const KEYWORDS = new Set(["if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"]);
const IDENT = /^[A-Za-z_][A-Za-z0-9_'-]*$/;
const PATH_SEGMENT = /^[A-Za-z0-9._+-]+$/;
const MAX_INLINE = 72;

/** Nix string literal (double-quoted) that evaluates to exactly `s`. */
export function nixString(s: string): string {
  if (s.includes("\0")) throw new Error("bug: Nix strings cannot hold NUL characters");
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\") out += "\\\\";
    else if (c === '"') out += '\\"';
    else if (c === "\n") out += "\\n";
    else if (c === "\r") out += "\\r";
    else if (c === "\t") out += "\\t";
    // `${` starts interpolation; `\$` is a literal `$`. A lone `$` needs no escape.
    else if (c === "$" && s[i + 1] === "{") out += "\\$";
    else out += c;
  }
  return `${out}"`;
}

/** An attribute name: bare when it is an identifier and not a keyword, else a quoted string. */
export function nixAttrName(name: string): string {
  return IDENT.test(name) && !KEYWORDS.has(name) ? name : nixString(name);
}

/** Text of a comment: one line, never able to end the comment early. */
function commentText(c: string): string {
  return c.replace(/[\r\n]+/g, " ").trim();
}

function printPath(p: string): string {
  const rel = p.startsWith("./") ? p.slice(2) : p.startsWith("../") ? p : undefined;
  if (rel === undefined || rel === "") throw new Error(`bug: Nix path must be relative (./x): ${p}`);
  const segs = (p.startsWith("./") ? rel : p).split("/");
  const literal = segs.every((s) => PATH_SEGMENT.test(s));
  // Path literals allow only [A-Za-z0-9._+-]; anything else is `./. + "/rest"` (same value).
  return literal ? (p.startsWith("./") ? `./${rel}` : p) : `(./. + ${nixString(`/${rel}`)})`;
}

function sortEntries(entries: readonly NixEntry[]): NixEntry[] {
  const key = (e: NixEntry) => e.path.join("\u0000");
  const sorted = [...entries].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  for (let i = 0; i < sorted.length; i++) {
    const a = sorted[i]!.path;
    if (a.length === 0) throw new Error("bug: empty attribute path");
    for (let j = i + 1; j < sorted.length; j++) {
      const b = sorted[j]!.path;
      const n = Math.min(a.length, b.length);
      if (a.slice(0, n).join("\u0000") !== b.slice(0, n).join("\u0000")) break;
      throw new Error(`bug: attribute ${a.join(".")} is defined twice`);
    }
  }
  return sorted;
}

/** One-line form, or undefined when the value needs several lines. */
function inline(v: NixValue): string | undefined {
  switch (v.kind) {
    case "string":
      return nixString(v.value);
    case "int":
      if (!Number.isSafeInteger(v.value)) throw new Error(`bug: not a Nix integer: ${v.value}`);
      return v.value < 0 ? `(${v.value})` : String(v.value);
    case "bool":
      return v.value ? "true" : "false";
    case "null":
      return "null";
    case "path":
      return printPath(v.value);
    case "list": {
      if (v.items.length === 0) return "[ ]";
      if (v.items.some((i) => i.comment !== undefined)) return undefined;
      const parts = v.items.map((i) => (i.value.kind === "list" || i.value.kind === "attrs" || i.value.kind === "function" ? undefined : inline(i.value)));
      if (parts.some((p) => p === undefined)) return undefined;
      const text = `[ ${parts.join(" ")} ]`;
      return text.length <= MAX_INLINE ? text : undefined;
    }
    case "attrs":
      return v.entries.length === 0 ? "{ }" : undefined;
    case "function":
      return undefined;
  }
}

function print(v: NixValue, indent: string): string {
  const one = inline(v);
  if (one !== undefined) return one;
  const inner = `${indent}  `;
  switch (v.kind) {
    case "list": {
      const lines = ["["];
      for (const item of v.items) {
        if (item.comment !== undefined) lines.push(`${inner}# ${commentText(item.comment)}`);
        const text = print(item.value, inner);
        // Function applications and negative numbers are parenthesised by `inline`.
        lines.push(`${inner}${text}`);
      }
      lines.push(`${indent}]`);
      return lines.join("\n");
    }
    case "attrs": {
      const lines = ["{"];
      for (const e of sortEntries(v.entries)) {
        const name = e.path.map(nixAttrName).join(".");
        const text = print(e.value, inner);
        const multi = text.includes("\n");
        if (e.comment !== undefined && multi) lines.push(`${inner}# ${commentText(e.comment)}`);
        const tail = e.comment !== undefined && !multi ? ` # ${commentText(e.comment)}` : "";
        lines.push(`${inner}${name} = ${text};${tail}`);
      }
      lines.push(`${indent}}`);
      return lines.join("\n");
    }
    case "function": {
      for (const a of v.args) if (!IDENT.test(a) || KEYWORDS.has(a)) throw new Error(`bug: bad argument name ${a}`);
      const head = v.args.length ? `{ ${[...v.args, "..."].join(", ")} }:` : "{ ... }:";
      return `${head}\n${indent}${print(v.body, indent)}`;
    }
    default:
      throw new Error(`bug: ${v.kind} has an inline form`);
  }
}

/** Print one expression (no trailing newline). */
export function printNix(v: NixValue): string {
  return print(v, "");
}

/** A whole `.nix` file: header comment lines, then the expression, then a newline. */
export function renderNixFile(header: readonly string[], v: NixValue): string {
  const top = header.map((h) => `# ${commentText(h)}`.trimEnd());
  return `${top.length ? `${top.join("\n")}\n` : ""}${printNix(v)}\n`;
}
