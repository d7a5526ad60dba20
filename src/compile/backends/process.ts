// Process backend: `[services.<name>]` become detached local processes plus a health gate.

import * as path from "node:path";
import type { Diagnostic } from "../diagnostics.js";
import type { Resource } from "../resource.js";
import { commonResources, expand, healthChecks, scopeFor, type BuildInput } from "./common.js";

export function buildProcessGraph(input: BuildInput, diags: Diagnostic[], file: string): Resource[] {
  const common = commonResources(input, diags, file);
  const resources = [...common.resources];
  const secretNames = new Set(Object.keys(input.infra.sandbox?.secrets ?? {}));
  const scope = scopeFor(input, secretNames);
  const base: Record<string, string> = {};
  // Same variables as .env.sandbox, so services see what `eval "$(sbx env)"` gives a shell.
  for (const line of String(resources.find((r) => r.address === "file.env_sandbox")!.attrs.content).split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) base[line.slice(0, eq)] = line.slice(eq + 1);
  }
  const services = input.infra.services ?? {};
  const processAddrs: string[] = [];
  for (const name of Object.keys(services).sort()) {
    const svc = services[name]!;
    const p = ["services", name];
    const command = Array.isArray(svc.command)
      ? svc.command.map((c, i) => expand(input, scope, c, [...p, "command", i], diags, file))
      : ["/bin/sh", "-c", expand(input, scope, svc.command, [...p, "command"], diags, file)];
    const env: Record<string, string> = { ...base };
    for (const [k, v] of Object.entries(svc.env ?? {})) if (v !== undefined) env[k] = expand(input, scope, String(v), [...p, "env", k], diags, file);
    const port = svc.port ? input.ports[svc.port] : undefined;
    if (port !== undefined) env.PORT = String(port);
    const cwd = path.join(input.ctx.roots.worktree, input.ctx.configRel ?? "", expand(input, scope, svc.cwd ?? ".", [...p, "cwd"], diags, file));
    const readyType = svc.ready?.type ?? (svc.ready?.path ? "http" : port !== undefined ? "tcp" : "none");
    const ready: Record<string, unknown> = { type: readyType, timeout: svc.ready?.timeout ?? 30 };
    if (readyType === "http" || readyType === "tcp") ready.port = port;
    if (readyType === "http") ready.path = svc.ready?.path ?? "/";
    if (readyType === "exec") ready.command = svc.ready?.command ?? "true";
    const deps = ["file.env_sandbox", ...common.copies, ...(common.secretsPath ? ["secrets.env"] : []), ...(svc.depends_on ?? []).map((d) => `process.${d}`)];
    const address = `process.${name}`;
    processAddrs.push(address);
    resources.push({
      address,
      type: "process",
      attrs: {
        name,
        command,
        cwd,
        env,
        secrets_file: common.secretsPath ?? null,
        port: port ?? null,
        ready,
        stop_grace: svc.stop_grace ?? 5,
      },
      sensitive: [],
      dependsOn: deps,
    });
  }
  const checks = healthChecks(input, scope, diags, file);
  if (checks.length) {
    resources.push({
      address: "health.gate",
      type: "health",
      attrs: { checks, timeout: input.infra.sandbox?.health?.timeout ?? 60, interval: input.infra.sandbox?.health?.interval ?? 2 },
      sensitive: [],
      dependsOn: processAddrs.length ? processAddrs : ["file.env_sandbox"],
    });
  }
  return resources;
}
