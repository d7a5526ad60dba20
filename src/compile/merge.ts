// Layered merge after the NixOS module system: every definition keeps its origin,
// only the best priority survives, and each option kind owns its merge rule.

import { closest, distance } from "fastest-levenshtein";
import { error, type Diagnostic, type SourcePos } from "./diagnostics.js";
import { formatPath, pathKey, type OptionPath } from "./path.js";
import { FORCE, DEFAULT, priorityName, type LayerKind } from "./priority.js";
import { kindOf, schemaAt, type JsonSchema } from "./schema.js";
import type { TomlTable, TomlValue } from "./load.js";

/** One definition of one option, with where it came from. */
export interface Def {
  value: TomlValue;
  file: string;
  line?: number;
  col?: number;
  layer: LayerKind;
  priority: number;
}

/** One input to the merge: a table of values plus positions. */
export interface Layer {
  kind: LayerKind;
  file: string;
  priority: number;
  value: TomlTable;
  /** Position lookups relative to `value`'s root. */
  keyPos?: (path: OptionPath) => SourcePos | undefined;
  valuePos?: (path: OptionPath) => SourcePos | undefined;
}

export interface MergedOption {
  path: OptionPath;
  defs: Def[];
  value: TomlValue;
  highestPriority: number;
}

export interface Location {
  file: string;
  pos: SourcePos;
}

/**
 * pathKey -> where a key is (tables included), for errors. Computed on first use: most
 * commands never point at anything, and positions cost a second parse of every file.
 */
export class Locations {
  private readonly known = new Map<string, Location>();
  /** Per key: where to look, in layer order; the first that knows wins. */
  private readonly candidates = new Map<string, (() => Location | undefined)[]>();
  /** Fill many positions at once (elements of merged lists); they win over candidates. */
  private readonly providers: (() => void)[] = [];

  candidate(key: string, find: () => Location | undefined): void {
    const list = this.candidates.get(key);
    if (list) list.push(find);
    else this.candidates.set(key, [find]);
  }

  provider(fill: (set: (key: string, l: Location) => void) => void): void {
    this.providers.push(() => fill((k, l) => this.known.set(k, l)));
  }

  get(key: string): Location | undefined {
    while (this.providers.length) this.providers.shift()!();
    const hit = this.known.get(key);
    if (hit) return hit;
    for (const find of this.candidates.get(key) ?? []) {
      const l = find();
      if (l) {
        this.known.set(key, l);
        return l;
      }
    }
    return undefined;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
}

export interface Merged {
  value: TomlTable;
  /** pathKey -> merged option (leaves: scalars and lists). */
  options: Map<string, MergedOption>;
  /** pathKey -> first key position seen for that path (tables included), for errors. */
  keyLocations: Locations;
}

/** A definition whose line and column are read from its layer only when asked. */
function lazyDef(base: Omit<Def, "line" | "col">, where: () => SourcePos | undefined): Def {
  let pos: SourcePos | undefined | null = null;
  const at = () => (pos === null ? (pos = where()) : pos);
  return Object.defineProperties({ ...base } as Def, {
    line: { get: () => at()?.line, enumerable: true },
    col: { get: () => at()?.col, enumerable: true },
  });
}

const WRAPPERS: Record<string, number> = { default: DEFAULT, force: FORCE };

function isTable(v: TomlValue | undefined): v is TomlTable {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * `{ default = v }` or `{ force = v }` moves a definition to another priority, unless the
 * option's schema has a property of that name (a profile input's `default`).
 */
function unwrap(v: TomlValue, schema: JsonSchema | undefined): { value: TomlValue; priority?: number } {
  if (isTable(v)) {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0]! in WRAPPERS && !(schema?.properties && keys[0]! in schema.properties)) return { value: v[keys[0]!]!, priority: WRAPPERS[keys[0]!] };
  }
  return { value: v };
}

interface Collected {
  path: OptionPath;
  defs: Def[];
  /** The layer of each definition (same order as defs), for positions inside list elements. */
  layers: Layer[];
}

