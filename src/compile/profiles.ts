// Profiles beyond merging: where they are found, sand-boxer's own spellings, fields this
// sbx does not honour yet (located errors, never a silent local run), and the inputs a
// profile declares for `${inputs.NAME}`. Pure: file contents are handed in.

import * as path from "node:path";
import { error, type Diagnostic, type SourceRange } from "./diagnostics.js";
import { loadToml, type LoadedFile, type TomlTable, type TomlValue } from "./load.js";
import { pathKey, type OptionPath } from "./path.js";
import { parseSecretRef } from "./secret-refs.js";

/** Where a profile directory comes from, in lookup order. */
export type ProfileSource = "project" | "sbx-home" | "user" | "shared";

export interface ProfileDir {
  dir: string;
  source: ProfileSource;
}

/** What decides the search path (a subset of ProjectPaths, so this file needs no import of config.ts). */
export interface ProfileSearchInput {
  /** $SBX_HOME (its profiles/ folder is searched after the project's). */
  sbxHome?: string;
  /** $XDG_CONFIG_HOME. */
  xdgConfig?: string;
  /** SBX_PROFILE_PATH, split on ':' (shared, e.g. a team checkout). */
  profilePath?: readonly string[];
}

/** The directories searched for `<name>.toml`, first match wins. */
export function profileSearchDirs(paths: ProfileSearchInput, projectDir: string): ProfileDir[] {
  const dirs: ProfileDir[] = [
    { dir: path.join(projectDir, "profiles"), source: "project" },
    { dir: path.join(projectDir, ".sbx", "profiles"), source: "project" },
  ];
  if (paths.sbxHome) dirs.push({ dir: path.join(paths.sbxHome, "profiles"), source: "sbx-home" });
  if (paths.xdgConfig) dirs.push({ dir: path.join(paths.xdgConfig, "sbx", "profiles"), source: "user" });
  for (const d of paths.profilePath ?? []) if (d) dirs.push({ dir: path.resolve(d), source: "shared" });
  const seen = new Set<string>();
  return dirs.filter((d) => (seen.has(d.dir) ? false : (seen.add(d.dir), true)));
}

/** SBX_PROFILE_PATH as directories (empty entries dropped, as PATH does). */
export function splitProfilePath(text: string | undefined): string[] {
  return (text ?? "").split(":").filter((s) => s.trim() !== "");
}

function rangeOf(pf: LoadedFile, p: OptionPath): SourceRange {
  const pos = pf.keyPos.get(pathKey(p)) ?? pf.valuePos.get(pathKey(p));
  return { file: pf.file, start: pos ?? { line: 1, col: 1 } };
}

/** A secret name suggested for a list-form secret_refs entry. */
function secretNameFor(entry: string): string {
  const last = entry.split(/[/#:]/).filter(Boolean).pop() ?? entry;
  const name = last.toUpperCase().replace(/[^A-Z0-9_]/g, "_").replace(/^([0-9])/, "_$1");
  return name || "SECRET";
}

const EXTENSIONS: Record<string, string> = {
  "ext.compose-ssh": 'backend = "compose" (with placement = "ssh://user@host" it runs on that host\'s Docker engine)',
  "ext.compose": 'backend = "compose"',
  "ext.vm-packer": 'backend = "microvm" (a NixOS microVM; Packer images are not built by sbx)',
  "ext.process": 'backend = "process"',
};

/**
 * sand-boxer's spellings and the fields not honoured yet. Returns the profile without
 * the keys reported here, so schema validation does not report them a second time.
 */
export function profileProblems(pf: LoadedFile): { value: TomlTable; diags: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const value: TomlTable = { ...pf.value };
  const ext = value.extension;
  if (ext !== undefined) {
    const instead = typeof ext === "string" ? EXTENSIONS[ext] : undefined;
    diags.push(
      error("sand-boxer's `extension' is spelt `backend' in sbx", {
        range: rangeOf(pf, ["extension"]),
        address: "extension",
        detail:
          `sbx names what fulfils a profile \`backend\`: process, compose, microvm or kubernetes. ` +
          (instead ? `Replace this line with ${instead}.` : `\`${String(ext)}' has no sbx backend; replace the line with backend = "process" or "compose".`),
      }),
    );
    delete value.extension;
  }
  if (value.actor !== undefined) {
    diags.push(
      error("sand-boxer's `actor' has no meaning in sbx", {
        range: rangeOf(pf, ["actor"]),
        address: "actor",
        detail: "A profile is a recipe; who asks for a sandbox (adm, agt, atm) is not part of it in sbx. Remove the line (note the intended actor in `description' if it helps readers).",
      }),
    );
    delete value.actor;
  }
  const setup = value.setup;
  if (setup && typeof setup === "object" && !Array.isArray(setup) && Array.isArray(setup.secret_refs)) {
    const entries = setup.secret_refs.filter((e): e is string => typeof e === "string");
    const lines = entries.map((e) => {
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(e)) return `${e} = "$${e}"`;
      const name = secretNameFor(e);
      // A reference sbx can resolve stays; another (openbao://...) needs a source sbx knows.
      const scheme = parseSecretRef(name, e).ref?.scheme;
      return scheme && scheme !== "literal" ? `${name} = "${e}"` : `${name} = "op://vault/item/field"   # was ${e}`;
    });
    diags.push(
      error("List-form `setup.secret_refs' is sand-boxer's spelling", {
        range: rangeOf(pf, ["setup", "secret_refs"]),
        address: "setup.secret_refs",
        detail:
          "sbx names each secret and says where its value comes from (op://, $VAR, env://VAR, dotenv://path#KEY, file://path). Write it as a table:\n" +
          `  [setup.secret_refs]\n${(lines.length ? lines : ['API_KEY = "op://vault/item/field"']).map((l) => `  ${l}`).join("\n")}`,
      }),
    );
    const { secret_refs: _dropped, ...rest } = setup;
    value.setup = rest;
  }
  // `route' is honoured: candidates probed and chosen at plan time (src/compile/route.ts, src/apply/route.ts).
  if (value.reachability !== undefined)
    diags.push(
      error("`reachability' is not supported by this sbx yet", {
        range: rangeOf(pf, ["reachability"]),
        address: "reachability",
        detail: "This sbx sets up no tunnels or identities. Every sandbox already publishes how to reach it (URLs, ports, env names, TTL) in .sbx/sandbox.json, `sbx status --json` and `sbx reachability`. Remove the reachability table.",
      }),
    );
  return { value, diags };
}

/** An input a profile declares. */
export interface InputDecl {
  name: string;
  description?: string;
  /** Its default as text; undefined means the input is required. */
  default?: string;
  profile: string;
  range: SourceRange;
}

export function declaredInputs(pf: LoadedFile, profileId: string): InputDecl[] {
  const inputs = pf.value.inputs;
  if (!inputs || typeof inputs !== "object" || Array.isArray(inputs)) return [];
  const out: InputDecl[] = [];
  for (const [name, raw] of Object.entries(inputs)) {
    const d = raw && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, TomlValue>) : {};
    const def = d.default;
    out.push({
      name,
      profile: profileId,
      range: rangeOf(pf, ["inputs", name]),
      ...(typeof d.description === "string" ? { description: d.description } : {}),
      ...(def !== undefined && typeof def !== "object" ? { default: String(def) } : {}),
    });
  }
  return out;
}

