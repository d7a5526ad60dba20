// The kubernetes backend through the CLI as a user runs it: validate, plan, compile --out,
// apply, status, drift, destroy, and destroy after state loss. kubectl is
// tests/fixtures/fake-kubectl on PATH: a recording stand-in (it keeps what was applied in a
// JSON file, so lists and deletes answer as a server would), not a cluster: no API server can
// run here. The live test (tests/integration/kubernetes-live.test.ts) runs the same lifecycle
// against a real cluster when SBX_K8S_CONTEXT names one.

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseAllDocuments } from "yaml";
import { makeRepo, newHome, readRegistry, ROOT, sbx, tmpdir, walk, type RunResult } from "../helpers/sbx.js";

const STANDIN = "(recording stand-in for kubectl, no API server here)";
const FAKE = path.join(ROOT, "tests", "fixtures", "fake-kubectl.mjs");
const CANARY = `CANARY-k8s-e2e-${randomBytes(4).toString("hex")}`;
const CANARY_B64 = Buffer.from(CANARY).toString("base64");
const SELECTOR = (id: string) => `dev.sbx.instance=${id},app.kubernetes.io/managed-by=sbx`;
const APPLY = ["--context", "kind-sbx", "apply", "--server-side", "--field-manager=sbx", "--request-timeout=30s", "-o", "name", "-f", "-"];

interface Call {
  argv: string[];
  stdin: string;
}

type Obj = { kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: unknown };

/** A directory on PATH whose `kubectl` is the recording stand-in, with its record and store. */
function standIn(): { env: NodeJS.ProcessEnv; calls: () => Call[]; clear: () => void; store: () => Obj[]; seed: (o: Obj[]) => void; dir: string } {
  const bin = tmpdir("sbx-kubectl-bin-");
  const dir = tmpdir("sbx-kubectl-rec-");
  fs.writeFileSync(path.join(bin, "kubectl"), `#!/bin/sh\n# recording stand-in for kubectl (no API server here)\nexec "${process.execPath}" "${FAKE}" "$@"\n`, { mode: 0o755 });
  const rec = path.join(dir, "calls.jsonl");
  const storeFile = path.join(dir, "store.json");
  return {
    dir,
    env: { PATH: `${bin}:${process.env.PATH}`, FAKE_KUBECTL_DIR: dir, FAKE_KUBECTL_STORE: "1", SBX_E2E_TOKEN: CANARY },
    calls: () => (fs.existsSync(rec) ? fs.readFileSync(rec, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Call) : []),
    clear: () => fs.rmSync(rec, { force: true }),
    store: () => (fs.existsSync(storeFile) ? (JSON.parse(fs.readFileSync(storeFile, "utf8")) as Obj[]) : []),
    seed: (o) => fs.writeFileSync(storeFile, JSON.stringify([...(fs.existsSync(storeFile) ? (JSON.parse(fs.readFileSync(storeFile, "utf8")) as Obj[]) : []), ...o])),
  };
}

const COMPOSE = `services:
  web:
    image: busybox:1.36
    command: ["httpd", "-f", "-p", "8080"]
    ports:
      - "\${WEB_PORT:-8080}:8080"
    environment:
      TOKEN_URL: https://u:\${API_TOKEN}@example.invalid/
    volumes:
      - data:/data
volumes:
  data: {}
`;

/** A compose project placed on a cluster by its profile alone (no backend named anywhere). */
function composeRepo(extra: Record<string, string> = {}): string {
  return makeRepo({
    "infra.toml": `profile = "cluster"\n\n[project]\nname = "kshop"\n\n[sandbox.ports]\nWEB_PORT = { base = 18080, stride = 10 }\n\n[sandbox.env]\nGREETING = "hello"\n\n[sandbox.secrets]\nAPI_TOKEN = "$SBX_E2E_TOKEN"\n`,
    "profiles/cluster.toml": `id = "cluster"\nversion = 1\nplacement = "k8s://kind-sbx"\n\n[defaults.agent.defaults]\nmemory = 1024\nvcpus = 2\npersist = true\n`,
    "docker-compose.yml": COMPOSE,
    ...extra,
  });
}

