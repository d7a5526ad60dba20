// The kubernetes backend against a real cluster: runs when SBX_K8S_CONTEXT names a reachable
// kubeconfig context (kind, k3d, ...) and skips loudly otherwise (SBX_REQUIRE_K8S=1 turns the
// skip into a failure). See docs/kubernetes.md for running it on kind or k3d.

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { observeDrift } from "../../src/apply/kubernetes/drift.js";
import { applyManifests, deleteOwned, listOwned, waitReady, type KubectlCall } from "../../src/apply/kubernetes/kubectl.js";
import { processRunner } from "../../src/apply/kubernetes/runner.js";
import { fillSecret } from "../../src/apply/kubernetes/secret-data.js";
import { buildKubePlan } from "../../src/compile/kubernetes/plan.js";
import type { KubeInput, KubePlan, Manifest } from "../../src/compile/kubernetes/types.js";
import { validateManifests } from "../../src/compile/kubernetes/validate.js";
import { makeRepo, newHome, readRegistry, sbx, walk } from "../helpers/sbx.js";

const CONTEXT = process.env.SBX_K8S_CONTEXT;
const IMAGE = process.env.SBX_K8S_IMAGE ?? "busybox:1.36";
const CANARY = `live-canary-${randomBytes(4).toString("hex")}`;

