// Every kubectl call of the kubernetes backend: server-side apply, list what we own, delete
// only ours, wait until ready. Side effects go through an injected runner.

import { error, type Diagnostic, type Result } from "../../compile/diagnostics.js";
import { LABEL_INSTANCE, LABEL_MANAGED_BY, MANAGER, ownedSelector } from "../../compile/kubernetes/labels.js";
import { labelValue } from "../../compile/kubernetes/names.js";
import { renderManifests } from "../../compile/kubernetes/render.js";
import type { KubeObject, Manifest } from "../../compile/kubernetes/types.js";
import type { KubectlRunner, RunResult } from "./runner.js";
import { SCRUBBED, type LiveObject } from "./types.js";

export const FIELD_MANAGER = "sbx";
/** Namespaced kinds sbx creates, as kubectl resource names (group-qualified where needed). */
export const NAMESPACED_KINDS = ["configmaps", "secrets", "persistentvolumeclaims", "services", "deployments.apps", "pods"] as const;
const ALL_KINDS = ["namespaces", ...NAMESPACED_KINDS].join(",");
/** kubectl's own wait on each API request, so an unreachable cluster fails fast. */
const REQUEST_TIMEOUT = "--request-timeout=30s";

export interface KubectlCall {
  run: KubectlRunner;
  context: string;
  /** Masks secret values in anything kubectl prints (apply/secrets' redactor). */
  redact?: (text: string) => string;
}

const base = (c: KubectlCall) => ["--context", c.context];

function failure(summary: string, c: KubectlCall, r: RunResult, extraMask: readonly string[] = [], hint = ""): Diagnostic {
  let text = (r.stderr.trim() || r.stdout.trim() || `exit code ${r.exitCode}`).split("\n").slice(0, 20).join("\n");
  for (const v of extraMask) if (v.length >= 3) text = text.split(v).join("********");
  if (c.redact) text = c.redact(text);
  const why = r.timedOut ? "kubectl did not finish in time and was stopped." : text;
  return error(summary, { detail: `${why}${hint ? `\n${hint}` : ""}` });
}

/** Values inside Secrets being sent (base64 and decoded), masked in any error text. */
function secretStrings(manifests: readonly Manifest[]): string[] {
  const out: string[] = [];
  for (const m of manifests)
    if (m.kind === "Secret")
      for (const v of Object.values((m.data as Record<string, string>) ?? {})) out.push(v, Buffer.from(v, "base64").toString("utf8"));
  return out;
}

/** `kubectl apply --server-side --field-manager=sbx -f -`; returns the `kind/name` kubectl reports. */
export async function applyManifests(c: KubectlCall, manifests: readonly Manifest[], timeoutMs = 120_000): Promise<Result<string[]>> {
  const argv = [...base(c), "apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, REQUEST_TIMEOUT, "-o", "name", "-f", "-"];
  const r = await c.run(argv, { input: renderManifests(manifests), timeoutMs });
  if (r.exitCode !== 0) {
    const missingNs = /namespaces? "([^"]+)" not found/.exec(r.stderr);
    const hint = /conflict/i.test(r.stderr)
      ? "Another field manager owns some of these fields (someone ran kubectl apply or edit). sbx does not take them over: delete the object, or apply once by hand with --force-conflicts --field-manager=sbx."
      : missingNs
        ? `The shared namespace \`${missingNs[1]}' does not exist. sbx never creates a shared namespace: ask for it (kubectl create namespace ${missingNs[1]}), or leave the namespace unset so the sandbox gets one of its own.`
        : "";
    return { value: [], diags: [failure("kubectl apply failed", c, r, secretStrings(manifests), hint)] };
  }
  return { value: r.stdout.split("\n").map((l) => l.trim()).filter(Boolean), diags: [] };
}

function isOurs(o: Record<string, unknown>, instanceId: string): boolean {
  const md = (o.metadata ?? {}) as { labels?: Record<string, string>; ownerReferences?: unknown[] };
  // Pods of a Deployment carry our labels too, but their ReplicaSet owns them.
  if (Array.isArray(md.ownerReferences) && md.ownerReferences.length) return false;
  return md.labels?.[LABEL_INSTANCE] === labelValue(instanceId) && md.labels?.[LABEL_MANAGED_BY] === MANAGER;
}

