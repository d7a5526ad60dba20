// `sbx init`: plan from the repository as it is (files, git's file list and ignores), and
// write what the user accepted: infra.toml, and the compose file with its host ports
// parameterized, keeping the original once as `<file>.bak`. The CLI asks and prints.

import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { error, type Diagnostic } from "../../compile/diagnostics.js";
import { planInit, schemaRef, type InitPlan } from "../../compile/init/index.js";
import { projectPaths } from "../context.js";
import { GitError, gitInitReader } from "../init-reader.js";

export interface InitOutcome {
  /** The repository root init works in (git top level, else the directory). */
  root: string;
  plan: InitPlan;
  /** Texts of the files as they are now and as init would write them (for located diagnostics). */
  textsNow: Map<string, string>;
  textsAfter: Map<string, string>;
}

/**
 * The schema shipped with this sbx: `schemas/infra.schema.json` next to the bundle's
 * package (dist/../schemas), found from this module's own path so an editor finds it
 * offline, wherever sbx is installed.
 */
export function shippedSchema(from: string = fileURLToPath(import.meta.url)): string | undefined {
  for (let dir = path.dirname(from); ; dir = path.dirname(dir)) {
    const f = path.join(dir, "schemas", "infra.schema.json");
    if (fs.existsSync(f)) return f;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** What `sbx init` would write in the repository holding `cwd`. */
export function planInitAt(cwd: string, opts: { healthEndpoint?: string; env?: NodeJS.ProcessEnv }): InitOutcome | { diags: Diagnostic[] } {
  try {
    return planAt(cwd, opts);
  } catch (e) {
    if (e instanceof GitError) return { diags: [error("git failed while looking at the repository", { code: "usage", detail: `${e.message}. Check that git works in this directory.` })] };
    throw e;
  }
}

function planAt(cwd: string, opts: { healthEndpoint?: string; env?: NodeJS.ProcessEnv }): InitOutcome {
  const paths = projectPaths(cwd, opts.env);
  const root = paths.worktree;
  const schema = shippedSchema();
  const infraDir = fs.existsSync(path.join(root, ".devops-ai", "infra.toml")) && !fs.existsSync(path.join(root, "infra.toml")) ? path.join(root, ".devops-ai") : root;
  const ref = schema ? schemaRef({ configDir: infraDir, schemaFile: schema }) : "https://sbx.dev/schemas/infra.schema.json";
  const plan = planInit(gitInitReader(root), { dirName: path.basename(paths.main), schemaRef: ref, ...(opts.healthEndpoint ? { healthEndpoint: opts.healthEndpoint } : {}) });
  const textsNow = new Map<string, string>();
  const textsAfter = new Map<string, string>();
  if (plan.infraToml.before !== undefined) textsNow.set(plan.infraToml.path, plan.infraToml.before);
  textsAfter.set(plan.infraToml.path, plan.infraToml.text);
  if (plan.compose) {
    textsNow.set(plan.compose.path, plan.compose.before);
    textsAfter.set(plan.compose.path, plan.compose.text);
  }
  return { root, plan, textsNow, textsAfter };
}

/** Write the plan: infra.toml, then the compose backup (only if none exists) and the compose file. */
export function writeInit(o: InitOutcome): { written: string[]; diags: Diagnostic[] } {
  const written: string[] = [];
  const { plan, root } = o;
  try {
    if (plan.infraToml.changed) {
      const f = path.join(root, plan.infraToml.path);
      fs.mkdirSync(path.dirname(f), { recursive: true });
      fs.writeFileSync(f, plan.infraToml.text);
      written.push(plan.infraToml.path);
    }
    if (plan.compose?.changed) {
      const bak = path.join(root, plan.compose.backupPath);
      // Exclusive create: a backup from an earlier run holds the original; never overwrite it.
      if (!plan.compose.backupExists && !fs.existsSync(bak)) {
        fs.writeFileSync(bak, plan.compose.before, { flag: "wx" });
        written.push(plan.compose.backupPath);
      }
      fs.writeFileSync(path.join(root, plan.compose.path), plan.compose.text);
      written.push(plan.compose.path);
    }
  } catch (e) {
    return { written, diags: [error("Cannot write the proposal", { code: "usage", detail: `${(e as Error).message}. Check the permissions of ${root}; written so far: ${written.join(", ") || "nothing"}.` })] };
  }
  return { written, diags: [] };
}
