// Kubernetes manifests: golden files for a matrix of compose and agent inputs, all checked
// against the Kubernetes API schemas (kubernetes-models); names, labels, resources, secrets.
// UPDATE_GOLDEN=1 rewrites the goldens (review the diff).

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseAllDocuments } from "yaml";
import { fillSecret } from "../../src/apply/kubernetes/secret-data.js";
import { readComposeServices } from "../../src/compile/kubernetes/compose-input.js";
import { expandCompose } from "../../src/compile/kubernetes/compose-values.js";
import { LABEL_INSTANCE, LABEL_MANAGED_BY } from "../../src/compile/kubernetes/labels.js";
import { checkName, cpuQuantity, deriveName, isLabelValue, labelValue, memoryQuantity, parseQuantity } from "../../src/compile/kubernetes/names.js";
import { SECRET_PLACEHOLDER } from "../../src/compile/kubernetes/objects.js";
import { buildKubePlan } from "../../src/compile/kubernetes/plan.js";
import { renderManifests, renderPlanManifests } from "../../src/compile/kubernetes/render.js";
import type { KubeInput, KubePlan, Manifest } from "../../src/compile/kubernetes/types.js";
import { validateManifests } from "../../src/compile/kubernetes/validate.js";
import { CASES_DIR, caseNames, formatDiags, golden, loadCase } from "../helpers/kube-cases.js";

const valid = caseNames().filter((n) => !n.startsWith("err-"));
const invalid = caseNames().filter((n) => n.startsWith("err-"));

function planOf(name: string): { plan: KubePlan; input: KubeInput; text: string } {
  const { input, diags } = loadCase(name);
  const r = buildKubePlan(input);
  assert.ok(r.value, `${name}: ${formatDiags([...diags, ...r.diags])}`);
  return { plan: r.value!, input, text: renderPlanManifests(r.value!).content };
}

const manifest = (p: KubePlan, kind: string, name: string): Manifest => {
  const m = p.objects.find((o) => o.manifest.kind === kind && o.manifest.metadata.name === name)?.manifest;
  assert.ok(m, `${kind}/${name} not in [${p.objects.map((o) => `${o.manifest.kind}/${o.manifest.metadata.name}`).join(", ")}]`);
  return m!;
};
// Narrow access into plain manifests for assertions.
const at = (o: unknown, ...path: (string | number)[]): unknown => path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], o);

test("the fixture matrix covers compose (1 and 3 services, shared namespace) and the agent (persist on and off)", () => {
  for (const n of ["compose-one-service", "compose-three-services", "compose-shared-namespace", "agent-persist", "agent-ephemeral-shared"]) assert.ok(valid.includes(n), n);
  assert.ok(invalid.length >= 5);
});

for (const name of valid) {
  test(`golden manifests: ${name} (and every one passes the Kubernetes API schema)`, async () => {
    const { input, diags } = loadCase(name);
    const r = buildKubePlan(input);
    const all = [...diags, ...r.diags];
    assert.not.ok(all.some((d) => d.severity === "error"), formatDiags(all));
    const text = renderPlanManifests(r.value!).content;
    assert.fixture(text, golden(path.join(CASES_DIR, name, "expected.yaml"), text));
    const dtext = formatDiags(all);
    assert.fixture(dtext, golden(path.join(CASES_DIR, name, "expected.diags.txt"), dtext));
    assert.equal(await validateManifests(r.value!.objects), []);
    // The text is what the objects are: parsing it back gives the same documents.
    const docs = parseAllDocuments(text).map((d) => d.toJS());
    assert.equal(docs, r.value!.objects.map((o) => o.manifest));
    // Same input, same bytes.
    assert.is(renderPlanManifests(buildKubePlan(loadCase(name).input).value!).content, text);
  });
}