function instanceOf(home: string): string {
  return Object.values(readRegistry(home).slots)[0]!.instance;
}

function ok(r: RunResult, what: string): void {
  assert.is(r.code, 0, `${what}\n${r.stdout}\n${r.stderr}`);
  assert.not.match(r.stderr, "internal error");
}

/** Every text a user or a later sbx could see: output, host state, compiled artefacts, the stand-in's argv. */
function assertNoCanary(texts: { where: string; text: string }[]): void {
  for (const { where, text } of texts) {
    assert.not.ok(text.includes(CANARY), `the secret value is in ${where}`);
    assert.not.ok(text.includes(CANARY_B64), `the secret value (base64) is in ${where}`);
  }
}

test(`compose on a cluster through the CLI: validate, plan, compile --out, apply, status, drift, destroy only ours; exact kubectl calls ${STANDIN}`, async () => {
  const repo = composeRepo();
  const home = newHome();
  const k = standIn();
  const run = (args: string[]) => sbx(args, { cwd: repo, home, env: k.env, timeoutMs: 90_000 });
  const outputs: { where: string; text: string }[] = [];
  const keep = (name: string, r: RunResult) => (outputs.push({ where: `${name} stdout`, text: r.stdout }, { where: `${name} stderr`, text: r.stderr }), r);

  const v = keep("validate", await run(["validate"]));
  ok(v, "validate");
  const plan = keep("plan", await run(["plan"]));
  ok(plan, "plan");
  assert.match(plan.stdout, "backend kubernetes");
  for (const a of ["k8s.namespace", "k8s.configmap", "k8s.secret", "k8s.pvc.data", "k8s.service.web", "k8s.deployment.web", "k8s.ready"]) assert.match(plan.stdout, `# ${a} will be created`);
  assert.match(plan.stdout, 'resource k8s.deployment "web" {');
  assert.match(plan.stdout, "stringData   = (sensitive value)");
  assert.match(plan.stdout, "Plan: 9 to add, 0 to change, 0 to replace, 0 to destroy.");
  const json = keep("plan --json", await run(["plan", "--json"]));
  ok(json, "plan --json");
  const fp = (JSON.parse(json.stdout) as { secret_fingerprints: Record<string, string> }).secret_fingerprints;
  assert.equal(Object.keys(fp), ["API_TOKEN"], "a saved plan goes stale when the value rotates");
  assert.equal(k.calls(), [], "planning a first apply asks the cluster nothing");

  const out = tmpdir("sbx-k8s-out-");
  const compiled = keep("compile --out", await run(["compile", "--out", out]));
  ok(compiled, "compile --out");
  const manifests = fs.readFileSync(path.join(out, "kubernetes.yaml"), "utf8");
  outputs.push({ where: "kubernetes.yaml", text: manifests }, { where: "compiled.json", text: fs.readFileSync(path.join(out, "compiled.json"), "utf8") });
  const docs = parseAllDocuments(manifests).map((d) => d.toJS() as Obj);
  assert.equal(docs.map((d) => d.kind), ["Namespace", "ConfigMap", "Secret", "PersistentVolumeClaim", "Service", "Deployment"]);
  assert.equal(docs[2]!.stringData, { API_TOKEN: "(sensitive value, set at apply)" });

  const up = keep("apply", await run(["apply", "--auto-approve"]));
  ok(up, "apply");
  assert.match(up.stdout, "Readiness gate: PASSED");
  assert.match(up.stdout, "Apply complete! Resources: 9 added, 0 changed, 0 replaced, 0 destroyed.");
  const id = instanceOf(home);
  const ns = `sbx-${id}`;
  const applied = k.calls();
  // Six server-side applies, one object each, then the readiness gate's rollout status.
  assert.equal(applied.map((c) => c.argv), [...Array(6).fill(APPLY), ["--context", "kind-sbx", "--namespace", ns, "rollout", "status", "deployment/web", "--timeout=180s"]]);
  const kinds = applied.slice(0, 6).map((c) => parseAllDocuments(c.stdin).map((d) => (d.toJS() as Obj).kind));
  assert.ok(kinds.every((x) => x.length === 1), "one object per apply");
  assert.is(kinds[0]![0], "Namespace", "the namespace first");
  assert.is(kinds[5]![0], "Deployment", "the workload after what it reads");
  assert.equal(kinds.map((x) => x[0]).sort(), ["ConfigMap", "Deployment", "Namespace", "PersistentVolumeClaim", "Secret", "Service"]);
  for (const c of applied) {
    const docsIn = parseAllDocuments(c.stdin).map((d) => d.toJS() as Obj);
    assert.ok(docsIn.every((d) => d.metadata.labels?.["dev.sbx.instance"] === id && d.metadata.labels?.["app.kubernetes.io/managed-by"] === "sbx"), "every object is labelled with the instance");
    const isSecret = docsIn.some((d) => d.kind === "Secret");
    // The value travels once: base64 in the stdin of the apply that fills the Secret.
    assert.is(c.stdin.includes(CANARY_B64), isSecret, `secret value in the stdin of ${docsIn.map((d) => d.kind).join(",") || c.argv.join(" ")}`);
    assert.not.ok(c.stdin.includes(CANARY), "never in plain text");
  }
  outputs.push({ where: "kubectl argv", text: applied.map((c) => c.argv.join(" ")).join("\n") });

  k.clear();
  const st = keep("status", await run(["status"]));
  ok(st, "status");
  assert.match(st.stdout, /k8s\.deployment\.web\s+running\s+1\/1 ready/);
  assert.match(st.stdout, /k8s\.secret\s+ok/);
  const again = keep("plan again", await run(["plan", "--detailed-exitcode"]));
  assert.is(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, "No changes.");
  const reads = k.calls().map((c) => c.argv);
  const list = ["--context", "kind-sbx", "get", "namespaces,configmaps,secrets,persistentvolumeclaims,services,deployments.apps,pods", "-l", SELECTOR(id), "--all-namespaces", "--request-timeout=30s", "-o", "json"];
  // status: one listing shared by every resource; plan: one to refresh (what carries our labels
  // but state does not list is looked for only when a port of the slot is busy and state cannot explain it).
  assert.equal(reads, [list, list], "status and plan only list by owner label");

  // Drift comes from the live objects: someone scaled and re-imaged the Deployment.
  const store = k.store();
  const dep = store.find((o) => o.kind === "Deployment")! as Obj & { spec: { replicas: number; template: { spec: { containers: { image: string }[] } } } };
  dep.spec.replicas = 3;
  dep.spec.template.spec.containers[0]!.image = "busybox:edited";
  fs.writeFileSync(path.join(k.dir, "store.json"), JSON.stringify(store));
  const drift = keep("plan (drift)", await run(["plan", "--detailed-exitcode"]));
  assert.is(drift.code, 2, drift.stdout + drift.stderr);
  assert.match(drift.stdout, "# (drift: Deployment web changed outside sbx: spec.replicas, spec.template.spec.containers[web].image)");
  assert.match(drift.stdout, /"spec\.replicas"\s+= 3 -> 1/);
  assert.match(drift.stdout, /"spec\.template\.spec\.containers\[web\]\.image" = "busybox:edited" -> "busybox:1\.36"/);
  const fixed = keep("apply (drift)", await run(["apply", "--auto-approve"]));
  ok(fixed, "apply repairs drift");
  assert.is((k.store().find((o) => o.kind === "Deployment") as unknown as typeof dep).spec.replicas, 1);

  // Neighbours: another sandbox's object, and one with our instance label that sbx did not make.
  k.seed([
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "sbx-env", namespace: "default", labels: { "dev.sbx.instance": "other-0000", "app.kubernetes.io/managed-by": "sbx" } } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "copied-labels", namespace: "default", labels: { "dev.sbx.instance": id } } },
  ]);
  k.clear();
  const down = keep("destroy", await run(["destroy", "--auto-approve"]));
  ok(down, "destroy");
  assert.match(down.stdout, "Destroy complete! Resources: 9 destroyed.");
  const del = (kindName: string) => ["--context", "kind-sbx", "--namespace", ns, "delete", kindName, "--ignore-not-found", "--wait=true", "--timeout=120s"];
  const calls = k.calls().map((c) => c.argv);
  assert.ok(calls.filter((c) => c.includes("get")).every((c) => JSON.stringify(c) === JSON.stringify(list)), "destroy looks only by owner label");
  const deletes = calls.filter((c) => c.includes("delete"));
  assert.equal(deletes.slice(0, -1).sort(), [del("configmap/sbx-env"), del("deployment.apps/web"), del("persistentvolumeclaim/data"), del("secret/sbx-secrets"), del("service/web")].sort());
  assert.equal(deletes[deletes.length - 1], ["--context", "kind-sbx", "delete", "namespace/" + ns, "--ignore-not-found", "--wait=true", "--timeout=120s"], "the namespace last");
  assert.is(calls.length, deletes.length + calls.filter((c) => c.includes("get")).length, "nothing but lists and deletes");
  assert.equal(k.store().map((o) => `${o.metadata.namespace}/${o.metadata.name}`).sort(), ["default/copied-labels", "default/sbx-env"], "only ours is gone");

  const hostFiles = walk(home).map((f) => ({ where: f, text: fs.readFileSync(f, "utf8") }));
  assertNoCanary([...outputs, ...hostFiles, ...walk(out).map((f) => ({ where: f, text: fs.readFileSync(f, "utf8") }))]);
  assertNoCanary(k.calls().map((c) => ({ where: `kubectl ${c.argv.join(" ")}`, text: `${c.argv.join(" ")}\n${c.stdin}` })));
});

