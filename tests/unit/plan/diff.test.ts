// The diff rules of src/plan/diff.ts, on hand-written kind declarations (no real kind):
// actions, replace rules, following dependencies, computed attributes, drift, discovery,
// destroy mode and ordering.

import { test } from "uvu";
import * as assert from "uvu/assert";
import type { KindSpec, KindSpecs, Resource } from "../../../src/kinds/spec.js";
import { changedKeys, diffResources, KNOWN_AFTER_APPLY, type PriorResource } from "../../../src/plan/diff.js";
import type { Observation, ResourceChange } from "../../../src/plan/model.js";

/** A service: replaced when its image changes, restarts (replace) when a dependency changes. */
const svc: KindSpec = {
  type: "svc",
  description: "test service",
  replaceOn: ["image"],
  onDependencyChange: "replace",
  restartsDependents: true,
  computed: ["pid"],
  render: { env: "map", token: "sensitive", image: "plain" },
};
/** A generated file: replaced when its path changes; its changes restart dependents. */
const cfg: KindSpec = { type: "cfg", description: "test config file", replaceOn: ["path"], restartsDependents: true, render: { content: "text" } };
/** A job that re-runs (update) when a dependency changes, and is replaced on any change of its own. */
const job: KindSpec = { type: "job", description: "test job", replaceOn: "all", onDependencyChange: "update", restartsDependents: true };
/** Its changes never count for dependents. */
const quiet: KindSpec = { type: "quiet", description: "test quiet", replaceOn: [], restartsDependents: false };

// KindSpec<A> narrows replaceOn to A's keys; the pure layers see every kind as KindSpec<object>.
const specs: KindSpecs = { get: (t) => [svc, cfg, job, quiet].find((s) => s.type === t) as KindSpec<object> | undefined };

