// The build contexts of a compose file's services (`build: ./api` or `build: { context,
// dockerfile }`), resolved against the compose file's directory. The compose driver
// hashes each one, so an edited Dockerfile or source file shows in the plan. Contexts it
// cannot hash (a git URL, an interpolated path) are left out.

import * as path from "node:path";
import { isMap, isScalar, parseDocument, type Node } from "yaml";

export interface BuildContext {
  /** The context directory (absolute, in the worktree). */
  context: string;
  /** The Dockerfile (absolute; compose reads it relative to the context). */
  dockerfile: string;
}

const REMOTE = /^(?:[a-z]+:\/\/|git@|github\.com\/)/i;

export function composeBuilds(text: string, composeDir: string): Record<string, BuildContext> {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length) return {};
  const services = doc.get("services", true) as Node | undefined;
  const out: Record<string, BuildContext> = {};
  if (!isMap(services)) return out;
  for (const item of services.items) {
    const name = String(isScalar(item.key) ? item.key.value : item.key);
    const svc = item.value;
    if (!isMap(svc)) continue;
    const build = svc.get("build", true) as Node | undefined;
    let context: unknown;
    let dockerfile: unknown = "Dockerfile";
    if (isScalar(build)) context = build.value;
    else if (isMap(build)) {
      context = build.get("context") ?? ".";
      dockerfile = build.get("dockerfile") ?? "Dockerfile";
      if (build.get("dockerfile_inline") !== undefined) dockerfile = undefined;
    } else continue;
    if (typeof context !== "string" || typeof dockerfile !== "string" || context.includes("$") || dockerfile.includes("$") || REMOTE.test(context)) continue;
    // join, not resolve: offline compiles use symbolic roots (<worktree>) that must stay as written.
    const dir = path.isAbsolute(context) ? path.normalize(context) : path.join(composeDir, context);
    out[name] = { context: dir, dockerfile: path.isAbsolute(dockerfile) ? path.normalize(dockerfile) : path.join(dir, dockerfile) };
  }
  return out;
}