test(`agent in a shared namespace: destroy after state loss finds its objects by owner label and leaves the namespace and a neighbour ${STANDIN}`, async () => {
  const repo = makeRepo({
    "infra.toml": `[project]\nname = "kagent"\n\n[sandbox.secrets]\nAPI_TOKEN = "$SBX_E2E_TOKEN"\n`,
    "agent.toml": `[defaults]\nmemory = 1024\nvcpus = 1\npersist = true\n\n[backend]\ntype = "kubernetes"\n\n[backend.kubernetes]\ncontext = "kind-sbx"\nnamespace = "team"\nimage = "busybox:1.36"\ncommand = ["sleep", "3600"]\n`,
  });
  const home = newHome();
  const k = standIn();
  k.seed([
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "team" } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "neighbour", namespace: "team" } },
  ]);
  const run = (args: string[]) => sbx(args, { cwd: repo, home, env: k.env, timeoutMs: 90_000 });
  const up = await run(["apply", "--auto-approve"]);
  ok(up, "apply");
  const id = instanceOf(home);
  const applied = k.calls();
  assert.equal(applied.slice(0, -1).map((c) => c.argv), Array(4).fill(APPLY), "ConfigMap, Secret, PVC, Pod; never the shared namespace");
  assert.not.ok(applied.some((c) => c.stdin.includes("kind: Namespace")));
  assert.equal(applied[applied.length - 1]!.argv, ["--context", "kind-sbx", "--namespace", "team", "wait", "--for=condition=Ready", `pod/${id}-agent`, "--timeout=180s"]);

  fs.rmSync(path.join(home, "instances"), { recursive: true, force: true }); // state lost
  k.clear();
  const shown = await run(["plan", "--destroy"]);
  ok(shown, "plan --destroy");
  assert.match(shown.stdout, "# k8s.pod.agent will be destroyed (found by owner label, not in state)");
  k.clear();
  const down = await run(["destroy", "--auto-approve"]);
  ok(down, "destroy after state loss");
  assert.match(down.stdout, "Destroy complete! Resources: 4 destroyed.");
  const calls = k.calls().map((c) => c.argv);
  const get = ["--context", "kind-sbx", "get", "configmaps,secrets,persistentvolumeclaims,services,deployments.apps,pods", "-l", SELECTOR(id), "--namespace", "team", "--request-timeout=30s", "-o", "json"];
  assert.ok(calls.filter((c) => c.includes("get")).every((c) => JSON.stringify(c) === JSON.stringify(get)), "looks only inside the shared namespace, only by owner label");
  const del = (x: string) => ["--context", "kind-sbx", "--namespace", "team", "delete", x, "--ignore-not-found", "--wait=true", "--timeout=120s"];
  assert.equal(calls.filter((c) => !c.includes("get")).sort(), [del(`configmap/${id}-sbx-env`), del(`persistentvolumeclaim/${id}-workspace`), del(`pod/${id}-agent`), del(`secret/${id}-sbx-secrets`)].sort());
  assert.equal(k.store().map((o) => `${o.kind}/${o.metadata.name}`).sort(), ["ConfigMap/neighbour", "Namespace/team"], "the shared namespace and its neighbour stay");
  assert.equal(readRegistry(home).slots, {});
});

