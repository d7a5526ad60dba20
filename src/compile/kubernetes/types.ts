// Data shapes of the Kubernetes compiler: its typed input and the objects it produces.

import type { SourceRange } from "../diagnostics.js";

/** Where the objects go. */
export interface KubeTarget {
  /** kubeconfig context; always explicit, so a plan cannot land on whatever context is current. */
  context: string;
  /** A namespace shared with other sandboxes. Unset: the sandbox gets one of its own. */
  namespace?: string;
  /** Where the namespace was chosen (for a located error when it is invalid). */
  namespaceAt?: SourceRange;
}

export interface ComposePort {
  /** Port inside the container. */
  container: number;
  protocol: "TCP" | "UDP";
  /** The [sandbox.ports] variable whose slot port forwards to it (`${API_PORT:-8080}:80`). */
  variable?: string;
  at?: SourceRange;
}

export interface ComposeVolume {
  /** named → a PVC (persist) or emptyDir; anonymous/tmpfs → emptyDir; bind → not possible on a cluster. */
  type: "named" | "anonymous" | "bind" | "tmpfs";
  source?: string;
  target: string;
  readOnly: boolean;
  at?: SourceRange;
}

export interface ComposeHealthcheck {
  /** argv run in the container (CMD-SHELL becomes /bin/sh -c). */
  exec: string[];
  intervalSeconds?: number;
  timeoutSeconds?: number;
  retries?: number;
  startPeriodSeconds?: number;
}

/** One compose service, as read from the compose file (strings not yet interpolated). */
export interface ComposeService {
  name: string;
  image?: string;
  /** The service has `build:` (a cluster cannot build from the worktree). */
  build: boolean;
  entrypoint?: string[];
  command?: string[];
  workingDir?: string;
  environment: { name: string; value: string; at?: SourceRange }[];
  ports: ComposePort[];
  volumes: ComposeVolume[];
  healthcheck?: ComposeHealthcheck;
  replicas?: number;
  /** Per-service limits from deploy.resources.limits, mem_limit or cpus. */
  memoryMiB?: number;
  millicores?: number;
  at?: SourceRange;
}

export interface ComposeWorkload {
  kind: "compose";
  services: readonly ComposeService[];
}

export interface AgentWorkload {
  kind: "agent";
  image: string;
  imageAt?: SourceRange;
  /** Mount path of the workspace volume, e.g. /workspace. */
  workspace: string;
  command?: readonly string[];
  ports?: readonly ComposePort[];
}

/** Everything the manifests are made from; no file access, no cluster access. */
export interface KubeInput {
  instanceId: string;
  project: string;
  slot: number;
  /** Slot ports by variable name ([sandbox.ports] resolved for the slot). */
  ports: Readonly<Record<string, number>>;
  target: KubeTarget;
  /** StorageClass for volumes when persist is on; unset means the cluster's default class. */
  storageClass?: string;
  /** Size requested for each volume when persist is on (a quantity); default 10Gi. */
  volumeSize?: string;
  persist: boolean;
  /** The sandbox's memory (MiB) and vCPUs: the agent's Pod, or split between compose services. */
  memoryMiB?: number;
  vcpus?: number;
  /** Non-secret environment every container gets (.env.sandbox), through a ConfigMap. */
  env?: Readonly<Record<string, string>>;
  /** Names of secret references; only names reach the manifests, values are filled at apply. */
  secretNames?: readonly string[];
  workload: ComposeWorkload | AgentWorkload;
}

/** Resource kinds, one per object the backend manages. */
export type KubeResourceKind = "k8s.namespace" | "k8s.configmap" | "k8s.secret" | "k8s.pvc" | "k8s.service" | "k8s.deployment" | "k8s.pod";

export type ManifestKind = "Namespace" | "ConfigMap" | "Secret" | "PersistentVolumeClaim" | "Service" | "Deployment" | "Pod";

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A Kubernetes object as plain JSON. */
export interface Manifest {
  apiVersion: string;
  kind: ManifestKind;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

export interface KubeObject {
  /** Stable resource address: k8s.namespace, k8s.deployment.web, k8s.pvc.workspace. */
  address: string;
  type: KubeResourceKind;
  manifest: Manifest;
  /** The input it comes from, for located diagnostics. */
  source?: SourceRange;
}

/** A slot port reaching a Service (`kubectl port-forward svc/<service> <hostPort>:<port>`). */
export interface PortForward {
  variable: string;
  hostPort: number;
  namespace: string;
  service: string;
  port: number;
}

export interface KubePlan {
  context: string;
  /**
   * The sandbox's own namespace (owned: an object of the plan, deleted on destroy), or a
   * shared one (not an object of the plan: it must exist, sbx never creates or deletes it).
   */
  namespace: { name: string; owned: boolean };
  /** Every object is owned and labelled; in apply order: namespace, config, secret, volumes, services, workloads. */
  objects: KubeObject[];
  portForwards: PortForward[];
  /** Keys of the Secret; its values exist only at apply (apply/kubernetes/secret-data.ts). */
  secretKeys: string[];
  /** The label selector that finds every owned object: dev.sbx.instance=<id>,app.kubernetes.io/managed-by=sbx. */
  selector: string;
}
