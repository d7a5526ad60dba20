// How the Kubernetes kinds act: every call is kubectl on the driver's target (src/apply/kubernetes:
// server-side apply with field manager sbx, list by owner label, delete only what that listing
// returned). A Secret gets its values here, at apply, and nowhere else.

import { applyManifests, deleteObjects, listOwned, logsArgv, restartRollout, waitReady, type KubectlCall, type OwnedScope } from "../../apply/kubernetes/kubectl.js";
import { observeDrift, keyOf } from "../../apply/kubernetes/drift.js";
import { targetRunner } from "../../apply/kubernetes/runner.js";
import { fillSecret } from "../../apply/kubernetes/secret-data.js";
import type { LiveObject } from "../../apply/kubernetes/types.js";
import { resolveAll } from "../../apply/secrets/resolve.js";
import { fingerprintAll, hostKey } from "../../apply/secrets/fingerprint.js";
import type { StateResource } from "../../apply/state.js";
import type { Diagnostic } from "../../compile/diagnostics.js";
import { LABEL_SERVICE } from "../../compile/kubernetes/labels.js";
import { deriveName } from "../../compile/kubernetes/names.js";
import { address as kubeAddress } from "../../compile/kubernetes/objects.js";
import type { KubeObject, KubeResourceKind, Manifest } from "../../compile/kubernetes/types.js";
import type { Observation } from "../../plan/model.js";
import { DriverError, type Discoverer, type Driver, type DriverContext, type LogSource, type Planner, type StatusReporter } from "../driver.js";
import type { Resource } from "../spec.js";
import { planFingerprints } from "../secrets/driver.js";
import { K8S_SPECS, NOT_MANIFEST, type K8sAttrs, type K8sReadyAttrs, type K8sSecretExtra } from "./kind.js";

/** Seconds kubectl may wait for a delete to finish. */
const DELETE_TIMEOUT_S = 120;

export function kubectlFor(ctx: DriverContext, context: string): KubectlCall {
  return { run: targetRunner(ctx.target, ctx.env), context, redact: (t) => ctx.redactor.redact(t) };
}

/** The manifest in a resource's attributes (context, refs and fingerprints are sbx's own). */
export function manifestOf(attrs: K8sAttrs): Manifest {
  const m: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attrs)) if (!(NOT_MANIFEST as readonly string[]).includes(k)) m[k] = v;
  return m as unknown as Manifest;
}

/** The sandbox's own namespace (what buildKubePlan names it); any other is shared. */
export const ownNamespace = (instanceId: string) => deriveName(`sbx-${instanceId}`);

function namespaceOf(m: Manifest): string {
  return m.kind === "Namespace" ? m.metadata.name : (m.metadata.namespace ?? "default");
}

function scopeFor(ctx: DriverContext, m: Manifest): OwnedScope {
  const ns = namespaceOf(m);
  return { instanceId: ctx.instanceId, namespace: { name: ns, owned: ns === ownNamespace(ctx.instanceId) } };
}

function fail(summary: string, diags: readonly Diagnostic[], kind: "provision" | "runtime" = "provision"): DriverError {
  const lines = diags.map((d) => `${d.summary}: ${d.detail ?? ""}`.trim());
  return new DriverError(summary, [summary, ...lines.map((l) => `  ${l.replace(/\n/g, "\n  ")}`)], kind);
}

// Reads that run together (a plan reads every object at once) share one listing by owner label:
// a listing in flight is reused, and forgotten as soon as it answers, so every later read is fresh.
const inFlight = new WeakMap<DriverContext, Map<string, Promise<LiveObject[]>>>();

function listing(ctx: DriverContext, context: string, scope: OwnedScope): Promise<LiveObject[]> {
  let byScope = inFlight.get(ctx);
  if (!byScope) inFlight.set(ctx, (byScope = new Map()));
  const key = `${context}\0${scope.namespace && !scope.namespace.owned ? scope.namespace.name : "*"}`;
  const pending = byScope.get(key);
  if (pending) return pending;
  const p = listOwned(kubectlFor(ctx, context), scope).then((r) => {
    if (r.diags.length) throw fail(`Cannot list this sandbox's Kubernetes objects in context ${context}`, r.diags, "runtime");
    return r.value;
  });
  const forget = () => void byScope!.delete(key);
  p.then(forget, forget); // the caller handles (and reports) a failure
  byScope.set(key, p);
  return p;
}

/** The live object sbx owns for a manifest (our labels, no owner references), or undefined. */
async function liveOf(ctx: DriverContext, context: string, m: Manifest): Promise<LiveObject | undefined> {
  const key = keyOf(m.kind, m.kind === "Namespace" ? undefined : m.metadata.namespace, m.metadata.name);
  return (await listing(ctx, context, scopeFor(ctx, m))).find((l) => keyOf(l.kind, l.namespace, l.name) === key);
}

