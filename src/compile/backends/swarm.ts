// Swarm backend: the project's compose file deployed as a Docker Swarm stack
// (`docker stack deploy -c <copy> -c <override> <project>-slot-<N>`): a rewritten copy
// (variables resolved from the slot's env, ports in host mode, owner labels on the
// networks, volumes, configs and secrets it creates), an override (owner labels on
// services, the slot's env, sbx secrets as Swarm secrets under /run/secrets), the
// stack and the health gate.
//
// Selected by `sandbox.backend = "swarm"`, or by a profile's `placement = "swarm://"` (the
// local engine's swarm; compile/config.ts turns it into a default for sandbox.backend).
// `swarm://host` (a manager over ssh) is refused here until the driver can reach one.

import * as path from "node:path";
import { stringify } from "yaml";
import { error, warning, type Diagnostic } from "../diagnostics.js";
import { composeProjectName } from "../names.js";
import { parsePlacement } from "../placement.js";
import { rewriteForSwarm } from "../render/swarm-stack.js";
import type { FileAttrs } from "../../kinds/file/kind.js";
import { OWNER_LABEL, secretKey, secretNameVar, secretPath, type SwarmAttrs } from "../../kinds/swarm/kind.js";
import { asResource, type Resource } from "../../kinds/spec.js";
import { lintCompose } from "./compose.js";
import { buildInput, commonResources, healthGate, where } from "./common.js";
import type { Backend, Url } from "./types.js";

type Obj = Record<string, unknown>;

