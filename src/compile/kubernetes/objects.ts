// Builders shared by the compose and agent workloads: naming, metadata, and the plain objects.

import { createHash } from "node:crypto";
import type { Diagnostic, SourceRange } from "../diagnostics.js";
import type { ComposeScope } from "./compose-values.js";
import { ANNOTATION_CONFIG_HASH, LABEL_INSTANCE, LABEL_SERVICE } from "./labels.js";
import { checkName, deriveName, labelValue, type NameRule } from "./names.js";
import type { KubeInput, KubeObject, KubeResourceKind, Manifest, PortForward } from "./types.js";

/** Placeholder written in place of every secret value in plans and `compile --out`. */
export const SECRET_PLACEHOLDER = "(sensitive value, set at apply)";

/** What both workloads need while building. */
export interface BuildCtx {
  input: KubeInput;
  namespace: string;
  /** True when the namespace is shared: every name gets the instance prefix. */
  shared: boolean;
  labels: Record<string, string>;
  /** Names of the ConfigMap and Secret when there are any (every container reads both). */
  configMap?: string;
  secret?: string;
  configHash?: string;
  scope: ComposeScope;
  diags: Diagnostic[];
  objects: KubeObject[];
  forwards: PortForward[];
  /** Names taken per kind, to refuse two sources deriving the same name. */
  taken: Map<string, string>;
}

/** An object name: kept when valid in an own namespace, prefixed with the instance in a shared one. */
export function objectName(ctx: BuildCtx, base: string, rule: NameRule): string {
  if (!ctx.shared && checkName(base, rule) === undefined) return base;
  return deriveName(ctx.shared ? `${ctx.input.instanceId}-${base}` : base, rule);
}

/** Claim `name` for `kind`; a second claimant is an error at `at`. */
export function claim(ctx: BuildCtx, kind: string, name: string, owner: string, at?: SourceRange): boolean {
  const key = `${kind}/${name}`;
  const prev = ctx.taken.get(key);
  if (prev !== undefined && prev !== owner) {
    ctx.diags.push({
      severity: "error",
      summary: "Two Kubernetes objects get the same name",
      detail: `\`${owner}' and \`${prev}' both become ${kind} \`${name}' (names are lowercased and '_' becomes '-'). Rename one of them.`,
      ...(at ? { range: at } : {}),
    });
    return false;
  }
  ctx.taken.set(key, owner);
  return true;
}

export function address(type: KubeResourceKind, name?: string): string {
  if (name === undefined) return type;
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) ? `${type}.${name}` : `${type}[${JSON.stringify(name)}]`;
}

export function meta(ctx: BuildCtx, name: string, extra: Record<string, string> = {}): Manifest["metadata"] {
  return { name, namespace: ctx.namespace, labels: sortKeys({ ...ctx.labels, ...extra }) };
}

export function sortKeys<T>(m: Readonly<Record<string, T>>): Record<string, T> {
  return Object.fromEntries(Object.keys(m).sort().map((k) => [k, m[k]!]));
}

export function hashOf(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16);
}

/** Labels that select one workload's pods (a Deployment's selector is immutable: keep it small). */
export function selectorLabels(ctx: BuildCtx, service: string): Record<string, string> {
  return { [LABEL_INSTANCE]: ctx.labels[LABEL_INSTANCE]!, [LABEL_SERVICE]: labelValue(service) };
}

/** Pod metadata: owner labels, the service label and the config hash that rolls pods on env change. */
export function podMeta(ctx: BuildCtx, service: string): { labels: Record<string, string>; annotations?: Record<string, string> } {
  const m: { labels: Record<string, string>; annotations?: Record<string, string> } = { labels: sortKeys({ ...ctx.labels, [LABEL_SERVICE]: labelValue(service) }) };
  if (ctx.configHash) m.annotations = { [ANNOTATION_CONFIG_HASH]: ctx.configHash };
  return m;
}

/** envFrom for every container: the sandbox env and the secrets, like compose's env_file pair. */
export function envFrom(ctx: BuildCtx): Record<string, unknown>[] | undefined {
  const out: Record<string, unknown>[] = [];
  if (ctx.configMap) out.push({ configMapRef: { name: ctx.configMap } });
  if (ctx.secret) out.push({ secretRef: { name: ctx.secret } });
  return out.length ? out : undefined;
}

/** The volume size request, validated by the schema upstream. */
export function volumeSize(ctx: BuildCtx): string {
  return ctx.input.volumeSize ?? "10Gi";
}

export function pvc(ctx: BuildCtx, name: string, volume: string): Manifest {
  const spec: Record<string, unknown> = { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: volumeSize(ctx) } } };
  if (ctx.input.storageClass) spec.storageClassName = ctx.input.storageClass;
  return { apiVersion: "v1", kind: "PersistentVolumeClaim", metadata: meta(ctx, name, { "dev.sbx.volume": deriveName(volume) }), spec };
}

/** Push an object, keeping the first source location for diagnostics. */
export function add(ctx: BuildCtx, type: KubeResourceKind, key: string | undefined, manifest: Manifest, source?: SourceRange): void {
  ctx.objects.push({ address: address(type, key), type, manifest, ...(source ? { source } : {}) });
}

/** Strip undefined fields so the objects are plain JSON (and render the same every time). */
export function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