for (const name of invalid) {
  test(`invalid input ${name} gives located errors and no plan`, () => {
    const { input, diags } = loadCase(name);
    // A compose file that does not read is reported as such; no plan is attempted.
    const readFailed = diags.some((d) => d.severity === "error");
    const r = readFailed ? { value: undefined, diags: [] } : buildKubePlan(input);
    const all = [...diags, ...r.diags];
    const errors = all.filter((d) => d.severity === "error");
    assert.ok(errors.length > 0, `expected an error for ${name}`);
    for (const e of errors) assert.ok(e.range && e.range.start.line >= 1, `unlocated: ${e.summary}`);
    assert.is(r.value, undefined);
    const dtext = formatDiags(all);
    assert.fixture(dtext, golden(path.join(CASES_DIR, name, "expected.diags.txt"), dtext));
  });
}

test("every name is a valid Kubernetes name and every object carries the instance labels", () => {
  for (const name of valid) {
    const { plan, input } = planOf(name);
    for (const o of plan.objects) {
      const m = o.manifest;
      const rule = m.kind === "Namespace" ? "dns1123-label" : m.kind === "Service" ? "dns1035-label" : "dns1123-subdomain";
      assert.is(checkName(m.metadata.name, rule), undefined, `${name}: ${m.kind} ${m.metadata.name}`);
      for (const v of Object.values(m.metadata.labels ?? {})) assert.ok(isLabelValue(v), `${name}: label value ${v}`);
      assert.is(m.metadata.labels?.[LABEL_INSTANCE], labelValue(input.instanceId));
      assert.is(m.metadata.labels?.[LABEL_MANAGED_BY], "sbx");
      if (m.kind !== "Namespace") assert.is(m.metadata.namespace, plan.namespace.name);
    }
  }
});

test("own namespace: sbx-<instance>, an object of the plan; shared: not an object of the plan, names prefixed", () => {
  const own = planOf("compose-three-services").plan;
  assert.equal(own.namespace, { name: "sbx-shop-5e6f7a8b", owned: true });
  assert.is(own.objects.find((o) => o.type === "k8s.namespace")!.manifest.metadata.name, "sbx-shop-5e6f7a8b");
  assert.ok(own.objects.some((o) => o.manifest.kind === "Service" && o.manifest.metadata.name === "db"), "compose name resolves as in compose");
  const shared = planOf("compose-shared-namespace").plan;
  assert.equal(shared.namespace, { name: "dev-sandboxes", owned: false });
  assert.not.ok(shared.objects.some((o) => o.manifest.kind === "Namespace"));
  for (const o of shared.objects) assert.ok(o.manifest.metadata.name.startsWith("team-api-77aa88bb-"), o.manifest.metadata.name);
});

test("requests and limits come from memory and vcpus (agent whole, compose split, explicit limits win)", () => {
  const agent = manifest(planOf("agent-persist").plan, "Pod", "agent");
  const res = at(agent, "spec", "containers", 0, "resources");
  assert.equal(res, { limits: { cpu: "4", memory: "8Gi" }, requests: { cpu: "4", memory: "8Gi" } });
  const eph = manifest(planOf("agent-ephemeral-shared").plan, "Pod", "agent-dev-deadbeef-agent");
  assert.equal(at(eph, "spec", "containers", 0, "resources", "limits"), { cpu: "1", memory: "3000Mi" });
  const p = planOf("compose-three-services").plan;
  // web sets 768m / 0.5 itself; worker and db split 4096 MiB and 3 vCPUs.
  assert.equal(at(manifest(p, "Deployment", "web"), "spec", "template", "spec", "containers", 0, "resources", "limits"), { cpu: "500m", memory: "768Mi" });
  for (const svc of ["worker", "db"]) assert.equal(at(manifest(p, "Deployment", svc), "spec", "template", "spec", "containers", 0, "resources", "limits"), { cpu: "1500m", memory: "2Gi" });
});

