// Compose value syntax that init reads: `${VAR:-default}` interpolation and the short
// and long forms of a `ports:` entry. Pure string functions.

import type { HostPort } from "./types.js";

export interface RawRef {
  name: string;
  op?: string;
  arg?: string;
  /** Offsets of the whole reference in the scanned string. */
  start: number;
  end: number;
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const OPS = [":-", ":?", ":+", "-", "?", "+"];

/** Top-level references in a compose string (`$$` is a literal `$`). Nested ones stay in `arg`. */
export function scanRefs(s: string): RawRef[] {
  const out: RawRef[] = [];
  let i = 0;
  while (i < s.length) {
    if (s[i] !== "$") {
      i++;
      continue;
    }
    if (s[i + 1] === "$") {
      i += 2;
      continue;
    }
    if (s[i + 1] === "{") {
      const close = matchingBrace(s, i + 1);
      if (close < 0) break; // unterminated: compose rejects it; nothing to report here
      const body = s.slice(i + 2, close);
      NAME.lastIndex = 0;
      const m = NAME.exec(body);
      if (m) {
        const rest = body.slice(m[0].length);
        const op = OPS.find((o) => rest.startsWith(o));
        if (rest === "") out.push({ name: m[0], start: i, end: close + 1 });
        else if (op) out.push({ name: m[0], op, arg: rest.slice(op.length), start: i, end: close + 1 });
      }
      i = close + 1;
      continue;
    }
    NAME.lastIndex = i + 1;
    const m = NAME.exec(s);
    if (m) {
      out.push({ name: m[0], start: i, end: i + 1 + m[0].length });
      i += 1 + m[0].length;
    } else i++;
  }
  return out;
}

/** Every reference, including those nested in defaults (`${A:-${B}}` gives A and B). */
export function scanRefsDeep(s: string): RawRef[] {
  const out: RawRef[] = [];
  for (const r of scanRefs(s)) {
    out.push(r);
    if (r.arg) out.push(...scanRefsDeep(r.arg).map((n) => ({ ...n, start: r.start, end: r.end })));
  }
  return out;
}

function matchingBrace(s: string, open: number): number {
  let depth = 0;
  for (let j = open; j < s.length; j++) {
    if (s[j] === "{") depth++;
    else if (s[j] === "}" && --depth === 0) return j;
  }
  return -1;
}

/** Split on `sep` outside `${...}` and `[...]` (IPv6 addresses). */
function splitOutside(s: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let j = 0; j < s.length; j++) {
    const c = s[j];
    if (c === "{" || c === "[") depth++;
    else if ((c === "}" || c === "]") && depth > 0) depth--;
    else if (c === sep && depth === 0) {
      parts.push(s.slice(start, j));
      start = j + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

/** Interpret the host-port text of a short spec or of a long-form `published`. */
export function parseHostPort(text: string): HostPort {
  const t = text.trim();
  if (t === "") return { kind: "ephemeral" };
  if (/^\d+$/.test(t)) return { kind: "fixed", port: Number(t) };
  const range = /^(\d+)-(\d+)$/.exec(t);
  if (range) return { kind: "range", from: Number(range[1]), to: Number(range[2]) };
  const refs = scanRefs(t);
  const only = refs[0];
  if (refs.length === 1 && only && only.start === 0 && only.end === t.length) {
    const def = (only.op === ":-" || only.op === "-") && only.arg !== undefined && /^\d+$/.test(only.arg) ? Number(only.arg) : undefined;
    return { kind: "var", name: only.name, ...(only.op ? { op: only.op } : {}), ...(def !== undefined ? { default: def } : {}) };
  }
  return { kind: "unknown", text: t };
}

export interface ShortSpec {
  hostIp?: string;
  /** Undefined when the spec has no host part (container port only). */
  hostText?: string;
  container: string;
  protocol?: string;
}

/**
 * Split a short-syntax entry: `[[IP:](HOST):]CONTAINER[/PROTOCOL]`, where HOST and
 * CONTAINER may be ranges and any part may be interpolated. An unbracketed IPv6
 * address takes everything before the last two colons.
 */
export function splitShortSpec(spec: string): ShortSpec {
  let body = spec.trim();
  let protocol: string | undefined;
  const slash = splitOutside(body, "/");
  if (slash.length > 1) {
    protocol = slash[slash.length - 1];
    body = slash.slice(0, -1).join("/");
  }
  const parts = splitOutside(body, ":");
  const container = parts[parts.length - 1] ?? "";
  const out: ShortSpec = { container, ...(protocol !== undefined ? { protocol } : {}) };
  if (parts.length === 1) return out;
  out.hostText = parts[parts.length - 2];
  if (parts.length > 2) out.hostIp = parts.slice(0, -2).join(":");
  return out;
}

/** Offsets of the host-port text inside a short spec, for an in-place replacement. */
export function hostTextSpan(spec: string): { start: number; end: number } | undefined {
  const s = splitShortSpec(spec);
  if (s.hostText === undefined) return undefined;
  const lead = spec.length - spec.trimStart().length;
  const start = lead + (s.hostIp !== undefined ? s.hostIp.length + 1 : 0);
  return { start, end: start + s.hostText.length };
}