/** Values for the Secret's keys, resolved now; registered with the redactor before anything else. */
async function secretValues(ctx: DriverContext, keys: readonly string[]): Promise<Map<string, string>> {
  const refs: Record<string, string> = {};
  const missing: string[] = [];
  for (const k of keys) {
    const raw = ctx.secretRefs[k];
    if (raw === undefined) missing.push(k);
    else refs[k] = raw;
  }
  if (missing.length) throw new DriverError(`No secret reference for ${missing.join(", ")}`, [`The Secret needs ${missing.join(", ")}, which no [sandbox.secrets] entry or profile secret_refs names now. Run \`sbx plan\` again.`], "provision");
  const { values, errors } = await resolveAll(refs, { main: ctx.main, env: ctx.env });
  ctx.redactor.add(...values.values());
  if (errors.length) throw new DriverError(`${errors.length} secret${errors.length === 1 ? "" : "s"} could not be resolved`, errors.map((e) => `${e.name} (${e.display})\n  ${e.message}`), "provision");
  return values;
}

async function apply(ctx: DriverContext, r: Resource<K8sAttrs>, prior?: StateResource<K8sAttrs>): Promise<{ output: Record<string, unknown>; attrs?: Partial<K8sAttrs> }> {
  const call = kubectlFor(ctx, r.attrs.context);
  let m = manifestOf(r.attrs);
  let output: Record<string, unknown> = {};
  let attrs: Partial<K8sAttrs> | undefined;
  if (m.kind === "Secret") {
    const keys = Object.keys((m.stringData as Record<string, string> | undefined) ?? {});
    const values = await secretValues(ctx, keys);
    const filled = fillSecret(m, values);
    if ("missing" in filled) throw new DriverError(`No value for ${filled.missing.join(", ")}`, undefined, "provision");
    m = filled.manifest;
    const fingerprints = fingerprintAll(hostKey(ctx.home), values);
    output = { fingerprints };
    attrs = { fingerprints };
  }
  ctx.log(`${r.address}: kubectl apply --server-side (${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ""}${m.metadata.name}, context ${r.attrs.context})`);
  const res = await applyManifests(call, [m]);
  if (res.diags.length) throw fail(`${m.kind} ${m.metadata.name} was not applied`, res.diags);
  // Same pod template as running, yet an update: a dependency (the Secret) changed; pods re-read it only on restart.
  if (m.kind === "Deployment" && prior && JSON.stringify(manifestOf(prior.attrs).spec) === JSON.stringify(m.spec)) {
    ctx.log(`${r.address}: kubectl rollout restart (its pods read values that changed)`);
    const d = await restartRollout(call, namespaceOf(m), m.metadata.name);
    if (d.length) throw fail(`Deployment ${m.metadata.name} was not restarted`, d);
  }
  return { output, ...(attrs ? { attrs } : {}) };
}

/** Drift as values: each drifted field as observed now and as apply will make it. */
async function read(ctx: DriverContext, prior: StateResource<K8sAttrs>): Promise<Observation> {
  const m = manifestOf(prior.attrs);
  const live = await liveOf(ctx, prior.attrs.context, m);
  const where = `${m.metadata.namespace ? `namespace ${m.metadata.namespace}, ` : ""}context ${prior.attrs.context}`;
  if (!live) return { status: "missing", reason: `${m.kind} ${m.metadata.name} not found (${where})` };
  const report = observeDrift([{ address: prior.address, type: prior.type as KubeResourceKind, manifest: m }], [live]);
  const fields = report.drifted[0]?.fields ?? [];
  if (!fields.length) return { status: "ok" };
  const forcing = (K8S_SPECS[prior.type as KubeResourceKind]?.replaceOn ?? []) as readonly string[];
  const replaces = fields.some((f) => forcing.some((p) => p.includes(".") && (f.path === p || f.path.startsWith(`${p}.`) || f.path.startsWith(`${p}[`))));
  const observed: Record<string, unknown> = {};
  const expected: Record<string, unknown> = {};
  for (const f of fields) {
    observed[f.path] = f.live ?? null;
    expected[f.path] = f.desired ?? null;
  }
  return { status: "drifted", reason: `${m.kind} ${m.metadata.name} changed outside sbx: ${fields.map((f) => f.path).join(", ")}`, action: replaces ? "replace" : "update", observed, expected };
}