function kubectl(args: string[], timeoutMs = 30_000): string {
  return execFileSync("kubectl", ["--context", CONTEXT!, ...args], { encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
}

/** Why the live test cannot run, or undefined when the cluster answers. */
function unavailable(): string | undefined {
  if (!CONTEXT) return "SBX_K8S_CONTEXT is not set";
  try {
    kubectl(["version", "-o", "json", "--request-timeout=5s"], 15_000);
    return undefined;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return `context \`${CONTEXT}' is not reachable: ${(err.stderr || err.message).trim().split("\n").pop()}`;
  }
}

const why = unavailable();
if (why) {
  if (process.env.SBX_REQUIRE_K8S === "1") throw new Error(`SBX_REQUIRE_K8S=1 but ${why}`);
  console.warn(`\n!!! SKIPPING the live Kubernetes test: ${why}. Run it on kind or k3d: see docs/kubernetes.md !!!\n`);
  test.skip("live Kubernetes: apply, readiness, secrets, drift, destroy only ours (needs SBX_K8S_CONTEXT)", () => undefined);
  test.skip("live Kubernetes through the CLI: plan, apply, status, drift, state loss, destroy (needs SBX_K8S_CONTEXT)", () => undefined);
} else {
  const call: KubectlCall = { run: processRunner({ defaultTimeoutMs: 240_000 }), context: CONTEXT!, redact: (t) => t.split(CANARY).join("********") };
  const id = `sbx-live-${randomBytes(4).toString("hex")}`;

  const filled = (p: KubePlan): Manifest[] =>
    p.objects.map((o) => {
      if (o.manifest.kind !== "Secret") return o.manifest;
      const f = fillSecret(o.manifest, new Map([["TOKEN", CANARY]]));
      assert.ok("manifest" in f);
      return (f as { manifest: Manifest }).manifest;
    });

  test(`live Kubernetes (${CONTEXT}): compose service in its own namespace: apply, ready, secret expanded, no drift, destroy`, async () => {
    const input: KubeInput = {
      instanceId: id,
      project: "sbx-live",
      slot: 0,
      ports: { WEB_PORT: 18080 },
      target: { context: CONTEXT! },
      persist: true,
      env: { GREETING: "hello" },
      secretNames: ["TOKEN"],
      workload: {
        kind: "compose",
        services: [
          {
            name: "web",
            image: IMAGE,
            build: false,
            command: ["httpd", "-f", "-p", "8080"],
            environment: [{ name: "URL", value: "https://user:${TOKEN}@example.invalid/${GREETING}" }],
            ports: [{ container: 8080, protocol: "TCP", variable: "WEB_PORT" }],
            volumes: [{ type: "named", source: "data", target: "/data", readOnly: false }],
            healthcheck: { exec: ["/bin/sh", "-c", "wget -q -O- http://127.0.0.1:8080/ >/dev/null 2>&1 || test -d /data"], intervalSeconds: 2 },
            memoryMiB: 64,
            millicores: 100,
          },
        ],
      },
    };
    const r = buildKubePlan(input);
    assert.ok(r.value, JSON.stringify(r.diags));
    const plan = r.value!;
    assert.equal(await validateManifests(plan.objects), []);
    try {
      const a = await applyManifests(call, filled(plan));
      assert.equal(a.diags, []);
      const ready = await waitReady(call, plan.objects, 180);
      assert.equal(ready.diags, [], JSON.stringify(ready.value));
      // The kubelet expanded $(TOKEN) from the Secret: the value reached the container, not the manifest.
      const url = kubectl(["--namespace", plan.namespace.name, "exec", "deploy/web", "--", "sh", "-c", "echo $URL"]).trim();
      assert.is(url, `https://user:${CANARY}@example.invalid/hello`);
      const live = await listOwned(call, { instanceId: id, namespace: plan.namespace });
      assert.equal(live.diags, []);
      assert.equal(observeDrift(plan.objects, live.value), { drifted: [], unexpected: [] }, "server defaults are not drift");
      // Re-apply is a no-op for drift; a change made behind sbx's back is drift.
      assert.equal((await applyManifests(call, filled(plan))).diags, []);
      kubectl(["--namespace", plan.namespace.name, "scale", "deployment/web", "--replicas=2"]);
      const after = observeDrift(plan.objects, (await listOwned(call, { instanceId: id, namespace: plan.namespace })).value);
      assert.equal(after.drifted.map((d) => d.fields.map((f) => f.path)), [["spec.replicas"]]);
    } finally {
      const d = await deleteOwned(call, { instanceId: id, namespace: plan.namespace }, 180);
      assert.equal(d.diags, []);
    }
    assert.equal((await listOwned(call, { instanceId: id })).value, [], "nothing left in any namespace");
    assert.throws(() => kubectl(["get", "namespace", plan.namespace.name]), "its own namespace is gone");
  });

  test(`live Kubernetes (${CONTEXT}): agent Pod in a shared namespace; destroy keeps the namespace and a neighbour`, async () => {
    const shared = `sbx-live-shared-${randomBytes(3).toString("hex")}`;
    const neighbour = `${id}-neighbour`;
    const input: KubeInput = {
      instanceId: `${id}-agent`,
      project: "sbx-live",
      slot: 1,
      ports: {},
      target: { context: CONTEXT!, namespace: shared },
      persist: false,
      memoryMiB: 64,
      workload: { kind: "agent", image: IMAGE, workspace: "/workspace", command: ["sleep", "3600"] },
    };
    const plan = buildKubePlan(input).value!;
    assert.equal(await validateManifests(plan.objects), []);
    // A shared namespace is someone else's: sbx neither creates nor deletes it.
    const missing = await applyManifests(call, filled(plan));
    assert.match(missing.diags[0]?.detail ?? "", `kubectl create namespace ${shared}`);
    kubectl(["create", "namespace", shared]);
    try {
      assert.equal((await applyManifests(call, filled(plan))).diags, []);
      kubectl(["--namespace", shared, "create", "configmap", neighbour, "--from-literal=k=v"]);
      assert.equal((await waitReady(call, plan.objects, 180)).diags, []);
      const d = await deleteOwned(call, { instanceId: input.instanceId, namespace: plan.namespace }, 180);
      assert.equal(d.diags, []);
      assert.ok(d.value.some((o) => o.kind === "Pod"));
      assert.not.ok(d.value.some((o) => o.kind === "Namespace"));
      assert.match(kubectl(["get", "namespace", shared, "-o", "name"]), `namespace/${shared}`);
      assert.match(kubectl(["--namespace", shared, "get", "configmap", neighbour, "-o", "name"]), neighbour);
    } finally {
      // The test created the shared namespace; the test removes it.
      kubectl(["delete", "namespace", shared, "--ignore-not-found", "--wait=true", "--timeout=120s"], 150_000);
    }
  });

  test(`live Kubernetes (${CONTEXT}) through the CLI: plan, apply, status, no drift, kubectl scale is drift, state loss, destroy by owner label`, async () => {
    const compose = `services:\n  web:\n    image: ${IMAGE}\n    command: ["httpd", "-f", "-p", "8080"]\n    ports:\n      - "\${WEB_PORT:-8080}:8080"\n    environment:\n      URL: https://user:\${TOKEN}@example.invalid/\n    volumes:\n      - data:/data\nvolumes:\n  data: {}\n`;
    const repo = makeRepo({
      "infra.toml": `profile = "cluster"\n\n[project]\nname = "sbx-live-cli"\n\n[sandbox.ports]\nWEB_PORT = { base = 18080, stride = 10 }\n\n[sandbox.secrets]\nTOKEN = "$SBX_LIVE_TOKEN"\n`,
      "profiles/cluster.toml": `id = "cluster"\nversion = 1\nplacement = "k8s://${CONTEXT!.replace(/%/g, "%25").replace(/\//g, "%2F")}"\n\n[defaults.agent.defaults]\nmemory = 1024\nvcpus = 1\npersist = true\n`,
      "docker-compose.yml": compose,
    });
    const home = newHome();
    const env = { SBX_LIVE_TOKEN: CANARY };
    const run = (args: string[]) => sbx(args, { cwd: repo, home, env, timeoutMs: 400_000 });
    const outputs: string[] = [];
    const ok = async (args: string[], code = 0) => {
      const r = await run(args);
      outputs.push(r.stdout, r.stderr);
      assert.is(r.code, code, `sbx ${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
      return r;
    };
    await ok(["validate"]);
    await ok(["plan"]);
    let ns = "";
    try {
      await ok(["apply", "--auto-approve"]);
      const id = Object.values(readRegistry(home).slots)[0]!.instance;
      ns = `sbx-${id}`;
      assert.is(kubectl(["--namespace", ns, "exec", "deploy/web", "--", "sh", "-c", "echo $URL"]).trim(), `https://user:${CANARY}@example.invalid/`);
      assert.match((await ok(["status"])).stdout, /k8s\.deployment\.web\s+running\s+1\/1 ready/);
      await ok(["plan", "--detailed-exitcode"], 0);
      kubectl(["--namespace", ns, "scale", "deployment/web", "--replicas=2"]);
      assert.match((await ok(["plan", "--detailed-exitcode"], 2)).stdout, /"spec\.replicas"\s+= 2 -> 1/);
      await ok(["apply", "--auto-approve"]);
      fs.rmSync(path.join(home, "instances"), { recursive: true, force: true }); // state lost
      assert.match((await ok(["destroy", "--auto-approve"])).stdout, "found by owner label");
      assert.throws(() => kubectl(["get", "namespace", ns]), "its own namespace is gone");
      assert.equal((await listOwned(call, { instanceId: id })).value, [], "nothing of it left in any namespace");
      for (const f of walk(home)) outputs.push(fs.readFileSync(f, "utf8"));
      const b64 = Buffer.from(CANARY).toString("base64");
      assert.not.ok(outputs.some((t) => t.includes(CANARY) || t.includes(b64)), "the secret value is in no output and no host state");
    } finally {
      if (ns) kubectl(["delete", "namespace", ns, "--ignore-not-found", "--wait=true", "--timeout=120s"], 150_000);
    }
  });
}

test.run();