/** Parse `--input NAME=VALUE`. */
export function parseInputFlag(text: string): { name?: string; value?: string; diag?: Diagnostic } {
  const eq = text.indexOf("=");
  const name = eq > 0 ? text.slice(0, eq).trim() : "";
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    return { diag: error("Invalid --input", { code: "usage", detail: `Expected --input NAME=VALUE (NAME: letters, digits and _), got \`${text}'. Example: --input repo=/src/shop` }) };
  return { name, value: text.slice(eq + 1) };
}

/**
 * The value of every declared input: given, else its default. Unknown and missing inputs
 * are errors; the first declaration of a name wins (the profile named first).
 */
export function resolveInputs(decls: readonly InputDecl[], given: Readonly<Record<string, string>>): { values: Record<string, string>; diags: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  const byName = new Map<string, InputDecl>();
  for (const d of decls) if (!byName.has(d.name)) byName.set(d.name, d);
  const values: Record<string, string> = {};
  for (const [name, v] of Object.entries(given)) {
    if (byName.has(name)) {
      values[name] = v;
      continue;
    }
    const known = [...byName.keys()];
    diags.push(
      error(`Unknown input \`${name}'`, {
        code: "usage",
        detail: known.length ? `The profiles of this sandbox declare: ${known.join(", ")}.` : "No profile of this sandbox declares inputs; declare it under [inputs.NAME] in the profile, or drop --input.",
      }),
    );
  }
  for (const d of byName.values()) {
    if (d.name in values) continue;
    if (d.default !== undefined) values[d.name] = d.default;
    else
      diags.push(
        error(`Input \`${d.name}' is required`, {
          code: "usage",
          range: d.range,
          detail: `Profile ${d.profile} declares it without a default${d.description ? ` (${d.description})` : ""}. Pass --input ${d.name}=VALUE (in the API: "inputs": {"${d.name}": "..."}).`,
        }),
      );
  }
  return { values, diags };
}

/** What `sbx profiles list` shows of one file. */
export interface ProfileSummary {
  /** How infra.toml and --profile refer to it: the file name without .toml. */
  name: string;
  id: string;
  version: string;
  description?: string;
  backend?: string;
  placement?: string;
  ttl?: string;
  extends: string[];
  inputs: { name: string; description?: string; default?: string; required: boolean }[];
  instructions?: string;
  file: string;
  source: ProfileSource;
  /** Problems reading it (invalid TOML, sand-boxer spellings): shown, never fatal to the listing. */
  problems: Diagnostic[];
}

export function describeProfile(opts: { name: string; file: string; shown: string; text: string; source: ProfileSource }): ProfileSummary {
  const base: ProfileSummary = { name: opts.name, id: opts.name, version: "?", extends: [], inputs: [], file: opts.file, source: opts.source, problems: [] };
  const loaded = loadToml(opts.shown, opts.text);
  if (!loaded.value) return { ...base, problems: loaded.diags };
  const v = loaded.value.value;
  const str = (x: TomlValue | undefined) => (typeof x === "string" ? x : undefined);
  const setup = v.setup && typeof v.setup === "object" && !Array.isArray(v.setup) ? v.setup : {};
  const id = str(v.id) ?? opts.name;
  return {
    ...base,
    id,
    version: v.version === undefined ? "0" : String(v.version),
    ...(str(v.description) ? { description: str(v.description) } : {}),
    ...(str(v.backend) ? { backend: str(v.backend) } : {}),
    ...(str(v.placement) ? { placement: str(v.placement) } : {}),
    ...(str(v.ttl) ? { ttl: str(v.ttl) } : {}),
    ...(str(setup.instructions) ? { instructions: str(setup.instructions) } : {}),
    extends: Array.isArray(v.extends) ? v.extends.filter((e): e is string => typeof e === "string") : [],
    inputs: declaredInputs(loaded.value, id).map((d) => ({ name: d.name, required: d.default === undefined, ...(d.description ? { description: d.description } : {}), ...(d.default !== undefined ? { default: d.default } : {}) })),
    problems: [...loaded.diags, ...profileProblems(loaded.value).diags],
  };
}
