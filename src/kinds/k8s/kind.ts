// The Kubernetes kinds: one per object type the kubernetes backend manages (k8s.namespace,
// k8s.configmap, k8s.secret, k8s.pvc, k8s.service, k8s.deployment, k8s.pod), plus the
// readiness gate k8s.ready. One kind per object type, because what forces replacement,
// what follows a dependency and what restarts dependents differ by type and the diff reads
// exactly those declarations; one folder and one table, because everything else is shared.
//
// Attributes are the manifest itself (apiVersion, kind, metadata, spec/data/...), plus the
// kubeconfig `context` it lives in. A Secret also carries its references as shown to users
// (`refs`) and HMAC fingerprints of the values (`fingerprints`); its values exist only at apply.

import type { KubeResourceKind, ManifestKind, ObjectMeta } from "../../compile/kubernetes/types.js";
import type { KindSpec } from "../spec.js";

export interface K8sAttrs {
  /** kubeconfig context: a different one is a different cluster, so a change replaces. */
  context: string;
  apiVersion: string;
  kind: ManifestKind;
  metadata: ObjectMeta;
  /** The rest of the manifest: spec, data, stringData, type. */
  [field: string]: unknown;
}

/** A Secret's extra attributes: never values. */
export interface K8sSecretExtra {
  /** Name → reference as shown to users (`op://…`, `$VAR`, "(literal, not shown)"). */
  refs?: Record<string, string>;
  /** Name → HMAC fingerprint of the value, or "(known after apply)". */
  fingerprints?: Record<string, string>;
}

/** Attributes that are not part of the manifest sent to the API server. */
export const NOT_MANIFEST = ["context", "refs", "fingerprints"] as const;

export interface ReadyWorkload {
  address: string;
  kind: "Deployment" | "Pod";
  namespace: string;
  name: string;
}

/** k8s.ready: waits until every Deployment rolled out and every Pod is Ready, under one deadline. */
export interface K8sReadyAttrs {
  context: string;
  workloads: ReadyWorkload[];
  /** Seconds for all of them together. */
  timeout: number;
}

/** Every object: another context, name or namespace is another object. */
const IDENTITY = ["context", "metadata.name", "metadata.namespace"] as const;

function spec(type: KubeResourceKind, description: string, extra: Partial<KindSpec<K8sAttrs>> = {}): KindSpec<K8sAttrs> {
  return { type, description, replaceOn: [...IDENTITY], restartsDependents: false, ...extra };
}

export const K8S_SPECS: Record<KubeResourceKind, KindSpec<K8sAttrs>> = {
  "k8s.namespace": spec("k8s.namespace", "the sandbox's own Kubernetes namespace"),
  // Pods roll on an env change through the config-hash annotation of their template.
  "k8s.configmap": spec("k8s.configmap", "the sandbox env as a Kubernetes ConfigMap"),
  // Values are read at container start: workloads restart when they change.
  "k8s.secret": spec("k8s.secret", "a Kubernetes Secret filled at apply from secret references", {
    restartsDependents: true,
    render: { stringData: "sensitive", data: "sensitive", fingerprints: "sensitive", refs: "map" },
  }),
  // storageClassName and accessModes are immutable once bound.
  "k8s.pvc": spec("k8s.pvc", "a Kubernetes PersistentVolumeClaim", { replaceOn: [...IDENTITY, "spec.storageClassName", "spec.accessModes"] }),
  "k8s.service": spec("k8s.service", "a Kubernetes Service for declared ports"),
  // The selector is immutable; a changed Secret rolls the pods (update: rollout restart).
  "k8s.deployment": spec("k8s.deployment", "a Kubernetes Deployment for one compose service", {
    replaceOn: [...IDENTITY, "spec.selector"],
    onDependencyChange: "update",
    restartsDependents: true,
  }),
  // A Pod's spec is (nearly) immutable and its env is read at start: changes replace it.
  "k8s.pod": spec("k8s.pod", "the agent's Kubernetes Pod", {
    replaceOn: [...IDENTITY, "metadata.annotations", "spec"],
    onDependencyChange: "replace",
    restartsDependents: true,
  }),
};

export const k8sReadySpec: KindSpec<K8sReadyAttrs> = {
  type: "k8s.ready",
  description: "the Kubernetes readiness gate (rollout status, pod Ready)",
  replaceOn: [],
  onDependencyChange: "update",
  restartsDependents: false,
  render: { workloads: "list" },
};