/** Replace every value of a live Secret before it goes anywhere else. */
function scrub(o: Record<string, unknown>): Record<string, unknown> {
  if (o.kind !== "Secret") return o;
  const data = Object.fromEntries(Object.keys((o.data as Record<string, unknown>) ?? {}).map((k) => [k, SCRUBBED]));
  const { stringData: _s, ...rest } = o;
  const md = { ...((rest.metadata as Record<string, unknown>) ?? {}) };
  const ann = { ...((md.annotations as Record<string, string>) ?? {}) };
  delete ann["kubectl.kubernetes.io/last-applied-configuration"];
  md.annotations = ann;
  delete md.managedFields;
  return { ...rest, metadata: md, data };
}

/**
 * Where to look. A shared namespace is searched alone (a namespace-scoped user cannot list
 * across the cluster); the sandbox's own namespace, or none known (state lost), searches every
 * namespace and the labelled namespaces themselves.
 */
export interface OwnedScope {
  instanceId: string;
  /** plan.namespace; omitted after state loss. */
  namespace?: { name: string; owned: boolean };
}

function scopeArgs(s: OwnedScope, withNamespaces: boolean): string[] {
  const shared = s.namespace && !s.namespace.owned;
  const kinds = shared || !withNamespaces ? NAMESPACED_KINDS.join(",") : ALL_KINDS;
  return [kinds, "-l", ownedSelector(s.instanceId), ...(shared ? ["--namespace", s.namespace!.name] : ["--all-namespaces"])];
}

/** `kubectl get <kinds> -l <selector> (--namespace NS | --all-namespaces) -o json`: what the sandbox owns, secrets scrubbed. */
export async function listOwned(c: KubectlCall, s: OwnedScope, timeoutMs = 60_000): Promise<Result<LiveObject[]>> {
  const argv = [...base(c), "get", ...scopeArgs(s, true), REQUEST_TIMEOUT, "-o", "json"];
  const r = await c.run(argv, { timeoutMs });
  if (r.exitCode !== 0) return { value: [], diags: [failure("kubectl get failed", c, r)] };
  let items: Record<string, unknown>[];
  try {
    const doc = JSON.parse(r.stdout) as { items?: Record<string, unknown>[] };
    items = doc.items ?? [];
  } catch (e) {
    return { value: [], diags: [error("kubectl get returned unreadable JSON", { detail: `${(e as Error).message}. Is \`kubectl' a real kubectl?` })] };
  }
  const out: LiveObject[] = [];
  for (const raw of items) {
    if (!isOurs(raw, s.instanceId)) continue;
    const o = scrub(raw);
    const md = o.metadata as { name: string; namespace?: string; labels?: Record<string, string> };
    out.push({ apiVersion: String(o.apiVersion), kind: String(o.kind), name: md.name, ...(md.namespace ? { namespace: md.namespace } : {}), labels: md.labels ?? {}, object: o });
  }
  return { value: out, diags: [] };
}

export interface Deleted {
  kind: string;
  namespace?: string;
  name: string;
}

/**
 * Delete what the sandbox owns: the namespaced objects by label, then each namespace that
 * carries our labels (one sbx created). A shared namespace has no label and is never deleted.
 */
export async function deleteOwned(c: KubectlCall, s: OwnedScope, timeoutSeconds = 120): Promise<Result<Deleted[]>> {
  const listed = await listOwned(c, s);
  if (listed.diags.length) return { value: [], diags: listed.diags };
  const diags: Diagnostic[] = [];
  const namespaced = listed.value.filter((o) => o.kind !== "Namespace");
  const namespaces = listed.value.filter((o) => o.kind === "Namespace");
  const timeout = `--timeout=${timeoutSeconds}s`;
  const ms = (timeoutSeconds + 15) * 1000;
  if (namespaced.length) {
    const argv = [...base(c), "delete", ...scopeArgs(s, false), "--ignore-not-found", "--wait=true", timeout];
    const r = await c.run(argv, { timeoutMs: ms });
    if (r.exitCode !== 0) diags.push(failure("kubectl delete failed", c, r));
  }
  for (const ns of namespaces) {
    const r = await c.run([...base(c), "delete", "namespace", ns.name, "--ignore-not-found", "--wait=true", timeout], { timeoutMs: ms });
    if (r.exitCode !== 0) diags.push(failure(`kubectl delete namespace ${ns.name} failed`, c, r));
  }
  const value = diags.length ? [] : listed.value.map((o) => ({ kind: o.kind, name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}) }));
  return { value, diags };
}

