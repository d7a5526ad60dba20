// The kubectl calls of the kubernetes backend, checked argv by argv and stdin by stdin against
// tests/fixtures/fake-kubectl: a recording stand-in run as a real child process. It is not a
// cluster (no API server can run here); the live test is tests/integration/kubernetes-live.test.ts.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseAllDocuments } from "yaml";
import { observeDrift } from "../../src/apply/kubernetes/drift.js";
import { applyManifests, deleteObjects, deleteOwned, listOwned, logsArgv, restartRollout, waitReady, type KubectlCall } from "../../src/apply/kubernetes/kubectl.js";
import { processRunner, targetRunner, type KubectlRunner } from "../../src/apply/kubernetes/runner.js";
import { fillSecret } from "../../src/apply/kubernetes/secret-data.js";
import { buildKubePlan } from "../../src/compile/kubernetes/plan.js";
import type { KubePlan, Manifest } from "../../src/compile/kubernetes/types.js";
import { loadCase } from "../helpers/kube-cases.js";

const STANDIN = "(recording stand-in for kubectl, no API server here)";
const FAKE = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "fixtures", "fake-kubectl");
const CANARY = "CANARY-kubectl-s3cret-77e1";

interface Rule {
  match: string[];
  exitCode?: number;
  stdout?: string;
  stderr?: string;
  sleepMs?: number;
}

const tmpDirs: string[] = [];
function tmp(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
}
test.after(() => {
  for (const d of tmpDirs) fs.rmSync(d, { recursive: true, force: true });
});

function standIn(rules: Rule[] = [], timeoutMs = 20_000): { call: KubectlCall; calls: () => { argv: string[]; stdin: string }[] } {
  const dir = tmp("sbx-fake-kubectl-");
  fs.writeFileSync(path.join(dir, "responses.json"), JSON.stringify(rules));
  const run = processRunner({ bin: FAKE, defaultTimeoutMs: timeoutMs, env: { ...process.env, FAKE_KUBECTL_DIR: dir } });
  const calls = () => {
    const f = path.join(dir, "calls.jsonl");
    return fs.existsSync(f) ? fs.readFileSync(f, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { argv: string[]; stdin: string }) : [];
  };
  return { call: { run, context: "kind-kind" }, calls };
}

function plan(name: string): KubePlan {
  const r = buildKubePlan(loadCase(name).input);
  assert.ok(r.value, JSON.stringify(r.diags));
  return r.value!;
}

/** The manifests apply sends: the plan's, with the Secret filled from resolved values. */
function applied(p: KubePlan): Manifest[] {
  return p.objects.map((o) => {
    if (o.manifest.kind !== "Secret") return o.manifest;
    const f = fillSecret(o.manifest, new Map(p.secretKeys.map((k) => [k, `${CANARY}-${k}`])));
    assert.ok("manifest" in f);
    return (f as { manifest: Manifest }).manifest;
  });
}

type Obj = Record<string, unknown>;
/** The object at `path` inside plain JSON that the test itself built. */
const dig = (o: unknown, ...path: (string | number)[]): Obj => path.reduce<unknown>((v, k) => (v as Obj)[k], o) as Obj;
const list = (o: unknown, ...path: (string | number)[]): Obj[] => dig(o, ...path) as unknown as Obj[];

