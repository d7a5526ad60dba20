// Renders attribute values the way Terraform's human renderer does: aligned keys,
// 4-space indent, heredocs, hidden-unchanged counts and (sensitive value).

import { structuredPatch } from "diff";

export const SENSITIVE = "(sensitive value)";
const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

type Sym = "+" | "-" | "~" | " ";

function quoteKey(k: string, isMap: boolean): string {
  return isMap || !IDENT.test(k) ? JSON.stringify(k) : k;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  return String(v);
}

function pad(n: number): string {
  return " ".repeat(n);
}

/** A whole value rendered with one symbol (create/delete), as lines after `key = `. */
function whole(v: unknown, sym: Sym, indent: number, nested: boolean): string[] {
  if (typeof v === "string" && v.includes("\n")) {
    const body = v.endsWith("\n") ? v.slice(0, -1) : v;
    return ["<<-EOT", ...body.split("\n").map((l) => `${pad(indent + 4)}${l}`), `${pad(indent)}EOT`];
  }
  if (Array.isArray(v)) {
    if (!v.length) return ["[]"];
    const lines = ["["];
    for (const el of v) {
      const inner = whole(el, sym, indent + 4, true);
      lines.push(`${pad(indent + 2)}${sym} ${inner[0]},`.replace(/,$/, inner.length > 1 ? "" : ","));
      lines.push(...inner.slice(1));
      if (inner.length > 1) lines[lines.length - 1] += ",";
    }
    lines.push(`${pad(indent)}]`);
    return lines;
  }
  if (isObj(v)) {
    const keys = Object.keys(v).sort();
    if (!keys.length) return ["{}"];
    const w = Math.max(...keys.map((k) => quoteKey(k, nested).length));
    const lines = ["{"];
    for (const k of keys) {
      const inner = whole(v[k], sym, indent + 4, true);
      lines.push(`${pad(indent + 2)}${sym} ${quoteKey(k, nested).padEnd(w)} = ${inner[0]}`);
      lines.push(...inner.slice(1));
    }
    lines.push(`${pad(indent)}}`);
    return lines;
  }
  return [scalar(v)];
}

function textDiff(before: string, after: string, indent: number): string[] {
  const patch = structuredPatch("a", "b", before, after, "", "", { context: 3, timeout: 200 });
  if (!patch) return ["<<-EOT", `${pad(indent + 4)}# (file replaced; diff too large to compute)`, `${pad(indent)}EOT`];
  const lines = ["<<-EOT"];
  let hidden = 0;
  let last = 0;
  for (const h of patch.hunks) {
    hidden += h.oldStart - 1 - last;
    if (hidden > 0) lines.push(`${pad(indent + 4)}# (${hidden} unchanged line${hidden === 1 ? "" : "s"} hidden)`);
    hidden = 0;
    for (const l of h.lines) {
      // "\ No newline at end of file" marks the line above it, as in git (else "- two"/"+ two" look equal).
      if (l.startsWith("\\")) {
        lines.push(`${pad(indent + 4)}# (no newline at end of file)`);
        continue;
      }
      const s = l[0] === "+" ? "+" : l[0] === "-" ? "-" : " ";
      lines.push(`${pad(indent + 2)}${s} ${l.slice(1)}`);
    }
    last = h.oldStart - 1 + h.oldLines;
  }
  const total = before.endsWith("\n") ? before.split("\n").length - 1 : before.split("\n").length;
  if (total - last > 0) lines.push(`${pad(indent + 4)}# (${total - last} unchanged line${total - last === 1 ? "" : "s"} hidden)`);
  lines.push(`${pad(indent)}EOT`);
  return lines;
}

export interface AttrOptions {
  sensitive: readonly string[];
  replacePaths: readonly string[];
}