test("persist = true gives PVCs with the storage class; persist = false gives emptyDir and no PVC", () => {
  const on = planOf("agent-persist").plan;
  const pvc = manifest(on, "PersistentVolumeClaim", "workspace");
  assert.is(at(pvc, "spec", "storageClassName"), "standard");
  assert.equal(at(manifest(on, "Pod", "agent"), "spec", "volumes"), [{ name: "workspace", persistentVolumeClaim: { claimName: "workspace" } }]);
  const off = planOf("agent-ephemeral-shared").plan;
  assert.not.ok(off.objects.some((o) => o.manifest.kind === "PersistentVolumeClaim"));
  assert.equal(at(off.objects.find((o) => o.manifest.kind === "Pod")!.manifest, "spec", "volumes"), [{ name: "workspace", emptyDir: {} }]);
  const compose = planOf("compose-three-services").plan;
  assert.is(at(manifest(compose, "PersistentVolumeClaim", "pgdata"), "spec", "resources", "requests", "storage"), "2Gi");
  assert.is(at(manifest(compose, "PersistentVolumeClaim", "pgdata"), "spec", "storageClassName"), "local-path");
  assert.equal(at(manifest(compose, "Deployment", "db"), "spec", "strategy"), { type: "Recreate" }, "an RWO claim is never rolled");
});

test("ports: one Service per compose service with ports; slot ports become port-forwards", () => {
  const p = planOf("compose-three-services").plan;
  assert.equal(at(manifest(p, "Service", "web"), "spec", "ports"), [
    { name: "tcp-8080", port: 8080, targetPort: 8080, protocol: "TCP" },
    { name: "tcp-8443", port: 8443, targetPort: 8443, protocol: "TCP" },
  ]);
  assert.is(at(manifest(p, "Service", "worker"), "spec", "ports", 0, "protocol"), "UDP");
  assert.equal(p.portForwards, [
    { variable: "WEB_PORT", hostPort: 8083, namespace: "sbx-shop-5e6f7a8b", service: "web", port: 8080 },
    { variable: "WEB_TLS_PORT", hostPort: 8446, namespace: "sbx-shop-5e6f7a8b", service: "web", port: 8443 },
  ]);
});

test("a canary secret value is in no manifest, no rendered text and no plan; only the apply-time Secret has it", () => {
  const canary = "CANARY-k8s-5ecret-9f8e7d";
  for (const name of valid) {
    const { plan, text, input } = planOf(name);
    const planJson = JSON.stringify(plan);
    assert.not.ok(text.includes(canary) || planJson.includes(canary) || planJson.includes(Buffer.from(canary).toString("base64")));
    const secret = plan.objects.find((o) => o.manifest.kind === "Secret");
    if (!secret) continue;
    assert.equal(Object.values(secret.manifest.stringData as Record<string, string>), (input.secretNames ?? []).map(() => SECRET_PLACEHOLDER));
    const values = new Map((input.secretNames ?? []).map((k) => [k, `${canary}-${k}`]));
    const filled = fillSecret(secret.manifest, values);
    assert.ok("manifest" in filled);
    if (!("manifest" in filled)) continue;
    const data = filled.manifest.data as Record<string, string>;
    for (const k of input.secretNames ?? []) assert.is(Buffer.from(data[k]!, "base64").toString("utf8"), `${canary}-${k}`);
    assert.is(filled.manifest.stringData, undefined, "placeholders are gone");
    assert.ok(renderManifests([filled.manifest]).includes(Buffer.from(`${canary}-${input.secretNames![0]}`).toString("base64")), "the canary is detectable where it belongs");
    assert.is(secret.manifest.data, undefined, "the plan's Secret has no data");
  }
});

test("fillSecret refuses to fill a Secret when a value is missing, and names the key", () => {
  const { plan } = planOf("compose-three-services");
  const r = fillSecret(plan.objects.find((o) => o.manifest.kind === "Secret")!.manifest, new Map([["DB_PASSWORD", "x"]]));
  assert.equal(r, { missing: ["STRIPE_KEY"] });
});

test("schema validation reports the manifest and the field (checked against a broken Deployment)", async () => {
  const { plan } = planOf("compose-one-service");
  const dep = structuredClone(plan.objects.find((o) => o.manifest.kind === "Deployment")!);
  const spec = dep.manifest.spec as { selector?: unknown; template: { spec: { containers: { ports: { containerPort: unknown }[] }[] } } };
  spec.template.spec.containers[0]!.ports[0]!.containerPort = "eighty";
  delete spec.selector;
  dep.source = { file: "compose.yml", start: { line: 2, col: 3 } };
  const diags = await validateManifests([dep]);
  assert.is(diags.length, 2, formatDiags(diags));
  assert.ok(diags.every((d) => d.summary === "Invalid Kubernetes manifest Deployment/web" && d.address === "k8s.deployment.web" && d.range?.file === "compose.yml"));
  const details = diags.map((d) => d.detail).join("\n");
  assert.match(details, "`spec.template.spec.containers[0].ports[0].containerPort' must be integer");
  assert.match(details, "`spec.selector' is required");
});

