// The profile catalog: every profile file on the search path (the project's profiles/ and
// .sbx/profiles/, $SBX_HOME/profiles, $XDG_CONFIG_HOME/sbx/profiles, SBX_PROFILE_PATH),
// first match by name wins, as when a profile is loaded.

import * as fs from "node:fs";
import * as path from "node:path";
import { displayPath, findConfigDir } from "../../compile/config.js";
import { error, type Diagnostic } from "../../compile/diagnostics.js";
import { describeProfile, profileSearchDirs, type ProfileDir, type ProfileSummary } from "../../compile/profiles.js";
import { fsReader, projectPaths } from "../context.js";

export interface CatalogEntry extends ProfileSummary {
  /** Files of the same name further down the search path, which this one hides. */
  shadows: string[];
}

export interface Catalog {
  entries: CatalogEntry[];
  dirs: (ProfileDir & { shown: string; exists: boolean })[];
}

export function profileCatalog(cwd: string, env: NodeJS.ProcessEnv): Catalog {
  const paths = projectPaths(cwd, env);
  const projectDir = findConfigDir(paths, fsReader)?.dir ?? paths.worktree;
  const dirs = profileSearchDirs(paths, projectDir).map((d) => ({ ...d, shown: displayPath(paths, d.dir), exists: fs.existsSync(d.dir) }));
  const byName = new Map<string, CatalogEntry>();
  for (const d of dirs) {
    if (!d.exists) continue;
    const files = fs
      .readdirSync(d.dir, { withFileTypes: true })
      .filter((e) => e.name.endsWith(".toml") && (e.isFile() || e.isSymbolicLink()))
      .map((e) => e.name)
      .sort();
    for (const f of files) {
      const name = f.slice(0, -".toml".length);
      const file = path.join(d.dir, f);
      const shown = displayPath(paths, file);
      const first = byName.get(name);
      if (first) {
        first.shadows.push(shown);
        continue;
      }
      const text = fsReader.read(file);
      if (text === undefined) continue;
      byName.set(name, { ...describeProfile({ name, file, shown, text, source: d.source }), file: shown, shadows: [] });
    }
  }
  return { entries: [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), dirs };
}

/** One profile by its name (file name) or id, with its text. */
export function showProfile(cwd: string, env: NodeJS.ProcessEnv, nameOrId: string): { entry?: CatalogEntry; text?: string; catalog: Catalog; diags: Diagnostic[] } {
  const catalog = profileCatalog(cwd, env);
  const entry = catalog.entries.find((e) => e.name === nameOrId) ?? catalog.entries.find((e) => e.id === nameOrId);
  if (!entry) return { catalog, diags: [notFound(catalog, nameOrId)] };
  const abs = catalog.dirs.map((d) => path.join(d.dir, `${entry.name}.toml`)).find((f) => fs.existsSync(f));
  return { entry, text: abs ? fsReader.read(abs) : undefined, catalog, diags: [] };
}

/** `--profile ID` where the file is named otherwise: the name to load. */
export function profileNameFor(cwd: string, env: NodeJS.ProcessEnv, nameOrId: string): string {
  const catalog = profileCatalog(cwd, env);
  if (catalog.entries.some((e) => e.name === nameOrId)) return nameOrId;
  const byId = catalog.entries.filter((e) => e.id === nameOrId);
  return byId.length === 1 ? byId[0]!.name : nameOrId;
}

function notFound(catalog: Catalog, name: string): Diagnostic {
  const known = catalog.entries.map((e) => (e.id === e.name ? e.name : `${e.name} (id ${e.id})`));
  return error(`Profile \`${name}' not found`, {
    code: "usage",
    detail: `Looked in ${catalog.dirs.map((d) => d.shown).join(", ")}. ${known.length ? `Profiles found: ${known.join(", ")}.` : "No profiles found there."}`,
  });
}