export const swarmBackend: Backend = {
  name: "swarm",
  // swarm:// is this engine's swarm; swarm://host is refused below (a remote manager).
  placements: ["local", "swarm"],
  build(config, ctx, ports) {
    const input = buildInput(config, ctx, ports);
    const diags: Diagnostic[] = [];
    const common = commonResources(input, diags);
    const resources = [...common.resources];
    const { infra } = input;
    const texts = new Map<string, string>();
    const project = infra.project?.name ?? "sandbox";
    const composeRel = path.normalize(infra.sandbox?.compose_file ?? "docker-compose.yml");
    const composeText = ctx.reader.read(path.join(ctx.sourceDir, composeRel));
    if (composeText === undefined) {
      diags.push(
        error("Compose file not found", {
          range: where(input.merged, ["sandbox", "compose_file"], input.file),
          detail: `${composeRel} does not exist in the worktree. The swarm backend deploys a compose file as a stack: set [sandbox] compose_file.`,
        }),
      );
      return { resources, diags, urls: [], env: common.sandboxEnv, texts };
    }
    texts.set(composeRel, composeText);
    for (const prof of config.profiles) {
      const pl = prof.placement ? parsePlacement(prof.placement).value : undefined;
      if (pl?.kind === "swarm" && pl.manager)
        diags.push(
          error("A remote swarm manager is not supported yet", {
            range: where(input.merged, ["sandbox", "backend"], input.file),
            detail: `Profile ${prof.id} (${prof.file}) has placement = "${prof.placement}". The swarm backend deploys through this machine's Docker engine, which must be a swarm manager; bind mounts name paths on the node. Use placement = "swarm://" on a manager.`,
          }),
        );
    }
    diags.push(...lintCompose(composeText, composeRel, Object.keys(ports)).diags);
    const stack = composeProjectName(project, ctx.slot);
    const secretNames = Object.keys(input.secretRefs).sort();
    const labels = { [OWNER_LABEL]: ctx.instanceId, "dev.sbx.project": project, "dev.sbx.slot": String(ctx.slot) };
    const rw = rewriteForSwarm({
      text: composeText,
      file: composeRel,
      env: common.sandboxEnv,
      secretNames: new Set(secretNames),
      composeDir: path.join(ctx.roots.worktree, path.dirname(composeRel)),
      labels,
    });
    diags.push(...rw.diags);

    const mounts = infra.sandbox?.mounts ?? {};
    const otel = infra.sandbox?.otel;
    const otelTargets = new Set([...(mounts.code_targets ?? []), ...(mounts.shared_targets ?? [])]);
    if (otel)
      diags.push(
        warning("The observability network is not attached on Swarm", {
          range: where(input.merged, ["sandbox", "otel"], input.file),
          detail: `Swarm services join only swarm-scoped networks, so sbx sets ${otel.endpoint_var ?? "OTEL_EXPORTER_OTLP_ENDPOINT"} but does not attach ${otel.network ?? "devops-ai-observability"}. Point the endpoint at an address the swarm reaches.`,
        }),
      );
    const services: Record<string, Obj> = {};
    for (const svc of rw.services) {
      const env: Record<string, string> = {};
      // The service's own environment wins, as compose lets `environment` win over env_file.
      for (const [k, v] of Object.entries(common.sandboxEnv)) if (!svc.envKeys.includes(k)) env[k] = v;
      for (const n of secretNames) if (!svc.envKeys.includes(`${n}_FILE`)) env[`${n}_FILE`] = secretPath(n);
      if (otel && (otelTargets.size === 0 || otelTargets.has(svc.name))) {
        env[otel.endpoint_var ?? "OTEL_EXPORTER_OTLP_ENDPOINT"] = otel.endpoint ?? "http://devops-ai-jaeger:4317";
        env[otel.namespace_var ?? "OTEL_RESOURCE_ATTRIBUTES"] = `service.namespace=${stack}`;
      }
      const s: Obj = { labels, deploy: { labels } };
      if (Object.keys(env).length) s.environment = env;
      if (secretNames.length) s.secrets = secretNames.map((n) => ({ source: secretKey(n), target: n }));
      const volumes: string[] = [];
      if ((mounts.code_targets ?? []).includes(svc.name)) for (const m of mounts.code ?? []) volumes.push(`${ctx.roots.worktree}/${m}`);
      if ((mounts.shared_targets ?? []).includes(svc.name)) for (const m of mounts.shared ?? []) volumes.push(`${ctx.roots.main}/${m}`);
      if (volumes.length) s.volumes = volumes;
      services[svc.name] = s;
    }
    const override: Obj = {};
    if (rw.version) override.version = rw.version;
    override.services = services;
    // The versioned Swarm secret objects are created at apply time; their names reach the deploy through its env.
    if (secretNames.length) override.secrets = Object.fromEntries(secretNames.map((n) => [secretKey(n), { external: true, name: `\${${secretNameVar(n)}}` }]));
    const overrideText = `# Generated by sbx: do not edit.\n# Stack: ${stack}. [sandbox.secrets] arrive as files under /run/secrets; the Swarm secret names are set at apply time.\n\n${stringify(override, { lineWidth: 0, version: "1.1", aliasDuplicateObjects: false })}`;

    const copyPath = path.join(ctx.roots.state, "docker-stack.yml");
    const overridePath = path.join(ctx.roots.state, "docker-stack.override.yml");
    const copy: Resource<FileAttrs> = { address: "file.swarm_compose", type: "file", attrs: { path: copyPath, content: rw.text, mode: "0644", artefact: "docker-stack.yml" }, dependsOn: ["slot.this"] };
    const over: Resource<FileAttrs> = { address: "file.swarm_override", type: "file", attrs: { path: overridePath, content: overrideText, mode: "0644", artefact: "docker-stack.override.yml" }, dependsOn: ["slot.this"] };
    const h = infra.sandbox?.health;
    const stackRes: Resource<SwarmAttrs> = {
      address: "swarm.stack",
      type: "swarm",
      attrs: {
        stack,
        compose_file: path.join(ctx.roots.worktree, composeRel),
        copy: copyPath,
        override: overridePath,
        secrets_file: common.secretsPath,
        services: rw.services.map((s) => s.name),
        replicas: Object.fromEntries(rw.services.map((s) => [s.name, s.replicas])),
        ports: rw.services.flatMap((s) => s.ports.map((p) => `${s.name}: ${p.published ?? "(any)"} -> ${p.target}/${p.protocol} (host mode)`)),
        secrets: secretNames,
        wait_timeout: h?.timeout ?? 120,
      },
      dependsOn: ["file.swarm_compose", "file.swarm_override", "file.env_sandbox", ...common.copies, ...(common.secretsPath ? ["secrets.env"] : [])],
    };
    resources.push(asResource(copy), asResource(over), asResource(stackRes));
    const gate = healthGate(input, diags, ["swarm.stack"]);
    if (gate) resources.push(gate);
    const urls: Url[] = [];
    if (h?.port_var && ports[h.port_var] !== undefined) urls.push({ name: "health", url: `http://localhost:${ports[h.port_var]}${h.endpoint ?? "/"}` });
    for (const [k, v] of Object.entries(ports)) urls.push({ name: k, url: `localhost:${v}` });
    return { resources, diags, urls, env: common.sandboxEnv, texts };
  },
};
