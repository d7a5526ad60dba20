// Compose backend: a copy of the compose file, a generated override (ownership labels,
// env file, mounts, OTEL env, networks), the stack itself and the health gate.
// Host ports must come from `${VAR:-port}` in the base file: an override cannot replace them.

import * as path from "node:path";
import { LineCounter, parseDocument, isMap, isSeq, isScalar, stringify, type Node } from "yaml";
import { error, type Diagnostic } from "../diagnostics.js";
import { composeProjectName } from "../names.js";
import type { ComposeAttrs } from "../../kinds/compose/kind.js";
import { OWNER_LABEL } from "../../kinds/compose/kind.js";
import type { FileAttrs } from "../../kinds/file/kind.js";
import type { SyncAttrs } from "../../kinds/sync/kind.js";
import { formatPlacement } from "../placement.js";
import { asResource, type Resource } from "../../kinds/spec.js";
import { buildInput, commonResources, healthGate, where } from "./common.js";
import { composeBuilds } from "./compose-builds.js";
import type { Backend, Url } from "./types.js";

interface Lint {
  services: string[];
  diags: Diagnostic[];
}

/** Parse the compose file and refuse what breaks side-by-side sandboxes. */
export function lintCompose(text: string, file: string, portVars: readonly string[]): Lint {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const diags: Diagnostic[] = [];
  const at = (node: Node | null | undefined) => {
    const off = node?.range?.[0] ?? 0;
    const p = lc.linePos(off);
    return { file, start: { line: p.line, col: p.col } };
  };
  // An error "at the end of the file" points at its last character, not past it.
  const lastChar = Math.max(0, text.trimEnd().length - 1);
  for (const e of doc.errors) {
    const p = lc.linePos(Math.min(e.pos[0], lastChar));
    diags.push(error("Invalid compose file", { range: { file, start: { line: p.line, col: p.col } }, detail: `${e.message.split("\n")[0]}. Fix the YAML syntax.` }));
  }
  if (diags.length) return { services: [], diags };
  const services = doc.get("services", true) as Node | undefined;
  if (!isMap(services)) {
    diags.push(error("Compose file has no services", { range: { file, start: { line: 1, col: 1 } }, detail: "Add a top-level `services:` mapping." }));
    return { services: [], diags };
  }
  const names: string[] = [];
  for (const item of services.items) {
    const name = String(isScalar(item.key) ? item.key.value : item.key);
    names.push(name);
    const svc = item.value;
    if (!isMap(svc)) continue;
    const cn = svc.get("container_name", true) as Node | undefined;
    if (cn)
      diags.push(error("Fixed container name", { range: at(cn), detail: `services.${name}.container_name is global to the Docker daemon, so two sandboxes would collide. Remove it; compose names containers <project>-${name}-1.` }));
    const ports = svc.get("ports", true) as Node | undefined;
    if (isSeq(ports))
      for (const p of ports.items) {
        const spec = isScalar(p) ? String(p.value) : isMap(p) ? String((p as { get(k: string): unknown }).get("published") ?? "") : "";
        const hm = /^(?:(?:\d{1,3}(?:\.\d{1,3}){3}|\[[^\]]*\]):)?(\$\{[^}]*\}|[^:]*):([^:]+)$/.exec(spec);
        if (!hm && !isMap(p)) continue; // container port only: no host binding to collide
        const host = isMap(p) ? spec : hm![1]!;
        const parts = [host, isMap(p) ? "" : hm![2]!];
        const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-[^}]*)?\}$/.exec(host);
        if (!m) {
          if (host)
            diags.push(
              error("Fixed host port", {
                range: at(p as Node),
                detail: `services.${name}.ports has host port ${host}, which every sandbox would try to bind. Write it as "\${SOME_PORT:-${host}}:${parts[parts.length - 1]}" and declare SOME_PORT under [sandbox.ports].`,
              }),
            );
        } else if (!portVars.includes(m[1]!))
          diags.push(error(`Port variable \`${m[1]}' is not declared`, { range: at(p as Node), detail: `services.${name}.ports uses \${${m[1]}}; add ${m[1]} = <base port> under [sandbox.ports] in infra.toml.` }));
      }
  }
  return { services: names, diags };
}

/** `builds` only when some service builds an image (so stacks without any plan exactly as before). */
function withBuilds(text: string, composeDir: string): { builds?: ComposeAttrs["builds"] } {
  const builds = composeBuilds(text, composeDir);
  return Object.keys(builds).length ? { builds } : {};
}