/** What the API server would return for an applied manifest: defaults, metadata, status. */
function asLive(m: Manifest): Obj {
  const o = structuredClone(m) as Obj;
  const md = dig(o, "metadata");
  Object.assign(md, { uid: `uid-${m.metadata.name}`, resourceVersion: "4711", creationTimestamp: "2026-08-30T10:00:00Z", managedFields: [{ manager: "sbx", operation: "Apply" }] });
  if (m.kind === "Deployment") {
    const spec = dig(o, "spec");
    Object.assign(spec, { progressDeadlineSeconds: 600, revisionHistoryLimit: 10 });
    spec.strategy ??= { type: "RollingUpdate", rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" } };
    for (const c of list(spec, "template", "spec", "containers")) {
      Object.assign(c, { imagePullPolicy: "IfNotPresent", terminationMessagePath: "/dev/termination-log" });
      const limits = c.resources ? dig(c, "resources", "limits") : undefined;
      if (limits?.memory === "2Gi") limits.memory = "2048Mi"; // same amount, other spelling
      if (c.readinessProbe) Object.assign(dig(c, "readinessProbe"), { successThreshold: 1 });
    }
    Object.assign(dig(spec, "template", "spec"), { dnsPolicy: "ClusterFirst", schedulerName: "default-scheduler" });
    o.status = { readyReplicas: 1 };
  }
  if (m.kind === "Service") Object.assign(dig(o, "spec"), { clusterIP: "10.96.12.34", clusterIPs: ["10.96.12.34"], sessionAffinity: "None", ipFamilies: ["IPv4"] });
  if (m.kind === "PersistentVolumeClaim") Object.assign(dig(o, "spec"), { volumeName: "pvc-123", volumeMode: "Filesystem" });
  if (m.kind === "Pod") {
    list(o, "spec", "volumes").push({ name: "kube-api-access-x1", projected: { sources: [] } });
    list(o, "spec", "containers", 0, "volumeMounts").push({ name: "kube-api-access-x1", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount", readOnly: true });
    dig(o, "spec").nodeName = "kind-control-plane";
  }
  if (m.kind === "Secret") md.annotations = { "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify(m) };
  return o;
}

function liveList(p: KubePlan, extra: Record<string, unknown>[] = []): string {
  return JSON.stringify({ apiVersion: "v1", kind: "List", items: [...applied(p).map(asLive), ...extra] });
}

test(`apply is server-side with field manager sbx, one call, manifests on stdin ${STANDIN}`, async () => {
  const p = plan("compose-three-services");
  const { call, calls } = standIn();
  const r = await applyManifests(call, applied(p));
  assert.equal(r.diags, []);
  const c = calls();
  assert.is(c.length, 1);
  assert.equal(c[0]!.argv, ["--context", "kind-kind", "apply", "--server-side", "--field-manager=sbx", "--request-timeout=30s", "-o", "name", "-f", "-"]);
  const docs = parseAllDocuments(c[0]!.stdin).map((d) => d.toJS() as Manifest);
  assert.equal(docs, applied(p));
  assert.equal(docs.map((d) => d.kind), ["Namespace", "ConfigMap", "Secret", "PersistentVolumeClaim", "Service", "Service", "Service", "Deployment", "Deployment", "Deployment"]);
  assert.equal(r.value, docs.map((d) => `${d.kind.toLowerCase()}${d.apiVersion.includes("/") ? ".apps" : ""}/${d.metadata.name}`));
});

test(`a failed apply masks the secret values kubectl echoes, and explains a field conflict ${STANDIN}`, async () => {
  const p = plan("compose-three-services");
  const b64 = Buffer.from(`${CANARY}-DB_PASSWORD`).toString("base64");
  const { call } = standIn([
    { match: ["apply"], exitCode: 1, stderr: `error: Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.DB_PASSWORD (was ${b64}, plain ${CANARY}-DB_PASSWORD)\n` },
  ]);
  const r = await applyManifests(call, applied(p));
  assert.is(r.diags.length, 1);
  const d = r.diags[0]!;
  assert.is(d.summary, "kubectl apply failed");
  assert.not.ok(d.detail!.includes(CANARY) || d.detail!.includes(b64), d.detail);
  assert.match(d.detail!, "********");
  assert.match(d.detail!, "--force-conflicts");
});

test(`applying into a shared namespace that does not exist says how to get one ${STANDIN}`, async () => {
  const p = plan("compose-shared-namespace");
  assert.not.ok(p.objects.some((o) => o.manifest.kind === "Namespace"), "a shared namespace is never applied");
  const { call } = standIn([{ match: ["apply"], exitCode: 1, stderr: 'Error from server (NotFound): error when creating "STDIN": namespaces "dev-sandboxes" not found\n' }]);
  const r = await applyManifests(call, applied(p));
  assert.match(r.diags[0]!.detail!, "kubectl create namespace dev-sandboxes");
  assert.match(r.diags[0]!.detail!, "leave the namespace unset");
});

test(`list owned asks by label across namespaces, keeps only ours, scrubs secrets ${STANDIN}`, async () => {
  const p = plan("compose-three-services");
  const replicaPod = { apiVersion: "v1", kind: "Pod", metadata: { name: "web-5d9c-abcde", namespace: p.namespace.name, labels: { "dev.sbx.instance": "shop-5e6f7a8b", "app.kubernetes.io/managed-by": "sbx" }, ownerReferences: [{ kind: "ReplicaSet", name: "web-5d9c" }] } };
  const stranger = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "other", namespace: "default", labels: { "dev.sbx.instance": "someone-else", "app.kubernetes.io/managed-by": "sbx" } } };
  const { call, calls } = standIn([{ match: ["get", "-o", "json"], stdout: liveList(p, [replicaPod, stranger]) }]);
  const r = await listOwned(call, { instanceId: "shop-5e6f7a8b" });
  assert.equal(r.diags, []);
  assert.equal(calls()[0]!.argv, [
    "--context", "kind-kind", "get", "namespaces,configmaps,secrets,persistentvolumeclaims,services,deployments.apps,pods",
    "-l", "dev.sbx.instance=shop-5e6f7a8b,app.kubernetes.io/managed-by=sbx", "--all-namespaces", "--request-timeout=30s", "-o", "json",
  ]);
  assert.equal(r.value.map((o) => `${o.kind}/${o.name}`).sort(), p.objects.map((o) => `${o.manifest.kind}/${o.manifest.metadata.name}`).sort());
  const text = JSON.stringify(r.value);
  assert.ok(liveList(p).includes(Buffer.from(`${CANARY}-DB_PASSWORD`).toString("base64")), "the stand-in did return secret data");
  assert.not.ok(text.includes(Buffer.from(`${CANARY}-DB_PASSWORD`).toString("base64")) || text.includes(CANARY), "no secret value survives the listing");
});

test(`drift: server defaults and other spellings of a quantity are not drift; edits, deletions and orphans are ${STANDIN}`, async () => {
  const p = plan("compose-three-services");
  const clean = standIn([{ match: ["get"], stdout: liveList(p) }]);
  const live = (await listOwned(clean.call, { instanceId: "shop-5e6f7a8b", namespace: { name: "sbx-shop-5e6f7a8b", owned: true } })).value;
  assert.equal(observeDrift(p.objects, live), { drifted: [], unexpected: [] });
  const agent = plan("agent-persist");
  const agentLive = (await listOwned(standIn([{ match: ["get"], stdout: liveList(agent) }]).call, { instanceId: "agent-dev-c0ffee00", namespace: agent.namespace })).value;
  assert.equal(observeDrift(agent.objects, agentLive), { drifted: [], unexpected: [] }, "an injected service-account volume is not drift");

  const items = (JSON.parse(liveList(p)) as { items: Obj[] }).items;
  const named = (kind: string, name: string) => (o: Obj) => o.kind === kind && dig(o, "metadata").name === name;
  const web = items.find(named("Deployment", "web"))!;
  dig(web, "spec", "template", "spec", "containers", 0).image = "ghcr.io/acme/shop-web:hotfix";
  dig(web, "spec").replicas = 3;
  delete dig(items.find((o) => o.kind === "Secret"), "data").STRIPE_KEY;
  const withoutDbService = items.filter((o) => !named("Service", "db")(o));
  const orphan = { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "old-worker", namespace: p.namespace.name, labels: { "dev.sbx.instance": "shop-5e6f7a8b", "app.kubernetes.io/managed-by": "sbx" } } };
  const edited = standIn([{ match: ["get"], stdout: JSON.stringify({ items: [...withoutDbService, orphan] }) }]);
  const report = observeDrift(p.objects, (await listOwned(edited.call, { instanceId: "shop-5e6f7a8b", namespace: p.namespace })).value);
  assert.equal(report.drifted.map((d) => [d.address, d.status, d.fields.map((f) => f.path)]), [
    ["k8s.secret", "changed", ["data.STRIPE_KEY"]],
    ["k8s.service.db", "missing", []],
    ["k8s.deployment.web", "changed", ["spec.replicas", "spec.template.spec.containers[web].image"]],
  ]);
  const img = report.drifted[2]!.fields[1]!;
  assert.equal([img.desired, img.live], ["ghcr.io/acme/shop-web:1.5.0", "ghcr.io/acme/shop-web:hotfix"]);
  assert.equal(report.unexpected.map((o) => `${o.kind}/${o.name}`), ["Deployment/old-worker"]);
  assert.not.ok(JSON.stringify(report).includes(CANARY));
});

test(`destroy deletes by label, then only the namespace sbx created and labelled ${STANDIN}`, async () => {
  const p = plan("compose-three-services");
  const { call, calls } = standIn([{ match: ["get"], stdout: liveList(p) }]);
  const r = await deleteOwned(call, { instanceId: "shop-5e6f7a8b", namespace: p.namespace }, 60);
  assert.equal(r.diags, []);
  const c = calls().map((x) => x.argv);
  assert.is(c.length, 3);
  assert.equal(c[1], ["--context", "kind-kind", "delete", "configmaps,secrets,persistentvolumeclaims,services,deployments.apps,pods", "-l", "dev.sbx.instance=shop-5e6f7a8b,app.kubernetes.io/managed-by=sbx", "--all-namespaces", "--ignore-not-found", "--wait=true", "--timeout=60s"]);
  assert.equal(c[2], ["--context", "kind-kind", "delete", "namespace", "sbx-shop-5e6f7a8b", "--ignore-not-found", "--wait=true", "--timeout=60s"]);
  assert.is(r.value.length, p.objects.length);
});

test(`destroy in a shared namespace stays inside it and never deletes it ${STANDIN}`, async () => {
  const p = plan("compose-shared-namespace");
  const { call, calls } = standIn([{ match: ["get"], stdout: liveList(p) }]);
  const r = await deleteOwned(call, { instanceId: "team-api-77aa88bb", namespace: p.namespace });
  assert.equal(r.diags, []);
  const c = calls().map((x) => x.argv);
  const sel = ["-l", "dev.sbx.instance=team-api-77aa88bb,app.kubernetes.io/managed-by=sbx", "--namespace", "dev-sandboxes"];
  assert.equal(c[0], ["--context", "kind-kind", "get", "configmaps,secrets,persistentvolumeclaims,services,deployments.apps,pods", ...sel, "--request-timeout=30s", "-o", "json"]);
  assert.equal(c[1], ["--context", "kind-kind", "delete", "configmaps,secrets,persistentvolumeclaims,services,deployments.apps,pods", ...sel, "--ignore-not-found", "--wait=true", "--timeout=120s"]);
  assert.is(c.length, 2);
  assert.not.ok(c.some((a) => a.includes("--all-namespaces") || a.includes("namespace")), "a namespace-scoped user can run every call");
  assert.not.ok(r.value.some((o) => o.kind === "Namespace"));
});

test(`destroy with nothing left asks once and deletes nothing ${STANDIN}`, async () => {
  const { call, calls } = standIn([{ match: ["get"], stdout: JSON.stringify({ items: [] }) }]);
  const r = await deleteOwned(call, { instanceId: "gone-00000000" });
  assert.equal([r.value, r.diags], [[], []]);
  assert.is(calls().length, 1);
});

test(`orphans are deleted one by one with their group and namespace ${STANDIN}`, async () => {
  const { call, calls } = standIn();
  const r = await deleteObjects(call, [{ apiVersion: "apps/v1", kind: "Deployment", name: "old-worker", namespace: "sbx-shop", labels: {}, object: {} }], 30);
  assert.equal(r.diags, []);
  assert.equal(calls()[0]!.argv, ["--context", "kind-kind", "--namespace", "sbx-shop", "delete", "deployment.apps/old-worker", "--ignore-not-found", "--wait=true", "--timeout=30s"]);
});

test(`readiness: rollout status per Deployment, wait Ready per Pod, one shared deadline ${STANDIN}`, async () => {
  const p = plan("compose-three-services");
  let t = 0;
  const now = () => (t += 7000); // each call observes 7 s passing
  const { call, calls } = standIn([{ match: ["deployment/worker"], exitCode: 1, stderr: "error: timed out waiting for the condition\n" }]);
  const r = await waitReady(call, p.objects, 60, now);
  const c = calls().map((x) => x.argv);
  assert.equal(c[0], ["--context", "kind-kind", "--namespace", "sbx-shop-5e6f7a8b", "rollout", "status", "deployment/db", "--timeout=53s"]);
  assert.equal(c.map((a) => a[a.length - 1]), ["--timeout=53s", "--timeout=46s", "--timeout=39s"]);
  assert.equal(r.value.map((x) => [x.address, x.ready]), [
    ["k8s.deployment.db", true],
    ["k8s.deployment.web", true],
    ["k8s.deployment.worker", false],
  ]);
  assert.is(r.diags[0]!.address, "k8s.deployment.worker");
  assert.match(r.diags[0]!.detail!, "timed out waiting");
  const agent = plan("agent-persist");
  const a = standIn();
  await waitReady(a.call, agent.objects, 30);
  assert.equal(a.calls()[0]!.argv.slice(4), ["wait", "--for=condition=Ready", "pod/agent", "--timeout=30s"]);
});

test(`every call is under a timeout: a hung kubectl is killed ${STANDIN}`, async () => {
  const { call } = standIn([{ match: ["get"], sleepMs: 10_000, stdout: "{}" }], 500);
  const started = Date.now();
  const r = await listOwned(call, { instanceId: "x-1" }, 500);
  assert.ok(Date.now() - started < 5000, "returned soon after the timeout");
  assert.is(r.diags[0]!.summary, "kubectl get failed");
  assert.match(r.diags[0]!.detail!, "did not finish in time");
});

test(`a missing kubectl is an error, not a crash ${STANDIN}`, async () => {
  const run = processRunner({ bin: "/nonexistent/kubectl" });
  const r = await listOwned({ run, context: "kind-kind" }, { instanceId: "x-1" });
  assert.is(r.diags[0]!.summary, "kubectl get failed");
  assert.match(r.diags[0]!.detail!, "ENOENT");
});

/** What the drivers' runner (over a target) sends: `kubectl` plus the argv, env and stdin passed through. */
let targetArgv: string[] = [];
const NAMESPACE_YAML = "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n";
test(`the drivers' runner runs kubectl on the target's PATH with the call's stdin, and reports a missing kubectl ${STANDIN}`, async () => {
  const seen: { argv: string[]; opts: unknown }[] = [];
  const target = {
    run: async (argv: string[], opts?: unknown) => {
      seen.push({ argv, opts });
      return argv[0] === "kubectl" ? { exitCode: 0, stdout: "namespace/x\n", stderr: "", timedOut: false, notFound: false } : { exitCode: 127, stdout: "", stderr: "", timedOut: false, notFound: true };
    },
  };
  const run = targetRunner(target, { PATH: "/stand-in" });
  const r = await applyManifests({ run, context: "dead" }, [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "x" } }]);
  assert.equal(r, { value: ["namespace/x"], diags: [] });
  targetArgv = seen[0]!.argv.slice(1);
  assert.is(seen[0]!.argv[0], "kubectl");
  assert.equal(seen[0]!.opts, { env: { PATH: "/stand-in" }, timeoutMs: 120_000, input: NAMESPACE_YAML });
  const missing = await listOwned({ run: targetRunner(target, {}, "no-such-kubectl"), context: "dead" }, { instanceId: "x-1" });
  assert.match(missing.diags[0]!.detail!, "not installed or not on PATH");
});

