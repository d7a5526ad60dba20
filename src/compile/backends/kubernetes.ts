// Kubernetes backend: the compose services of infra.toml ([sandbox] backend = "kubernetes",
// or a profile placement k8s://...) or the agent of agent.toml ([backend] type = "kubernetes")
// become labelled objects in a namespace (src/compile/kubernetes), one resource each, plus a
// readiness gate. Manifests are checked against the Kubernetes API schemas by `check` (async:
// the schemas load on first use), which plan, validate and compile run.

import * as path from "node:path";
import { error, hasErrors, warning, type Diagnostic, type SourceRange } from "../diagnostics.js";
import { buildKubePlan, readComposeServices, renderPlanManifests, resolveKubeTarget, validateManifests } from "../kubernetes/index.js";
import type { AgentWorkload, ComposeWorkload, KubeObject, KubePlan, KubeTarget, Manifest } from "../kubernetes/types.js";
import type { Placement } from "../placement.js";
import type { OptionPath } from "../path.js";
import type { ResolvedConfig } from "../config.js";
import type { K8sAttrs, K8sReadyAttrs } from "../../kinds/k8s/kind.js";
import type { SecretsAttrs } from "../../kinds/secrets/kind.js";
import { asResource, type Resource } from "../../kinds/spec.js";
import { buildInput, commonResources, where } from "./common.js";
import { profilePlacement } from "./placement.js";
import type { Backend, BuildResult, Url } from "./types.js";

/** Seconds the readiness gate waits when [sandbox.health] timeout is not set (image pulls take a while). */
const READY_TIMEOUT = 180;

function agentFile(config: ResolvedConfig): string {
  return config.files.find((f) => f.role === "agent")?.file ?? "agent.toml";
}

function agentAt(config: ResolvedConfig, p: OptionPath): SourceRange | undefined {
  return config.agentMerged ? where(config.agentMerged, p, agentFile(config)) : undefined;
}

function infraAt(config: ResolvedConfig, p: OptionPath): SourceRange {
  return where(config.infraMerged, p, config.files.find((f) => f.role === "infra")?.file ?? "infra.toml");
}

/** Where the sandbox goes: a profile's k8s:// placement and agent.toml's [backend.kubernetes], reconciled. */
export function kubeTargetOf(config: ResolvedConfig): { target?: KubeTarget; diags: Diagnostic[] } {
  const pp = profilePlacement(config);
  const k = config.agent?.backend?.kubernetes ?? {};
  const r = resolveKubeTarget({
    ...(pp.placement ? { placement: pp.placement } : {}),
    ...(pp.at ? { placementAt: pp.at } : {}),
    ...(k.context !== undefined ? { context: k.context, contextAt: agentAt(config, ["backend", "kubernetes", "context"]) } : {}),
    ...(k.namespace !== undefined ? { namespace: k.namespace, namespaceAt: agentAt(config, ["backend", "kubernetes", "namespace"]) } : {}),
    ...(config.backendFrom ? { chosenAt: config.backendFrom } : {}),
  });
  // pp.diags (an unparsable placement) are buildGraph's to report, for every backend.
  return { ...(r.value ? { target: r.value } : {}), diags: r.diags };
}

/** The placement drivers look at (discover after state loss): the resolved k8s:// target. */
export function kubePlacement(config: ResolvedConfig): Placement | undefined {
  const t = kubeTargetOf(config).target;
  return t ? { kind: "k8s", context: t.context, ...(t.namespace !== undefined ? { namespace: t.namespace } : {}) } : undefined;
}

function located(d: Diagnostic, at: SourceRange): Diagnostic {
  return d.range ? d : { ...d, range: at };
}

/** Claim names a workload's pod spec mounts. */
function claimsOf(m: Manifest): string[] {
  const spec = (m.kind === "Deployment" ? (m.spec as { template?: { spec?: unknown } }).template?.spec : m.spec) as { volumes?: { persistentVolumeClaim?: { claimName?: string } }[] } | undefined;
  return (spec?.volumes ?? []).map((v) => v.persistentVolumeClaim?.claimName).filter((c): c is string => c !== undefined);
}

function resourcesOf(plan: KubePlan, refs: Record<string, string>, readyTimeout: number): Resource[] {
  const nsAddr = plan.objects.find((o) => o.type === "k8s.namespace")?.address;
  const stores = plan.objects.filter((o) => o.type === "k8s.configmap" || o.type === "k8s.secret").map((o) => o.address);
  const pvcByName = new Map(plan.objects.filter((o) => o.type === "k8s.pvc").map((o) => [o.manifest.metadata.name, o.address]));
  const out: Resource[] = [];
  const workloads: K8sReadyAttrs["workloads"] = [];
  for (const o of plan.objects) {
    const deps = ["slot.this", ...(nsAddr && o.address !== nsAddr ? [nsAddr] : [])];
    const m = o.manifest;
    if (m.kind === "Deployment" || m.kind === "Pod") {
      deps.push(...stores, ...claimsOf(m).flatMap((c) => (pvcByName.has(c) ? [pvcByName.get(c)!] : [])));
      workloads.push({ address: o.address, kind: m.kind, namespace: m.metadata.namespace ?? plan.namespace.name, name: m.metadata.name });
    }
    const attrs: K8sAttrs = { context: plan.context, ...m };
    if (m.kind === "Secret") Object.assign(attrs, { refs });
    out.push(asResource<K8sAttrs>({ address: o.address, type: o.type, attrs, dependsOn: [...new Set(deps)] }));
  }
  if (workloads.length) {
    const ready: K8sReadyAttrs = { context: plan.context, workloads, timeout: readyTimeout };
    out.push(asResource<K8sReadyAttrs>({ address: "k8s.ready", type: "k8s.ready", attrs: ready, dependsOn: workloads.map((w) => w.address) }));
  }
  return out;
}

