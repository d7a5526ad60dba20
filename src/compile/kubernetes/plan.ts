// The Kubernetes compiler: typed input → the objects of one sandbox, in apply order. Pure.

import { error, hasErrors, type Diagnostic, type Result } from "../diagnostics.js";
import { buildAgent } from "./agent-workload.js";
import { buildCompose } from "./compose-workload.js";
import { ownedSelector, ownerLabels } from "./labels.js";
import { checkName, deriveName, isDataKey } from "./names.js";
import { add, hashOf, objectName, sortKeys, SECRET_PLACEHOLDER, type BuildCtx } from "./objects.js";
import type { KubeInput, KubePlan, ManifestKind } from "./types.js";

/** Apply order; deletes run in reverse. */
export const KIND_ORDER: readonly ManifestKind[] = ["Namespace", "ConfigMap", "Secret", "PersistentVolumeClaim", "Service", "Deployment", "Pod"];

/** Build every manifest of the sandbox; secrets appear by name only. */
export function buildKubePlan(input: KubeInput): Result<KubePlan | undefined> {
  const diags: Diagnostic[] = [];
  const t = input.target;
  if (t.context.trim() === "")
    diags.push(error("No Kubernetes context", { detail: "Set backend.kubernetes.context, or a placement k8s://<context>[/<namespace>] in the profile. sbx never uses whatever context happens to be current." }));
  const shared = t.namespace !== undefined;
  let namespace = deriveName(`sbx-${input.instanceId}`);
  if (t.namespace !== undefined) {
    const bad = checkName(t.namespace, "dns1123-label");
    if (bad)
      diags.push(
        error("Invalid Kubernetes namespace", {
          ...(t.namespaceAt ? { range: t.namespaceAt } : {}),
          address: "backend.kubernetes.namespace",
          detail: `\`${t.namespace}' is not a valid namespace: use ${bad}. For example \`${deriveName(t.namespace)}'.`,
        }),
      );
    namespace = t.namespace;
  }
  if (hasErrors(diags)) return { value: undefined, diags };
  const secretNames = [...new Set(input.secretNames ?? [])].sort();
  for (const k of secretNames)
    if (!isDataKey(k)) diags.push(error("Secret name not usable as a Kubernetes key", { detail: `\`${k}': Secret keys allow letters, digits, '-', '_' and '.'.` }));
  const env = sortKeys(input.env ?? {});
  for (const k of Object.keys(env))
    if (!isDataKey(k)) diags.push(error("Variable name not usable as a Kubernetes key", { detail: `\`${k}' in [sandbox.env]: ConfigMap keys allow letters, digits, '-', '_' and '.'.` }));
  const labels = ownerLabels(input);
  const ctx: BuildCtx = {
    input,
    namespace,
    shared,
    labels,
    scope: { vars: { ...env, ...Object.fromEntries(Object.entries(input.ports).map(([k, v]) => [k, String(v)])) }, secrets: new Set(secretNames) },
    diags,
    objects: [],
    forwards: [],
    taken: new Map(),
  };
  // A shared namespace is not ours: it must exist (created by whoever shares it), and applying
  // a cluster-scoped object would need rights a namespace-scoped user does not have.
  if (!shared) add(ctx, "k8s.namespace", undefined, { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels: { ...labels } } });
  if (Object.keys(env).length) {
    ctx.configMap = objectName(ctx, "sbx-env", "dns1123-subdomain");
    ctx.configHash = hashOf(env);
    add(ctx, "k8s.configmap", undefined, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: ctx.configMap, namespace, labels: { ...labels } }, data: env });
  }
  if (secretNames.length) {
    ctx.secret = objectName(ctx, "sbx-secrets", "dns1123-subdomain");
    add(ctx, "k8s.secret", undefined, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: ctx.secret, namespace, labels: { ...labels } },
      type: "Opaque",
      stringData: Object.fromEntries(secretNames.map((k) => [k, SECRET_PLACEHOLDER])),
    });
  }
  if (input.workload.kind === "compose") buildCompose(ctx, input.workload);
  else buildAgent(ctx, input.workload);
  const objects = [...ctx.objects].sort((a, b) => {
    const ka = KIND_ORDER.indexOf(a.manifest.kind) - KIND_ORDER.indexOf(b.manifest.kind);
    if (ka !== 0) return ka;
    return a.manifest.metadata.name < b.manifest.metadata.name ? -1 : a.manifest.metadata.name > b.manifest.metadata.name ? 1 : 0;
  });
  const forwards = [...ctx.forwards].sort((a, b) => a.hostPort - b.hostPort || (a.variable < b.variable ? -1 : 1));
  const plan: KubePlan = {
    context: t.context,
    namespace: { name: namespace, owned: !shared },
    objects,
    portForwards: forwards,
    secretKeys: secretNames,
    selector: ownedSelector(input.instanceId),
  };
  return { value: hasErrors(diags) ? undefined : plan, diags };
}