function collect(root: JsonSchema, layer: Layer, defs: Map<string, Collected>, keyLocations: Merged["keyLocations"]): void {
  const visit = (path: OptionPath, v: TomlValue): void => {
    const k = pathKey(path);
    if (layer.keyPos) {
      const keyPos = layer.keyPos;
      keyLocations.candidate(k, () => {
        const pos = keyPos(path);
        return pos && { file: layer.file, pos };
      });
    }
    const at = schemaAt(root, path);
    const { value, priority } = unwrap(v, at);
    const kind = kindOf(root, at);
    if ((kind === "table" || kind === "map") && isTable(value) && priority === undefined) {
      for (const [key, x] of Object.entries(value)) visit([...path, key], x);
      return;
    }
    const entry = defs.get(k) ?? { path, defs: [], layers: [] };
    entry.defs.push(lazyDef({ value, file: layer.file, layer: layer.kind, priority: priority ?? layer.priority }, () => layer.valuePos?.(path) ?? layer.keyPos?.(path)));
    entry.layers.push(layer);
    defs.set(k, entry);
  };
  for (const [key, x] of Object.entries(layer.value)) visit([key], x);
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function showValue(v: TomlValue): string {
  const s = JSON.stringify(v);
  return s.length > 200 ? `${s.slice(0, 197)}...` : s;
}

export function showDef(d: Def): string {
  const loc = d.line ? `${d.file}:${d.line}:${d.col ?? 1}` : d.file;
  return `- In \`${loc}' (${d.layer}, priority ${d.priority}): ${showValue(d.value)}`;
}

/**
 * Positions inside the elements of a merged list (`[[backend.microvm.shares]]` and its keys),
 * at their index in the merged value: a list concatenates its definitions, so an element's
 * index is its index in its own file plus the length of the definitions merged before it.
 */
function elementLocations(path: OptionPath, used: readonly { def: Def; layer: Layer }[], keyLocations: Merged["keyLocations"]): void {
  keyLocations.provider((set) => {
    let offset = 0;
    for (const { def, layer } of used) {
      const items = Array.isArray(def.value) ? def.value : [def.value];
      items.forEach((item, i) => {
        const visit = (src: OptionPath, dst: OptionPath, v: TomlValue): void => {
          const p = layer.keyPos?.(src) ?? layer.valuePos?.(src);
          if (p) set(pathKey(dst), { file: layer.file, pos: p });
          if (Array.isArray(v)) v.forEach((x, j) => visit([...src, j], [...dst, j], x));
          else if (isTable(v)) for (const [key, x] of Object.entries(v)) visit([...src, key], [...dst, key], x);
        };
        // A list wrapped in `{ force = [...] }` has its elements one level down.
        const src = [[...path, i], [...path, "force", i], [...path, "default", i]].find((q) => layer.keyPos?.(q)) ?? [...path, i];
        visit(src, [...path, offset + i], item);
      });
      offset += items.length;
    }
  });
}

function mergeOption(root: JsonSchema, path: OptionPath, entry: Collected, diags: Diagnostic[], keyLocations: Merged["keyLocations"]): MergedOption | undefined {
  const all = entry.defs;
  const best = Math.min(...all.map((d) => d.priority));
  const kind = kindOf(root, schemaAt(root, path));
  const s = schemaAt(root, path);
  if (kind === "list" && s?.["x-merge"] !== "replace") {
    // listOf: concatenate every definition in priority order; a forced list replaces the rest.
    const forced = all.filter((d) => d.priority === FORCE && d.layer !== "cli");
    const used = forced.length ? forced : [...all].sort((a, b) => a.priority - b.priority);
    elementLocations(
      path,
      used.map((def) => ({ def, layer: entry.layers[all.indexOf(def)]! })),
      keyLocations,
    );
    const value: TomlValue[] = [];
    for (const d of used) {
      if (Array.isArray(d.value)) value.push(...d.value);
      else value.push(d.value);
    }
    return { path, defs: all, value, highestPriority: best };
  }
  const winners = all.filter((d) => d.priority === best);
  const first = winners[0]!;
  if (winners.some((d) => !deepEqual(d.value, first.value))) {
    const where = first.line ? { file: first.file, start: { line: first.line, col: first.col ?? 1 } } : undefined;
    diags.push(
      error(`Conflicting definitions for \`${formatPath(path)}'`, {
        range: where,
        address: formatPath(path),
        detail:
          `The option \`${formatPath(path)}' has conflicting definition values at priority ${best} (${priorityName(best)}):\n` +
          winners.map(showDef).join("\n") +
          `\nUse \`{ force = ... }\` on the value that should win, or \`{ default = ... }\` on the one that should yield, ` +
          `or move the override to infra.local.toml or \`--set\`.`,
      }),
    );
    return undefined;
  }
  if (Array.isArray(first.value)) elementLocations(path, [{ def: first, layer: entry.layers[all.indexOf(first)]! }], keyLocations);
  return { path, defs: all, value: first.value, highestPriority: best };
}

function setAt(root: TomlTable, path: OptionPath, value: TomlValue): void {
  let cur: TomlTable = root;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = String(path[i]);
    const next = cur[seg];
    if (!isTable(next)) cur[seg] = {};
    cur = cur[seg] as TomlTable;
  }
  cur[String(path[path.length - 1])] = value;
}

/** Merge layers by the schema's option kinds; conflicts become diagnostics. */
export function mergeLayers(root: JsonSchema, layers: readonly Layer[]): { merged: Merged; diags: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const byPath = new Map<string, Collected>();
  const keyLocations = new Locations();
  for (const layer of layers) collect(root, layer, byPath, keyLocations);
  const value: TomlTable = {};
  const options = new Map<string, MergedOption>();
  const keys = [...byPath.keys()].sort();
  for (const k of keys) {
    const entry = byPath.get(k)!;
    const { path } = entry;
    const m = mergeOption(root, path, entry, diags, keyLocations);
    if (!m) continue;
    options.set(k, m);
    setAt(value, path, m.value);
  }
  return { merged: { value, options, keyLocations }, diags };
}

/** Where to point an error about `path`: its winning definition, else its key, else an ancestor. */
export function locate(merged: Merged, path: OptionPath): { file: string; pos: SourcePos } | undefined {
  for (let n = path.length; n >= 0; n--) {
    const sub = path.slice(0, n);
    const opt = merged.options.get(pathKey(sub));
    if (opt) {
      const best = opt.defs.filter((d) => d.priority === opt.highestPriority);
      const d = best[best.length - 1] ?? opt.defs[0];
      // A command-line definition has no line: point at the flag itself, not at a file it overrides.
      if (d && d.layer === "cli") return { file: d.file, pos: { line: 0, col: 0 } };
      if (d?.line) {
        // For a list element or table inside a value, prefer the nested position when known.
        const inner = merged.keyLocations.get(pathKey(path));
        if (inner && inner.file === d.file && n < path.length) return inner;
        return { file: d.file, pos: { line: d.line, col: d.col ?? 1 } };
      }
    }
    const kl = merged.keyLocations.get(pathKey(sub));
    if (kl) return kl;
  }
  return undefined;
}

export function didYouMean(name: string, candidates: readonly string[]): string | undefined {
  if (!candidates.length) return undefined;
  const c = closest(name, [...candidates]);
  const limit = Math.max(2, Math.floor(name.length / 3));
  return distance(name, c) <= limit ? c : undefined;
}