export const kubernetesBackend: Backend = {
  name: "kubernetes",
  placements: ["k8s"],
  build(config, ctx, ports): BuildResult {
    const input = buildInput(config, ctx, ports);
    const diags: Diagnostic[] = [];
    const common = commonResources(input, diags);
    const texts = new Map<string, string>();
    // Secret values go to the cluster's Secret at apply; no local secrets file.
    const secretsRes = common.resources.find((r) => r.type === "secrets") as Resource<SecretsAttrs> | undefined;
    const resources = common.resources.filter((r) => r.type !== "secrets");
    const result = (extra: Partial<BuildResult> = {}): BuildResult => ({ resources, diags, urls: [], env: common.sandboxEnv, texts, ...extra });
    const backendAt = infraAt(config, ["sandbox", "backend"]);
    const agentType = config.agent?.backend?.type;
    if (agentType !== undefined && agentType !== "kubernetes")
      diags.push(
        error("Kubernetes placement with another agent backend", {
          range: agentAt(config, ["backend", "type"]) ?? backendAt,
          detail: `agent.toml says [backend] type = "${agentType}", but this sandbox goes to Kubernetes (a k8s:// placement or backend = "kubernetes"). Set type = "kubernetes", or remove the Kubernetes placement.`,
        }),
      );
    const t = kubeTargetOf(config);
    diags.push(...t.diags.map((d) => located(d, backendAt)));
    if (!t.target || hasErrors(diags)) return result();
    const k = config.agent?.backend?.kubernetes ?? {};
    const defaults = config.agent?.defaults ?? {};
    let workload: ComposeWorkload | AgentWorkload;
    if (agentType === "kubernetes") {
      const imageAt = agentAt(config, ["backend", "kubernetes", "image"]);
      workload = { kind: "agent", image: k.image ?? "", ...(imageAt ? { imageAt } : {}), workspace: k.workspace ?? "/workspace", ...(k.command ? { command: k.command } : {}) };
    } else {
      const composeRel = path.normalize(config.infra.sandbox?.compose_file ?? "docker-compose.yml");
      const text = ctx.reader.read(path.join(ctx.sourceDir, composeRel));
      if (text === undefined) {
        diags.push(
          error("Compose file not found", {
            range: infraAt(config, ["sandbox", "compose_file"]),
            detail: `${composeRel} does not exist in the worktree. The kubernetes backend turns its services into Deployments: set [sandbox] compose_file, or run an agent with [backend] type = "kubernetes" in agent.toml.`,
          }),
        );
        return result();
      }
      texts.set(composeRel, text);
      const services = readComposeServices(text, composeRel);
      diags.push(...services.diags);
      workload = { kind: "compose", services: services.value };
    }
    const h = config.infra.sandbox?.health;
    if (h && (h.endpoint || h.checks?.length))
      diags.push(
        warning("[sandbox.health] checks are not run on Kubernetes", {
          range: infraAt(config, ["sandbox", "health"]),
          detail: "They probe ports on this machine. On a cluster the readiness gate (k8s.ready) waits for every Deployment to roll out and every Pod to be Ready; compose healthchecks become readiness probes.",
        }),
      );
    const built = buildKubePlan({
      instanceId: ctx.instanceId,
      project: config.infra.project?.name ?? "sandbox",
      slot: ctx.slot,
      ports,
      target: t.target,
      ...(k.storage_class !== undefined ? { storageClass: k.storage_class } : {}),
      ...(k.volume_size !== undefined ? { volumeSize: k.volume_size } : {}),
      persist: defaults.persist ?? false,
      ...(defaults.memory !== undefined ? { memoryMiB: defaults.memory } : {}),
      ...(defaults.vcpus !== undefined ? { vcpus: defaults.vcpus } : {}),
      env: common.sandboxEnv,
      secretNames: Object.keys(input.secretRefs),
      workload,
    });
    diags.push(...built.diags);
    const plan = built.value;
    if (!plan) return result();
    resources.push(...resourcesOf(plan, secretsRes?.attrs.refs ?? {}, h?.timeout ?? READY_TIMEOUT));
    const urls: Url[] = plan.portForwards.map((f) => ({
      name: f.variable,
      url: `localhost:${f.hostPort} (kubectl --context ${plan.context} --namespace ${f.namespace} port-forward service/${f.service} ${f.hostPort}:${f.port})`,
    }));
    const objects: readonly KubeObject[] = plan.objects;
    return result({ urls, artefacts: [renderPlanManifests(plan)], check: () => validateManifests(objects) });
  },
};