/** Delete listed objects one by one (orphans from observeDrift); only objects listOwned returned. */
export async function deleteObjects(c: KubectlCall, objects: readonly LiveObject[], timeoutSeconds = 120): Promise<Result<Deleted[]>> {
  const diags: Diagnostic[] = [];
  const value: Deleted[] = [];
  for (const o of objects) {
    const ns = o.namespace ? ["--namespace", o.namespace] : [];
    const kind = o.apiVersion.includes("/") ? `${o.kind.toLowerCase()}.${o.apiVersion.split("/")[0]}` : o.kind.toLowerCase();
    const r = await c.run([...base(c), ...ns, "delete", `${kind}/${o.name}`, "--ignore-not-found", "--wait=true", `--timeout=${timeoutSeconds}s`], { timeoutMs: (timeoutSeconds + 15) * 1000 });
    if (r.exitCode !== 0) diags.push(failure(`kubectl delete ${kind}/${o.name} failed`, c, r));
    else value.push({ kind: o.kind, name: o.name, ...(o.namespace ? { namespace: o.namespace } : {}) });
  }
  return { value, diags };
}

export interface Readiness {
  address: string;
  ready: boolean;
  /** kubectl's last words when not ready. */
  detail?: string;
}

/** Wait for Deployments (rollout status) and Pods (condition Ready), one shared deadline. */
export async function waitReady(c: KubectlCall, objects: readonly KubeObject[], timeoutSeconds = 120, now: () => number = Date.now): Promise<Result<Readiness[]>> {
  const deadline = now() + timeoutSeconds * 1000;
  const out: Readiness[] = [];
  const diags: Diagnostic[] = [];
  for (const o of objects) {
    const m = o.manifest;
    if (m.kind !== "Deployment" && m.kind !== "Pod") continue;
    const left = Math.max(1, Math.ceil((deadline - now()) / 1000));
    const ns = ["--namespace", m.metadata.namespace ?? "default"];
    const argv =
      m.kind === "Deployment"
        ? [...base(c), ...ns, "rollout", "status", `deployment/${m.metadata.name}`, `--timeout=${left}s`]
        : [...base(c), ...ns, "wait", "--for=condition=Ready", `pod/${m.metadata.name}`, `--timeout=${left}s`];
    const r = await c.run(argv, { timeoutMs: (left + 15) * 1000 });
    if (r.exitCode === 0) out.push({ address: o.address, ready: true });
    else {
      const d = failure(`${m.kind} ${m.metadata.name} is not ready`, c, r);
      out.push({ address: o.address, ready: false, detail: d.detail ?? "" });
      diags.push({ ...d, address: o.address });
    }
  }
  return { value: out, diags };
}

/** `kubectl rollout restart deployment/<name>`: pods re-read a Secret whose values changed. */
export async function restartRollout(c: KubectlCall, namespace: string, name: string, timeoutMs = 60_000): Promise<Diagnostic[]> {
  const r = await c.run([...base(c), "--namespace", namespace, "rollout", "restart", `deployment/${name}`, REQUEST_TIMEOUT], { timeoutMs });
  return r.exitCode === 0 ? [] : [failure(`kubectl rollout restart deployment/${name} failed`, c, r)];
}

/** argv of `kubectl logs` for a Deployment's or Pod's containers (the caller streams it). */
export function logsArgv(context: string, namespace: string, workload: string, opts: { tail: number; follow: boolean }): string[] {
  return ["--context", context, "--namespace", namespace, "logs", workload, "--all-containers", `--tail=${opts.tail}`, ...(opts.follow ? ["--follow"] : [])];
}