test(`validate reports what plan reports: a manifest the Kubernetes API schema refuses, before any kubectl call ${STANDIN}`, async () => {
  const repo = composeRepo({ "docker-compose.yml": COMPOSE.replace("    command:", "    deploy:\n      replicas: 1.5\n    command:") });
  const home = newHome();
  const k = standIn();
  for (const args of [["validate"], ["plan"]]) {
    const r = await sbx(args, { cwd: repo, home, env: k.env, timeoutMs: 60_000 });
    assert.is(r.code, 1, `${args[0]}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, "Invalid Kubernetes manifest Deployment/web");
    assert.match(r.stderr, "`spec.replicas' must be integer");
    assert.not.match(r.stderr, "internal error");
  }
  assert.equal(k.calls(), []);
});

test("placement mistakes are located errors, never a local run: another backend, the old spelling, no context", async () => {
  const cases: { files: Record<string, string>; message: string; at: string }[] = [
    {
      files: { "infra.toml": `profile = "cluster"\n[project]\nname = "p"\n[sandbox]\nbackend = "compose"\n`, "profiles/cluster.toml": `id = "cluster"\nversion = 1\nplacement = "k8s://kind-sbx"\n`, "docker-compose.yml": COMPOSE },
      message: "Placement k8s:// does not fit the compose backend",
      at: "profiles/cluster.toml:3:",
    },
    {
      files: { "infra.toml": `profile = "cluster"\n[project]\nname = "p"\n`, "profiles/cluster.toml": `id = "cluster"\nversion = 1\nplacement = "kube:kind-sbx"\n`, "docker-compose.yml": COMPOSE },
      message: "Replace the value with `k8s://kind-sbx'",
      at: "profiles/cluster.toml:3:",
    },
    { files: { "infra.toml": `[project]\nname = "p"\n[sandbox]\nbackend = "kubernetes"\n`, "docker-compose.yml": COMPOSE }, message: "No Kubernetes context", at: "infra.toml:4:" },
  ];
  for (const c of cases) {
    const r = await sbx(["plan"], { cwd: makeRepo(c.files), home: newHome(), env: standIn().env });
    assert.is(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, c.message);
    assert.match(r.stderr, c.at);
    assert.not.match(r.stderr, "internal error");
  }
});

test("no kubectl on PATH: apply fails with how to install it, not a stack trace", async () => {
  const bin = tmpdir("sbx-nokubectl-");
  fs.symlinkSync(execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim(), path.join(bin, "git"));
  const home = newHome();
  const r = await sbx(["apply", "--auto-approve"], { cwd: composeRepo(), home, env: { PATH: bin, SBX_E2E_TOKEN: CANARY } });
  assert.is(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, "kubectl is not installed or not on PATH");
  assert.not.match(r.stderr, "internal error");
});

test.run();