const typeOf = (address: string) => address.split(/[.[]/)[0]!;
const res = (address: string, attrs: Record<string, unknown>, dependsOn: string[] = []): Resource => ({ address, type: typeOf(address), attrs, dependsOn });
const prior = (address: string, attrs: Record<string, unknown>, dependsOn: string[] = [], discovered?: boolean): PriorResource => ({
  address,
  type: typeOf(address),
  attrs,
  dependsOn,
  ...(discovered ? { discovered } : {}),
});

function diff(desired: Resource[], priorList: PriorResource[], opts: { observed?: Record<string, Observation>; mode?: "apply" | "destroy" } = {}): Map<string, ResourceChange> {
  const changes = diffResources({ desired, prior: priorList, observed: new Map(Object.entries(opts.observed ?? {})), mode: opts.mode ?? "apply", specs });
  return new Map(changes.map((c) => [c.address, c]));
}

function one(desired: Resource[], priorList: PriorResource[], address: string, opts: Parameters<typeof diff>[2] = {}): ResourceChange {
  const c = diff(desired, priorList, opts).get(address);
  if (!c) throw new Error(`no change for ${address}`);
  return c;
}

// ---- actions on one resource ----

const actionCases: {
  name: string;
  desired?: Record<string, unknown>;
  prior?: Record<string, unknown>;
  address?: string;
  action: ResourceChange["action"];
  reasons: string[];
  replacePaths: string[];
}[] = [
  { name: "absent from state: create", desired: { image: "a" }, action: "create", reasons: [], replacePaths: [] },
  { name: "same attributes: no-op", desired: { image: "a", env: { A: "1" } }, prior: { image: "a", env: { A: "1" } }, action: "no-op", reasons: [], replacePaths: [] },
  { name: "a non-forcing attribute changed: update", desired: { image: "a", port: 2 }, prior: { image: "a", port: 1 }, action: "update", reasons: ["changed: port"], replacePaths: [] },
  {
    name: "several non-forcing attributes changed: update names them sorted",
    desired: { image: "a", port: 2, env: { A: "2" } },
    prior: { image: "a", port: 1, env: { A: "1" } },
    action: "update",
    reasons: ["changed: env, port"],
    replacePaths: [],
  },
  {
    name: "an attribute in the replaceOn list changed: replace",
    desired: { image: "b" },
    prior: { image: "a" },
    action: "replace",
    reasons: ["forces replacement: attrs.image"],
    replacePaths: ["image"],
  },
  {
    name: "forcing and non-forcing changes together: replace, only the forcing path listed",
    desired: { image: "b", port: 2 },
    prior: { image: "a", port: 1 },
    action: "replace",
    reasons: ["forces replacement: attrs.image"],
    replacePaths: ["image"],
  },
  { name: "an attribute dropped from configuration counts as changed", desired: { image: "a" }, prior: { image: "a", port: 1 }, action: "update", reasons: ["changed: port"], replacePaths: [] },
  {
    name: 'replaceOn "all": any change replaces, every changed path listed',
    address: "job.x",
    desired: { a: 2, b: 2, c: 1 },
    prior: { a: 1, b: 1, c: 1 },
    action: "replace",
    reasons: ["forces replacement: attrs.a, attrs.b"],
    replacePaths: ["a", "b"],
  },
  { name: "replaceOn []: never replaces", address: "quiet.x", desired: { path: "b" }, prior: { path: "a" }, action: "update", reasons: ["changed: path"], replacePaths: [] },
  {
    name: 'a type with no declaration is treated as replaceOn "all"',
    address: "mystery.x",
    desired: { a: 2 },
    prior: { a: 1 },
    action: "replace",
    reasons: ["forces replacement: attrs.a"],
    replacePaths: ["a"],
  },
  { name: "in state, not in configuration: delete", prior: { image: "a" }, action: "delete", reasons: ["not in configuration"], replacePaths: [] },
];

for (const c of actionCases)
  test(`action: ${c.name}`, () => {
    const address = c.address ?? "svc.api";
    const ch = one(c.desired ? [res(address, c.desired)] : [], c.prior ? [prior(address, c.prior)] : [], address);
    assert.is(ch.action, c.action);
    assert.equal(ch.reasons, c.reasons);
    assert.equal(ch.replace_paths, c.replacePaths);
    assert.equal(ch.before, c.action === "create" ? null : (c.prior ?? null));
    // A new resource shows what only apply can know as such.
    const known = c.action === "create" && c.desired ? { ...c.desired, ...Object.fromEntries((svc.computed ?? []).filter((k) => !(k in c.desired!)).map((k) => [k, KNOWN_AFTER_APPLY])) } : c.desired;
    assert.equal(ch.after, c.action === "delete" ? null : (known ?? null));
  });

test("each change carries its kind's sensitive attributes and non-plain render hints", () => {
  const ch = one([res("svc.api", { image: "a", token: "t" }, ["cfg.env"])], [], "svc.api");
  assert.equal(ch.sensitive, ["token"]);
  assert.equal(ch.render, { env: "map", token: "sensitive" });
  assert.equal(ch.depends_on, ["cfg.env"]);
  assert.is(ch.type, "svc");
  const del = one([], [prior("cfg.env", { path: "p" })], "cfg.env");
  assert.equal(del.render, { content: "text" });
  assert.equal(del.sensitive, []);
});

test("dotted replaceOn paths: a change inside an attribute replaces only when it touches the named path", () => {
  const obj: KindSpec = { type: "obj", description: "test object", replaceOn: ["context", "spec.selector", "metadata.name"], restartsDependents: false };
  const objSpecs: KindSpecs = { get: (t) => (t === "obj" ? (obj as KindSpec<object>) : undefined) };
  const base = { context: "c", metadata: { name: "web", labels: { a: "1" } }, spec: { replicas: 1, selector: { app: "web" } } };
  const run = (after: Record<string, unknown>) =>
    diffResources({ desired: [{ address: "obj.web", type: "obj", attrs: after, dependsOn: [] }], prior: [{ address: "obj.web", type: "obj", attrs: base, dependsOn: [] }], observed: new Map(), mode: "apply", specs: objSpecs })[0]!;
  const scaled = run({ ...base, spec: { ...base.spec, replicas: 2 } });
  assert.equal([scaled.action, scaled.reasons, scaled.replace_paths], ["update", ["changed: spec"], []]);
  const relabelled = run({ ...base, metadata: { ...base.metadata, labels: { a: "2" } } });
  assert.is(relabelled.action, "update");
  const reselected = run({ ...base, spec: { ...base.spec, selector: { app: "api" } } });
  assert.equal([reselected.action, reselected.reasons, reselected.replace_paths], ["replace", ["forces replacement: attrs.spec.selector"], ["spec.selector"]]);
  const renamed = run({ ...base, context: "d", metadata: { ...base.metadata, name: "api" } });
  assert.equal(renamed.replace_paths, ["context", "metadata.name"]);
  const gone = run({ ...base, spec: { replicas: 1 } });
  assert.equal(gone.replace_paths, ["spec.selector"], "a forcing path that disappears forces too");
});

test("changedKeys compares by JSON value over the union of keys, sorted", () => {
  assert.equal(changedKeys({ b: 1, a: [1, 2], c: { x: 1 } }, { a: [1, 2], b: 2, c: { x: 1 }, d: null }), ["b", "d"]);
  assert.equal(changedKeys({ a: [1, 2] }, { a: [2, 1] }), ["a"]);
  assert.equal(changedKeys({}, {}), []);
});

// ---- following dependencies ----

test("a dependency updated: a dependent declaring onDependencyChange=replace is replaced, with the reason", () => {
  const out = diff(
    [res("cfg.env", { path: "p", content: "B" }), res("svc.api", { image: "a" }, ["cfg.env"])],
    [prior("cfg.env", { path: "p", content: "A" }), prior("svc.api", { image: "a" }, ["cfg.env"])],
  );
  assert.is(out.get("cfg.env")!.action, "update");
  assert.is(out.get("svc.api")!.action, "replace");
  assert.equal(out.get("svc.api")!.reasons, ["restarts because cfg.env changes"]);
  assert.equal(out.get("svc.api")!.replace_paths, [], "no attribute forces it");
});

test("a dependency updated: a dependent declaring onDependencyChange=update is updated (re-runs)", () => {
  const out = diff([res("cfg.env", { path: "p", content: "B" }), res("job.seed", { n: 1 }, ["cfg.env"])], [prior("cfg.env", { path: "p", content: "A" }), prior("job.seed", { n: 1 }, ["cfg.env"])]);
  assert.is(out.get("job.seed")!.action, "update");
  assert.equal(out.get("job.seed")!.reasons, ["re-runs because cfg.env changes"]);
});

test("a dependency created or replaced triggers dependents with a reason naming the action", () => {
  const created = diff([res("cfg.env", { path: "p" }), res("svc.api", { image: "a" }, ["cfg.env"])], [prior("svc.api", { image: "a" }, ["cfg.env"])]);
  assert.equal(created.get("svc.api")!.reasons, ["restarts because cfg.env is created"]);
  const replaced = diff([res("cfg.env", { path: "q" }), res("svc.api", { image: "a" }, ["cfg.env"])], [prior("cfg.env", { path: "p" }), prior("svc.api", { image: "a" }, ["cfg.env"])]);
  assert.is(replaced.get("cfg.env")!.action, "replace");
  assert.equal(replaced.get("svc.api")!.reasons, ["restarts because cfg.env is replaced"]);
});

for (const order of ["dependents sort before their dependencies", "dependencies sort before their dependents"] as const)
  test(`following cascades through several levels in one pass (${order})`, () => {
    // cfg → svc(1) → svc(2) → job(3): each level follows the one below it.
    const names = order === "dependents sort before their dependencies" ? ["svc.a3", "svc.a2", "job.a1"] : ["svc.z1", "svc.z2", "job.z3"];
    const [s1, s2, j3] = names as [string, string, string];
    const desired = [res("cfg.env", { path: "p", content: "new" }), res(s1, { image: "i" }, ["cfg.env"]), res(s2, { image: "i" }, [s1]), res(j3, { n: 1 }, [s2])];
    const before = [prior("cfg.env", { path: "p", content: "old" }), prior(s1, { image: "i" }, ["cfg.env"]), prior(s2, { image: "i" }, [s1]), prior(j3, { n: 1 }, [s2])];
    const out = diff(desired, before);
    assert.equal(
      [s1, s2, j3].map((a) => [a, out.get(a)!.action, out.get(a)!.reasons]),
      [
        [s1, "replace", ["restarts because cfg.env changes"]],
        [s2, "replace", [`restarts because ${s1} is replaced`]],
        [j3, "update", [`re-runs because ${s2} is replaced`]],
      ],
    );
  });

test("a dependency whose kind has restartsDependents=false does not trigger its dependents", () => {
  const out = diff([res("quiet.q", { v: 2 }), res("svc.api", { image: "a" }, ["quiet.q"])], [prior("quiet.q", { v: 1 }), prior("svc.api", { image: "a" }, ["quiet.q"])]);
  assert.is(out.get("quiet.q")!.action, "update");
  assert.is(out.get("svc.api")!.action, "no-op");
  assert.equal(out.get("svc.api")!.reasons, []);
});

test("a deleted dependency does not trigger its dependents", () => {
  const out = diff([res("svc.api", { image: "a" }, ["cfg.old"])], [prior("cfg.old", { path: "p" }), prior("svc.api", { image: "a" }, ["cfg.old"])]);
  assert.is(out.get("cfg.old")!.action, "delete");
  assert.is(out.get("svc.api")!.action, "no-op");
});

test("a dependent without onDependencyChange does not follow its dependencies", () => {
  const out = diff(
    [res("cfg.env", { path: "p", content: "B" }), res("cfg.other", { path: "o" }, ["cfg.env"])],
    [prior("cfg.env", { path: "p", content: "A" }), prior("cfg.other", { path: "o" }, ["cfg.env"])],
  );
  assert.is(out.get("cfg.other")!.action, "no-op");
});

test("a dependent already changing keeps its own action and reasons", () => {
  const out = diff(
    [res("cfg.env", { path: "p", content: "B" }), res("svc.api", { image: "b" }, ["cfg.env"])],
    [prior("cfg.env", { path: "p", content: "A" }), prior("svc.api", { image: "a" }, ["cfg.env"])],
  );
  assert.is(out.get("svc.api")!.action, "replace");
  assert.equal(out.get("svc.api")!.reasons, ["forces replacement: attrs.image"]);
});

// ---- computed attributes ----

test("computed attributes absent from configuration are kept from state (no change)", () => {
  const ch = one([res("svc.api", { image: "a" })], [prior("svc.api", { image: "a", pid: 42 })], "svc.api");
  assert.is(ch.action, "no-op");
  assert.equal(ch.after, { image: "a", pid: 42 });
});

test("computed attributes: a value given in configuration is compared; non-computed extras in state are not kept", () => {
  const given = one([res("svc.api", { image: "a", pid: 7 })], [prior("svc.api", { image: "a", pid: 42 })], "svc.api");
  assert.is(given.action, "update");
  assert.equal(given.after, { image: "a", pid: 7 });
  const notComputed = one([res("cfg.env", { path: "p" })], [prior("cfg.env", { path: "p", pid: 42 })], "cfg.env");
  assert.is(notComputed.action, "update");
  assert.equal(notComputed.after, { path: "p" });
});

// ---- drift ----

test("drift: missing in the world recreates it (before null), with the driver's reason", () => {
  const ch = one([res("svc.api", { image: "a" })], [prior("svc.api", { image: "a" })], "svc.api", { observed: { "svc.api": { status: "missing", reason: "process 42 is gone" } } });
  assert.is(ch.action, "create");
  assert.is(ch.before, null);
  assert.equal(ch.reasons, ["drift: process 42 is gone"]);
  assert.is(ch.drift, undefined);
});

test("drift: missing and changed in configuration keeps both reasons", () => {
  const ch = one([res("svc.api", { image: "b" })], [prior("svc.api", { image: "a" })], "svc.api", { observed: { "svc.api": { status: "missing", reason: "gone" } } });
  assert.is(ch.action, "create");
  assert.equal(ch.reasons, ["forces replacement: attrs.image", "drift: gone"]);
  assert.equal(ch.replace_paths, []);
});

const driftCases: { name: string; own: Record<string, unknown>; obs: ResourceChange["action"]; action: ResourceChange["action"] }[] = [
  { name: "no change of its own, drifted (update): update", own: { image: "a", mode: "0644" }, obs: "update", action: "update" },
  { name: "no change of its own, drifted (replace): replace", own: { image: "a", mode: "0644" }, obs: "replace", action: "replace" },
  { name: "an update of its own, drifted (replace): replace wins", own: { image: "a", mode: "0600" }, obs: "replace", action: "replace" },
  { name: "a replace of its own, drifted (update): replace stays", own: { image: "b", mode: "0644" }, obs: "update", action: "replace" },
];
for (const c of driftCases)
  test(`drift: ${c.name}`, () => {
    const ch = one([res("svc.api", c.own)], [prior("svc.api", { image: "a", mode: "0644" })], "svc.api", {
      observed: { "svc.api": { status: "drifted", reason: "mode was changed", action: c.obs as "update" | "replace", observed: { mode: "0777" } } },
    });
    assert.is(ch.action, c.action);
    assert.is(ch.reasons[ch.reasons.length - 1], "drift: mode was changed");
    assert.equal(ch.drift, { observed: { mode: "0777" }, expected: { mode: c.own.mode } }, "expected is picked from the desired attributes");
  });

test("drift: an explicit expected value (not an attribute) is passed through", () => {
  const ch = one([res("cfg.copy", { path: "p", hash: "h1" })], [prior("cfg.copy", { path: "p", hash: "h1" })], "cfg.copy", {
    observed: { "cfg.copy": { status: "drifted", reason: "content edited", action: "update", observed: { content: "edited\n" }, expected: { content: "original\n" } } },
  });
  assert.is(ch.action, "update");
  assert.equal(ch.drift, { observed: { content: "edited\n" }, expected: { content: "original\n" } });
});

test("drift: without observed values there is no drift block", () => {
  const ch = one([res("svc.api", { image: "a" })], [prior("svc.api", { image: "a" })], "svc.api", { observed: { "svc.api": { status: "drifted", reason: "x", action: "update" } } });
  assert.is(ch.action, "update");
  assert.not.ok("drift" in ch);
});

test("drift observations on a resource not in configuration are ignored (it is deleted)", () => {
  const ch = one([], [prior("svc.api", { image: "a" })], "svc.api", { observed: { "svc.api": { status: "missing", reason: "gone" } } });
  assert.is(ch.action, "delete");
  assert.equal(ch.reasons, ["not in configuration"]);
});

// ---- discovery ----

test("discovered (not in state), not in configuration: delete marked discovered", () => {
  const ch = one([], [prior("svc.api", { image: "a" }, [], true)], "svc.api");
  assert.is(ch.action, "delete");
  assert.is(ch.discovered, true);
  assert.equal(ch.reasons, ["found by owner label or marker, not in state"]);
});

test("discovered and in configuration: created again, with the reason", () => {
  const ch = one([res("svc.api", { image: "a" })], [prior("svc.api", { image: "a" }, [], true)], "svc.api");
  assert.is(ch.action, "create");
  assert.is(ch.before, null);
  assert.equal(ch.reasons, ["found by owner label, not in state: recreated"]);
});

test("resources from state are never marked discovered", () => {
  const ch = one([], [prior("svc.api", { image: "a" })], "svc.api");
  assert.not.ok("discovered" in ch);
});

// ---- destroy mode ----

test("destroy mode: everything in state is deleted without a reason, configuration is ignored", () => {
  const out = diff(
    [res("cfg.env", { path: "p", content: "B" }), res("svc.api", { image: "a" }, ["cfg.env"]), res("svc.new", { image: "n" })],
    [prior("cfg.env", { path: "p", content: "A" }), prior("svc.api", { image: "a" }, ["cfg.env"]), prior("svc.found", { image: "f" }, [], true)],
    { mode: "destroy" },
  );
  assert.equal(
    [...out.values()].map((c) => [c.address, c.action, c.reasons, c.after]),
    [
      ["cfg.env", "delete", [], null],
      ["svc.api", "delete", [], null],
      ["svc.found", "delete", ["found by owner label or marker, not in state"], null],
    ],
  );
  assert.equal(out.get("svc.api")!.depends_on, ["cfg.env"], "deletes keep the dependencies recorded in state");
});

test("destroy mode with nothing in state: no changes", () => {
  assert.is(diff([res("svc.api", { image: "a" })], [], { mode: "destroy" }).size, 0);
});

// ---- ordering and scale ----

test("changes come out sorted by address, whatever the input order", () => {
  const addrs = ["svc.b", 'svc["a b"]', "cfg.z", "svc.a", "job.m"];
  const changes = diffResources({ desired: addrs.map((a) => res(a, { image: "x", path: "p" })), prior: [prior("quiet.gone", {})], observed: new Map(), mode: "apply", specs });
  assert.equal(
    changes.map((c) => c.address),
    ["cfg.z", "job.m", "quiet.gone", "svc.a", "svc.b", 'svc["a b"]'],
  );
});

for (const order of ["ascending", "descending"] as const)
  test(`a chain of 10,000 resources (addresses ${order} along the chain) is diffed in one pass`, () => {
    const n = 10_000;
    const addr = (i: number) => `svc.r${String(order === "ascending" ? i : n - i).padStart(5, "0")}`;
    const desired = Array.from({ length: n }, (_, i) => res(addr(i), { image: "i", env: { I: String(i === 0 ? 1 : 0) } }, i ? [addr(i - 1)] : []));
    const before = desired.map((r) => prior(r.address, { image: "i", env: { I: "0" } }, r.dependsOn));
    const out = diffResources({ desired, prior: before, observed: new Map(), mode: "apply", specs });
    assert.is(out.length, n);
    assert.is(out.find((c) => c.address === addr(0))!.action, "update");
    assert.is(out.filter((c) => c.action === "replace").length, n - 1, "every later link restarts");
  });

test.run();