export const composeBackend: Backend = {
  name: "compose",
  placements: ["local", "ssh"],
  build(config, ctx, ports) {
    const input = buildInput(config, ctx, ports);
    const diags: Diagnostic[] = [];
    const common = commonResources(input, diags);
    const remote = ctx.placement?.kind === "ssh" ? ctx.placement : undefined;
    // On another host everything lives under the instance's remote directory, which the
    // worktree's shipped files (sync.worktree) create: every resource there follows it.
    const resources = remote ? common.resources.map((r) => (r.address === "slot.this" ? r : { ...r, dependsOn: [...r.dependsOn, "sync.worktree"] })) : [...common.resources];
    const { infra } = input;
    const texts = new Map<string, string>();
    const project = infra.project?.name ?? "sandbox";
    // Relative to the repository root, as in kinfra.
    const composeRel = path.normalize(infra.sandbox?.compose_file ?? "docker-compose.yml");
    const composeText = ctx.reader.read(path.join(ctx.sourceDir, composeRel));
    if (composeText === undefined) {
      diags.push(
        error("Compose file not found", {
          range: where(input.merged, ["sandbox", "compose_file"], input.file),
          detail: `${composeRel} does not exist in the worktree. Set [sandbox] compose_file, or use backend = "process" with [services.*].`,
        }),
      );
      return { resources, diags, urls: [], env: common.sandboxEnv, texts };
    }
    texts.set(composeRel, composeText);
    const lint = lintCompose(composeText, composeRel, Object.keys(ports));
    diags.push(...lint.diags);
    const name = composeProjectName(project, ctx.slot);
    const mounts = infra.sandbox?.mounts ?? {};
    if (remote && (mounts.shared ?? []).length)
      diags.push(
        error("Shared mounts need this machine", {
          range: where(input.merged, ["sandbox", "mounts", "shared"], input.file),
          detail: `[sandbox.mounts] shared names directories of the main checkout on this machine, which ${formatPlacement(remote)} does not have. Remove shared mounts for a remote placement, or use code mounts (shipped with the worktree).`,
        }),
      );
    if (remote) {
      const sync: Resource<SyncAttrs> = { address: "sync.worktree", type: "sync", attrs: { path: ctx.roots.worktree, exclude: Object.keys(infra.sandbox?.files ?? {}).sort() }, dependsOn: ["slot.this"] };
      resources.push(asResource(sync));
    }
    const otel = infra.sandbox?.otel;
    const targets = new Set([...(mounts.code_targets ?? []), ...(mounts.shared_targets ?? [])]);
    const envFiles = [common.envSandboxPath, ...(common.secretsPath ? [common.secretsPath] : [])];
    const services: Record<string, Record<string, unknown>> = {};
    for (const svc of lint.services) {
      const s: Record<string, unknown> = {
        labels: { [OWNER_LABEL]: ctx.instanceId, "dev.sbx.project": project, "dev.sbx.slot": String(ctx.slot) },
        env_file: envFiles,
      };
      const volumes: string[] = [];
      if ((mounts.code_targets ?? []).includes(svc)) for (const m of mounts.code ?? []) volumes.push(`${ctx.roots.worktree}/${m}`);
      if ((mounts.shared_targets ?? []).includes(svc)) for (const m of mounts.shared ?? []) volumes.push(`${ctx.roots.main}/${m}`);
      if (volumes.length) s.volumes = volumes;
      if (otel && (targets.size === 0 || targets.has(svc))) {
        s.environment = [
          `${otel.endpoint_var ?? "OTEL_EXPORTER_OTLP_ENDPOINT"}=${otel.endpoint ?? "http://devops-ai-jaeger:4317"}`,
          `${otel.namespace_var ?? "OTEL_RESOURCE_ATTRIBUTES"}=service.namespace=${name}`,
        ];
        s.networks = ["default", otel.network ?? "devops-ai-observability"];
      }
      services[svc] = s;
    }
    const override: Record<string, unknown> = { services };
    if (otel) override.networks = { [otel.network ?? "devops-ai-observability"]: { external: true } };
    const overrideText = `# Generated by sbx — do not edit\n# Project: ${name}\n\n${stringify(override, { lineWidth: 0 })}`;
    const copyPath = path.join(ctx.roots.state, path.basename(composeRel));
    const overridePath = path.join(ctx.roots.state, "docker-compose.override.yml");
    const placed = remote ? ["slot.this", "sync.worktree"] : ["slot.this"];
    const copy: Resource<FileAttrs> = { address: "file.compose_copy", type: "file", attrs: { path: copyPath, content: composeText, mode: "0644", artefact: path.basename(composeRel) }, dependsOn: placed };
    const over: Resource<FileAttrs> = { address: "file.compose_override", type: "file", attrs: { path: overridePath, content: overrideText, mode: "0644", artefact: "docker-compose.override.yml" }, dependsOn: placed };
    const stack: Resource<ComposeAttrs> = {
      address: "compose.stack",
      type: "compose",
      attrs: { project: name, compose_file: path.join(ctx.roots.worktree, composeRel), copy: copyPath, override: overridePath, env_file: common.envSandboxPath, secrets_file: common.secretsPath, services: lint.services, ...withBuilds(composeText, path.join(ctx.roots.worktree, path.dirname(composeRel))) },
      dependsOn: ["file.compose_copy", "file.compose_override", "file.env_sandbox", ...common.copies, ...(common.secretsPath ? ["secrets.env"] : []), ...(remote ? ["sync.worktree"] : [])],
    };
    resources.push(asResource(copy), asResource(over), asResource(stack));
    const gate = healthGate(input, diags, ["compose.stack"]);
    if (gate) resources.push(gate);
    const urls: Url[] = [];
    const h = infra.sandbox?.health;
    // The ports are published on the host the sandbox runs on.
    const host = remote ? remote.host : "localhost";
    if (h?.port_var && ports[h.port_var] !== undefined) urls.push({ name: "health", url: `http://${host}:${ports[h.port_var]}${h.endpoint ?? "/"}` });
    for (const [k, v] of Object.entries(ports)) urls.push({ name: k, url: `${host}:${v}` });
    return { resources, diags, urls, env: common.sandboxEnv, texts };
  },
};