/** Lines for an object body: the attributes of a resource, with symbols per attribute. */
export function renderBody(before: Record<string, unknown> | null, after: Record<string, unknown> | null, indent: number, opts: AttrOptions, nested = false): string[] {
  const keys = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])].sort();
  const w = keys.length ? Math.max(...keys.map((k) => quoteKey(k, nested).length)) : 0;
  const lines: string[] = [];
  let hidden = 0;
  for (const k of keys) {
    const b = before?.[k];
    const a = after?.[k];
    const inB = before !== null && k in before;
    const inA = after !== null && k in after;
    const key = quoteKey(k, nested).padEnd(w);
    const sensitive = !nested && opts.sensitive.includes(k);
    const forces = !nested && opts.replacePaths.includes(k) ? " # forces replacement" : "";
    if (inA && !inB) {
      if (before !== null && after !== null && !nested) {
        /* attribute added to an existing resource */
      }
      const v = sensitive ? [SENSITIVE] : whole(a, "+", indent + 2, nested || isObj(a));
      lines.push(`${pad(indent)}+ ${key} = ${v[0]}${forces}`, ...v.slice(1));
    } else if (inB && !inA) {
      const v = sensitive ? [SENSITIVE] : whole(b, "-", indent + 2, nested || isObj(b));
      if (after === null) lines.push(`${pad(indent)}- ${key} = ${v[0]}${v.length === 1 ? " -> null" : ""}`, ...v.slice(1));
      else lines.push(`${pad(indent)}- ${key} = ${v[0]}${v.length === 1 ? " -> null" : ""}`, ...v.slice(1).map((l, i, arr) => (i === arr.length - 1 ? `${l} -> null` : l)));
    } else if (JSON.stringify(a) === JSON.stringify(b)) {
      hidden++;
    } else if (sensitive) {
      lines.push(`${pad(indent)}~ ${key} = ${SENSITIVE}${forces}`);
    } else if (isObj(a) && isObj(b)) {
      lines.push(`${pad(indent)}~ ${key} = {${forces}`, ...renderBody(b, a, indent + 4, opts, true), `${pad(indent + 2)}}`);
    } else if (typeof a === "string" && typeof b === "string" && (a.includes("\n") || b.includes("\n"))) {
      const d = textDiff(b, a, indent + 2);
      lines.push(`${pad(indent)}~ ${key} = ${d[0]}${forces}`, ...d.slice(1));
    } else if (Array.isArray(a) && Array.isArray(b)) {
      const d = listDiff(b, a, indent + 2);
      lines.push(`${pad(indent)}~ ${key} = ${d[0]}${forces}`, ...d.slice(1));
    } else {
      const bs = whole(b, " ", indent + 2, true);
      const as = whole(a, " ", indent + 2, true);
      if (bs.length === 1 && as.length === 1) lines.push(`${pad(indent)}~ ${key} = ${bs[0]} -> ${as[0]}${forces}`);
      else lines.push(`${pad(indent)}~ ${key} = ${bs.join("\n")} -> ${as.join("\n")}${forces}`);
    }
  }
  if (hidden && before !== null && after !== null)
    lines.push(`${pad(indent + 2)}# (${hidden} unchanged ${nested ? "element" : "attribute"}${hidden === 1 ? "" : "s"} hidden)`);
  return lines;
}

function listDiff(before: unknown[], after: unknown[], indent: number): string[] {
  const lines = ["["];
  const n = Math.max(before.length, after.length);
  let hidden = 0;
  for (let i = 0; i < n; i++) {
    const b = before[i];
    const a = after[i];
    if (i < before.length && i < after.length && JSON.stringify(a) === JSON.stringify(b)) {
      hidden++;
      continue;
    }
    if (hidden) lines.push(`${pad(indent + 4)}# (${hidden} unchanged element${hidden === 1 ? "" : "s"} hidden)`);
    hidden = 0;
    if (i < before.length && i < after.length) lines.push(`${pad(indent + 2)}~ ${whole(b, " ", indent + 4, true).join(" ")} -> ${whole(a, " ", indent + 4, true).join(" ")},`);
    else if (i < after.length) lines.push(`${pad(indent + 2)}+ ${whole(a, "+", indent + 4, true).join(" ")},`);
    else lines.push(`${pad(indent + 2)}- ${whole(b, "-", indent + 4, true).join(" ")},`);
  }
  if (hidden) lines.push(`${pad(indent + 4)}# (${hidden} unchanged element${hidden === 1 ? "" : "s"} hidden)`);
  lines.push(`${pad(indent)}]`);
  return lines;
}