async function remove(ctx: DriverContext, prior: StateResource<K8sAttrs>): Promise<{ kept?: string }> {
  const m = manifestOf(prior.attrs);
  // Only what the owner-label listing returns is deleted: an object of the same name without our labels is not ours.
  const live = await liveOf(ctx, prior.attrs.context, m);
  if (!live) return {};
  ctx.log(`${prior.address}: kubectl delete ${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ""}${m.metadata.name} (context ${prior.attrs.context})`);
  const r = await deleteObjects(kubectlFor(ctx, prior.attrs.context), [live], DELETE_TIMEOUT_S);
  if (r.diags.length) throw fail(`${m.kind} ${m.metadata.name} was not deleted`, r.diags);
  return {};
}

function workloadStatus(m: Manifest, live: LiveObject): { state: "running" | "stopped"; detail: string } {
  const st = (live.object.status ?? {}) as { readyReplicas?: number; replicas?: number; phase?: string; conditions?: { type: string; status: string }[] };
  if (m.kind === "Deployment") {
    const want = Number((live.object.spec as { replicas?: number } | undefined)?.replicas ?? 1);
    const ready = st.readyReplicas ?? 0;
    return { state: ready >= want && want > 0 ? "running" : "stopped", detail: `${ready}/${want} ready` };
  }
  const ready = st.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;
  return { state: ready ? "running" : "stopped", detail: `${st.phase ?? "Pending"}${ready ? ", ready" : ""}` };
}

function serviceName(m: Manifest): string {
  const labels = (m.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined)?.template?.metadata?.labels ?? m.metadata.labels ?? {};
  return labels[LABEL_SERVICE] ?? m.metadata.name;
}

/** The address buildKubePlan gives the object a live one comes from (owner labels lead back to it). */
function addressOfLive(l: LiveObject): { type: KubeResourceKind; address: string } {
  const o = l.object as { spec?: { selector?: Record<string, unknown> & { matchLabels?: Record<string, string> } } };
  const selected = (o.spec?.selector?.matchLabels ?? o.spec?.selector ?? {}) as Record<string, string>;
  switch (l.kind) {
    case "Namespace":
      return { type: "k8s.namespace", address: "k8s.namespace" };
    case "ConfigMap":
      return { type: "k8s.configmap", address: "k8s.configmap" };
    case "Secret":
      return { type: "k8s.secret", address: "k8s.secret" };
    case "PersistentVolumeClaim":
      return { type: "k8s.pvc", address: kubeAddress("k8s.pvc", l.labels["dev.sbx.volume"] ?? l.name) };
    case "Service":
      return { type: "k8s.service", address: kubeAddress("k8s.service", selected[LABEL_SERVICE] ?? l.name) };
    case "Deployment":
      return { type: "k8s.deployment", address: kubeAddress("k8s.deployment", selected[LABEL_SERVICE] ?? l.name) };
    default:
      return { type: "k8s.pod", address: kubeAddress("k8s.pod", l.labels[LABEL_SERVICE] ?? l.name) };
  }
}

function objectDriver(type: KubeResourceKind): Driver<K8sAttrs> & StatusReporter<K8sAttrs> {
  return {
    type,
    read,
    create: (ctx, r) => apply(ctx, r),
    update: (ctx, r, prior) => apply(ctx, r, prior),
    delete: remove,
    async status(ctx, prior) {
      const m = manifestOf(prior.attrs);
      const live = await liveOf(ctx, prior.attrs.context, m);
      if (!live) return { state: "missing", detail: `not found in context ${prior.attrs.context}` };
      if (m.kind === "Deployment" || m.kind === "Pod") return workloadStatus(m, live);
      const drift = observeDrift([{ address: prior.address, type, manifest: m }], [live]).drifted[0];
      return drift ? { state: "drifted", detail: drift.fields.map((f) => f.path).join(", ") } : { state: "ok", detail: `${m.kind} ${m.metadata.namespace ? `${m.metadata.namespace}/` : ""}${m.metadata.name}` };
    },
  };
}

/** Deployments and the agent's Pod also have logs. */
function workloadDriver(type: "k8s.deployment" | "k8s.pod"): Driver<K8sAttrs> & StatusReporter<K8sAttrs> & LogSource<K8sAttrs> {
  return {
    ...objectDriver(type),
    logNames: (prior) => [serviceName(manifestOf(prior.attrs))],
    async *logs(ctx, prior, opts) {
      const m = manifestOf(prior.attrs);
      const workload = `${m.kind === "Deployment" ? "deployment" : "pod"}/${m.metadata.name}`;
      for await (const line of ctx.target.lines(["kubectl", ...logsArgv(prior.attrs.context, namespaceOf(m), workload, opts)], { env: ctx.env })) yield ctx.redactor.redact(line);
    },
  };
}

