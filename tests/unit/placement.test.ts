// Placement: one spelling per place; the old kube: spelling is a located error naming k8s://.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadConfig, type SourceReader } from "../../src/compile/config.js";
import { formatPlacement, parsePlacement, placementHint } from "../../src/compile/placement.js";
import { resolveKubeTarget } from "../../src/compile/kubernetes/target.js";

const at = { file: "profiles/k.toml", start: { line: 4, col: 13 } };

test("the four kinds of place parse, and format back to the same text", () => {
  const cases: [string, unknown][] = [
    ["local", { kind: "local" }],
    ["ssh://dev@build-box", { kind: "ssh", user: "dev", host: "build-box" }],
    ["ssh://build-box.lan:2222", { kind: "ssh", host: "build-box.lan", port: 2222 }],
    ["ssh://root@[::1]:22", { kind: "ssh", user: "root", host: "[::1]", port: 22 }],
    ["swarm://", { kind: "swarm" }],
    ["swarm://ops@manager-1:2200", { kind: "swarm", manager: { user: "ops", host: "manager-1", port: 2200 } }],
    ["k8s://kind-kind", { kind: "k8s", context: "kind-kind" }],
    ["k8s://k3d-dev/agent-sandboxes", { kind: "k8s", context: "k3d-dev", namespace: "agent-sandboxes" }],
    ["k8s://gke_acme_europe-west1_dev/dev", { kind: "k8s", context: "gke_acme_europe-west1_dev", namespace: "dev" }],
    ["k8s://arn:aws:eks:eu-west-1:123456789012:cluster%2Fdev/team", { kind: "k8s", context: "arn:aws:eks:eu-west-1:123456789012:cluster/dev", namespace: "team" }],
  ];
  for (const [text, want] of cases) {
    const r = parsePlacement(text, at);
    assert.equal(r.diags, [], text);
    assert.equal(r.value, want, text);
    assert.is(formatPlacement(r.value!), text);
  }
});

test("the old kube: spelling is a located error that names the k8s:// spelling", () => {
  for (const [old, want] of [
    ["kube:kind-kind", "k8s://kind-kind"],
    ["kube://kind-kind", "k8s://kind-kind"],
    ["kubernetes:prod/ns", "k8s://prod/ns"],
    ["k8s:kind-kind", "k8s://kind-kind"],
  ] as const) {
    const r = parsePlacement(old, at);
    assert.is(r.value, undefined);
    assert.is(r.diags.length, 1);
    const d = r.diags[0]!;
    assert.is(d.severity, "error");
    assert.equal(d.range, at);
    assert.is(d.summary, "Old Kubernetes placement spelling");
    assert.match(d.detail!, `\`${want}'`);
  }
});

test("malformed placements are errors that say what is expected", () => {
  const cases: [string, RegExp][] = [
    ["k8s://", /names no context/],
    ["k8s://kind-kind/Bad_NS", /not a valid namespace/],
    ["k8s://arn:aws:eks:x:1:cluster/dev/team", /%2F/],
    ["ssh://", /no host/],
    ["ssh://dev@box:99999", /outside 1-65535/],
    ["ssh://dev@box/path", /path/],
    ["docker://box", /scheme `docker:\/\/'/],
    ["build-box", /Did you mean `k8s:\/\/build-box'/],
    ["dev@build-box", /Did you mean `ssh:\/\/dev@build-box'/],
  ];
  for (const [text, re] of cases) {
    const r = parsePlacement(text, at);
    assert.is(r.value, undefined, text);
    assert.match(r.diags[0]?.detail ?? "", re, text);
    assert.equal(r.diags[0]?.range, at);
  }
});

test("placementHint gives the same advice for validate.ts's pattern error", () => {
  assert.match(placementHint("kube:kind-kind"), "k8s://kind-kind");
  assert.match(placementHint(42), "");
});

function load(files: Record<string, string>) {
  const reader: SourceReader = { read: (p) => files[p.replace(/^\/repo\//, "")] };
  return loadConfig({ paths: { cwd: "/repo", worktree: "/repo", main: "/repo" }, reader, sets: [] });
}

test("the profile schema accepts only the one spelling (kube: is refused at its line)", () => {
  const ok = load({ "infra.toml": 'profile = "k"\n[project]\nname = "m"\n', "profiles/k.toml": 'id = "k"\nversion = 1\nplacement = "k8s://kind-kind/dev"\n' });
  assert.equal(ok.diags, [], JSON.stringify(ok.diags));
  assert.is(ok.config!.profiles[0]!.placement, "k8s://kind-kind/dev");
  const old = load({ "infra.toml": 'profile = "k"\n[project]\nname = "m"\n', "profiles/k.toml": 'id = "k"\nversion = 1\nplacement = "kube:kind-kind"\n' });
  const d = old.diags.find((x) => x.severity === "error");
  assert.ok(d, "kube: must not validate");
  assert.is(d!.range?.start.line, 3);
  assert.match(d!.detail ?? "", "Replace the value with `k8s://kind-kind'");
});

test("the Kubernetes target: agent.toml and placement agree, or the conflict names both", () => {
  const p = parsePlacement("k8s://kind-kind/dev", at).value!;
  assert.equal(resolveKubeTarget({ placement: p, placementAt: at }).value, { context: "kind-kind", namespace: "dev", namespaceAt: at });
  const agentAt = { file: "agent.toml", start: { line: 5, col: 11 } };
  const c = resolveKubeTarget({ placement: p, placementAt: at, context: "k3d-dev", contextAt: agentAt });
  assert.is(c.value, undefined);
  assert.match(c.diags[0]!.detail!, "agent.toml:5:11");
  assert.match(c.diags[0]!.detail!, "profiles/k.toml:4:13");
  assert.equal(resolveKubeTarget({ context: "kind-kind" }).value, { context: "kind-kind" });
  assert.is(resolveKubeTarget({}).diags[0]!.summary, "No Kubernetes context");
  assert.is(resolveKubeTarget({ placement: { kind: "local" }, placementAt: at, context: "x" }).diags[0]!.summary, "Placement is not a Kubernetes cluster");
});

test.run();