test("names: derived names are valid, stable, and distinct for distinct long inputs", () => {
  assert.is(deriveName("My_Service"), "my-service");
  assert.is(deriveName("1st-worker", "dns1035-label"), "s-1st-worker");
  const long = "a".repeat(80);
  const d1 = deriveName(long);
  const d2 = deriveName(`${long}b`);
  assert.ok(d1.length <= 63 && d2.length <= 63 && d1 !== d2);
  assert.is(checkName(d1, "dns1123-label"), undefined);
  assert.is(checkName("Dev_Sandboxes", "dns1123-label") !== undefined, true);
  assert.is(labelValue("shop-5e6f7a8b"), "shop-5e6f7a8b");
  assert.ok(isLabelValue(labelValue("weird name/with:chars")));
});

test("quantities: written as the API server stores them, compared by amount", () => {
  assert.is(memoryQuantity(2048), "2Gi");
  assert.is(memoryQuantity(1536), "1536Mi");
  assert.is(cpuQuantity(2000), "2");
  assert.is(cpuQuantity(1500), "1500m");
  assert.is(parseQuantity("1Gi"), parseQuantity("1024Mi"));
  assert.is(parseQuantity("500m"), 0.5);
  assert.is(parseQuantity("1e3"), 1000);
  assert.is(parseQuantity("ten"), undefined);
});

test("compose interpolation: defaults, ports, $$ escapes, and secrets only as $(NAME)", () => {
  const scope = { vars: { WEB_PORT: "8083", EMPTY: "" }, secrets: new Set(["TOKEN"]) };
  assert.equal(expandCompose("http://x:${WEB_PORT}/", scope, false), { text: "http://x:8083/", secrets: [], missing: [] });
  assert.is(expandCompose("${EMPTY:-d}|${EMPTY-d}|${NOPE:-z}", scope, false).text, "d||z");
  assert.equal(expandCompose("a=${TOKEN} b=$TOKEN", scope, true), { text: "a=$(TOKEN) b=$(TOKEN)", secrets: ["TOKEN"], missing: [] });
  assert.is(expandCompose("cost $$5 and $(literal)", scope, true).text, "cost $$5 and $$(literal)");
  assert.is(expandCompose("cost $$5", scope, false).text, "cost $5");
  assert.equal(expandCompose("${MISSING}", scope, false).missing, ["MISSING"]);
  assert.match(expandCompose("${MISSING:?set it}", scope, false).problem ?? "", "MISSING is not set: set it");
});

test("compose reader: ports, volumes and healthcheck keep their source lines", () => {
  const text = fs.readFileSync(path.join(CASES_DIR, "compose-three-services", "compose.yml"), "utf8");
  const r = readComposeServices(text, "compose.yml");
  assert.equal(r.diags, []);
  const web = r.value.find((s) => s.name === "web")!;
  assert.equal(web.ports.map((p) => [p.container, p.variable, p.at?.start.line]), [
    [8080, "WEB_PORT", 8],
    [8443, "WEB_TLS_PORT", 9],
  ]);
  assert.equal(web.entrypoint, ["/usr/local/bin/serve"]);
  assert.equal(web.command, ["--listen", "0.0.0.0:8080", "--tls-listen", "0.0.0.0:8443", "--motd", "hello $$(not expanded)"]);
  assert.equal(web.healthcheck, { exec: ["/bin/sh", "-c", "wget -q -O- http://localhost:8080/healthz || exit 1"], intervalSeconds: 10, timeoutSeconds: 3, startPeriodSeconds: 90, retries: 5 });
  const worker = r.value.find((s) => s.name === "worker")!;
  assert.equal(worker.volumes.map((v) => [v.type, v.target]), [
    ["bind", "/srv/app/src"],
    ["anonymous", "/tmp/cache"],
    ["tmpfs", "/scratch"],
  ]);
});
test.run();
