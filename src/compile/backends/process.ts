// Process backend: `[services.<name>]` become detached local processes plus a health gate.

import * as path from "node:path";
import type { Diagnostic } from "../diagnostics.js";
import type { ProcessAttrs, ReadyProbe } from "../../kinds/process/kind.js";
import { asResource } from "../../kinds/spec.js";
import { buildInput, commonResources, expand, healthGate, scopeFor } from "./common.js";
import type { Backend, Url } from "./types.js";

export const processBackend: Backend = {
  name: "process",
  build(config, ctx, ports) {
    const input = buildInput(config, ctx, ports);
    const diags: Diagnostic[] = [];
    const common = commonResources(input, diags);
    const resources = [...common.resources];
    const scope = scopeFor(input);
    // Services see the same variables as .env.sandbox (and `eval "$(sbx env)"`).
    const base = common.sandboxEnv;
    const services = config.infra.services ?? {};
    const urls: Url[] = [];
    const processAddrs: string[] = [];
    for (const name of Object.keys(services).sort()) {
      const svc = services[name]!;
      const p = ["services", name];
      const command = Array.isArray(svc.command)
        ? svc.command.map((c, i) => expand(input, scope, c, [...p, "command", i], diags))
        : ["/bin/sh", "-c", expand(input, scope, svc.command, [...p, "command"], diags)];
      const env: Record<string, string> = { ...base };
      for (const [k, v] of Object.entries(svc.env ?? {})) if (v !== undefined) env[k] = expand(input, scope, String(v), [...p, "env", k], diags);
      const port = svc.port ? ports[svc.port] : undefined;
      if (port !== undefined) env.PORT = String(port);
      const cwd = path.join(ctx.roots.worktree, ctx.configRel, expand(input, scope, svc.cwd ?? ".", [...p, "cwd"], diags));
      const timeout = svc.ready?.timeout ?? 30;
      const type = svc.ready?.type ?? (svc.ready?.path ? "http" : port !== undefined ? "tcp" : "none");
      let ready: ReadyProbe;
      if (type === "http" && port !== undefined) ready = { type, port, path: svc.ready?.path ?? "/", timeout };
      else if (type === "tcp" && port !== undefined) ready = { type, port, timeout };
      else if (type === "exec") ready = { type, command: svc.ready?.command ?? "true", timeout };
      else ready = { type: "none", timeout };
      if (port !== undefined) urls.push({ name, url: `${type === "tcp" ? "tcp" : "http"}://localhost:${port}` });
      const attrs: ProcessAttrs = { name, command, cwd, env, secrets_file: common.secretsPath, port: port ?? null, ready, stop_grace: svc.stop_grace ?? 5 };
      const address = `process.${name}`;
      processAddrs.push(address);
      const deps = ["file.env_sandbox", ...common.copies, ...(common.secretsPath ? ["secrets.env"] : []), ...(svc.depends_on ?? []).map((d) => `process.${d}`)];
      resources.push(asResource<ProcessAttrs>({ address, type: "process", attrs, dependsOn: deps }));
    }
    const gate = healthGate(input, diags, processAddrs.length ? processAddrs : ["file.env_sandbox"]);
    if (gate) resources.push(gate);
    return { resources, diags, urls, env: common.sandboxEnv, texts: new Map() };
  },
};