const HAVE_KUBECTL = spawnSync("kubectl", ["version", "--client"], { timeout: 10_000 }).status === 0;
if (!HAVE_KUBECTL) console.warn("\n!!! SKIPPING the real-kubectl flag check: no kubectl on PATH (apt-get install kubernetes-client) !!!\n");
const flagTest = HAVE_KUBECTL ? test : test.skip;

flagTest("the real kubectl client accepts every argv sbx builds (Debian kubectl, a kubeconfig whose server refuses: flags only)", async () => {
  const argvs: { argv: string[]; input: string }[] = [];
  const p = plan("compose-three-services");
  const recording: KubectlRunner = async (argv, opts) => {
    argvs.push({ argv: [...argv], input: opts?.input ?? "" });
    return { exitCode: 0, stdout: argv.includes("get") ? liveList(p) : "", stderr: "", timedOut: false };
  };
  const call = { run: recording, context: "dead" };
  await applyManifests(call, applied(p));
  await listOwned(call, { instanceId: "shop-5e6f7a8b" });
  await deleteOwned(call, { instanceId: "shop-5e6f7a8b", namespace: p.namespace }, 5);
  await deleteOwned(call, { instanceId: "team-api-77aa88bb", namespace: plan("compose-shared-namespace").namespace }, 5);
  await deleteObjects(call, [{ apiVersion: "apps/v1", kind: "Deployment", name: "old", namespace: "ns", labels: {}, object: {} }], 5);
  await waitReady(call, [...p.objects, ...plan("agent-persist").objects], 5);
  await deleteObjects(call, [{ apiVersion: "v1", kind: "Namespace", name: "sbx-x", labels: {}, object: {} }], 5);
  await restartRollout(call, "ns", "web");
  argvs.push({ argv: logsArgv("dead", "ns", "deployment/web", { tail: 10, follow: false }), input: "" }, { argv: targetArgv, input: NAMESPACE_YAML });
  assert.equal([...new Set(argvs.map((a) => a.argv[2]))], ["apply", "get", "delete", "--namespace"]);
  const dir = tmp("sbx-kubeconfig-");
  const kubeconfig = path.join(dir, "config");
  fs.writeFileSync(
    kubeconfig,
    "apiVersion: v1\nkind: Config\nclusters:\n- name: dead\n  cluster: {server: \"https://127.0.0.1:1\"}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: dead\n  context: {cluster: dead, user: u}\ncurrent-context: dead\n",
  );
  for (const { argv, input } of argvs) {
    const r = spawnSync("kubectl", argv, { input, encoding: "utf8", timeout: 30_000, env: { ...process.env, KUBECONFIG: kubeconfig } });
    const out = `${r.stderr}${r.stdout}`;
    assert.not.match(out, /unknown (flag|shorthand|command)|invalid argument|flag needs an argument|required flag|Usage:/, `kubectl ${argv.join(" ")}\n${out}`);
    assert.match(out, /127\.0\.0\.1:1/, `kubectl ${argv.join(" ")} got as far as the server\n${out}`);
  }
});

test.run();