/** The Secret learns at plan time whether a value was rotated (fingerprints, never values). */
const secretDriver: Driver<K8sAttrs> & StatusReporter<K8sAttrs> & Planner<K8sAttrs> = {
  ...objectDriver("k8s.secret"),
  async plan(ctx, desired, prior) {
    const keys = Object.keys((desired.attrs.stringData as Record<string, string> | undefined) ?? {});
    const refs = Object.fromEntries(keys.filter((k) => ctx.secretRefs[k] !== undefined).map((k) => [k, ctx.secretRefs[k]!]));
    const p = prior?.attrs as (K8sAttrs & K8sSecretExtra) | undefined;
    const { fingerprints, rotated } = await planFingerprints(ctx, refs, p?.refs ?? {}, (prior?.output.fingerprints ?? {}) as Record<string, string>);
    return { attrs: { ...desired.attrs, fingerprints }, reasons: rotated.length ? [`secret value changed: ${rotated.join(", ")}`] : [] };
  },
};

/**
 * The namespace also finds, after state loss, everything this instance owns (one listing by
 * owner label covers every kind), where the configuration places it.
 */
const namespaceDriver: Driver<K8sAttrs> & StatusReporter<K8sAttrs> & Discoverer = {
  ...objectDriver("k8s.namespace"),
  async discover(ctx) {
    const p = ctx.placement;
    if (p?.kind !== "k8s") return [];
    const scope: OwnedScope = p.namespace ? { instanceId: ctx.instanceId, namespace: { name: p.namespace, owned: false } } : { instanceId: ctx.instanceId };
    const live = await listing(ctx, p.context, scope);
    const found = live.map((l) => ({ l, ...addressOfLive(l) }));
    const ns = found.find((f) => f.type === "k8s.namespace");
    const stores = found.filter((f) => f.type === "k8s.configmap" || f.type === "k8s.secret" || f.type === "k8s.pvc").map((f) => f.address);
    return found.map(({ l, type, address }): StateResource => {
      // Deletes follow dependencies in reverse: workloads first, the namespace last.
      const deps = [...(ns && type !== "k8s.namespace" ? [ns.address] : []), ...(type === "k8s.deployment" || type === "k8s.pod" ? stores : [])];
      const metadata = { name: l.name, ...(l.namespace ? { namespace: l.namespace } : {}), labels: l.labels };
      return { address, type, attrs: { context: p.context, apiVersion: l.apiVersion, kind: l.kind, metadata }, output: {}, dependsOn: deps };
    });
  },
};

/** k8s.ready: rollout status of each Deployment, Ready of each Pod, under one deadline. Owns nothing. */
async function gate(ctx: DriverContext, r: Resource<K8sReadyAttrs>): Promise<{ output: Record<string, unknown> }> {
  const a = r.attrs;
  ctx.log(`Readiness gate: waiting up to ${a.timeout}s for ${a.workloads.map((w) => `${w.kind.toLowerCase()}/${w.name}`).join(", ")} (context ${a.context})`);
  const objects: KubeObject[] = a.workloads.map((w) => ({
    address: w.address,
    type: w.kind === "Deployment" ? "k8s.deployment" : "k8s.pod",
    manifest: { apiVersion: w.kind === "Deployment" ? "apps/v1" : "v1", kind: w.kind, metadata: { name: w.name, namespace: w.namespace } },
  }));
  const res = await waitReady(kubectlFor(ctx, a.context), objects, a.timeout);
  const lines: string[] = [];
  for (const x of res.value) {
    const w = a.workloads.find((y) => y.address === x.address)!;
    const line = x.ready ? `  ✓ ${w.kind.toLowerCase()}/${w.name} ready` : `  ✗ ${w.kind.toLowerCase()}/${w.name} not ready\n    → ${(x.detail ?? "").split("\n")[0]}`;
    ctx.log(line);
    if (!x.ready) lines.push(line);
  }
  const passed = !lines.length && !res.diags.length;
  ctx.log(`Readiness gate: ${passed ? "PASSED" : "FAILED"}`);
  if (!passed) throw new DriverError(`Readiness gate failed after ${a.timeout}s`, [...lines, `  See why: kubectl --context ${a.context} get events --namespace ${a.workloads[0]?.namespace ?? "default"} --sort-by=.lastTimestamp`], "health");
  return { output: { ready_at: new Date().toISOString() } };
}

export const k8sReadyDriver: Driver<K8sReadyAttrs> = {
  type: "k8s.ready",
  async read() {
    return { status: "ok" };
  },
  create: gate,
  update: gate,
  async delete() {
    return {};
  },
};

export const K8S_DRIVERS: Record<KubeResourceKind, Driver<K8sAttrs>> = {
  "k8s.namespace": namespaceDriver,
  "k8s.configmap": objectDriver("k8s.configmap"),
  "k8s.secret": secretDriver,
  "k8s.pvc": objectDriver("k8s.pvc"),
  "k8s.service": objectDriver("k8s.service"),
  "k8s.deployment": workloadDriver("k8s.deployment"),
  "k8s.pod": workloadDriver("k8s.pod"),
};
