// Engine scheduling (src/apply/engine.ts), with an in-memory fake kind registered in a
// KindRegistry and a real StateStore in a temp dir: failures stop only their dependents,
// deletes run dependents-first, parallelism holds, a stop request skips the rest, every
// intent is journaled before its driver call, kept deletes are reported, replace is
// delete-then-create.

import * as fs from "node:fs";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runEngine, type EngineResult } from "../../../src/apply/engine.js";
import { emptyState, StateStore, type InstanceState, type JournalEntry } from "../../../src/apply/state.js";
import type { ResourceChange } from "../../../src/plan/model.js";
import { FAKE, fakeChange as change, fakeContext, FakeWorld } from "../../helpers/fake-kind.js";
import { tmpdir } from "../../helpers/sbx.js";

const K = "in-memory fake kind (engine scheduling only)";

interface Run {
  result: EngineResult;
  state: InstanceState;
  store: StateStore;
  log: string[];
}

async function run(world: FakeWorld, changes: ResourceChange[], opts: { parallelism?: number; stopRequested?: () => boolean; store?: StateStore } = {}): Promise<Run> {
  const store = opts.store ?? new StateStore(tmpdir("sbx-engine-"));
  store.init();
  const state = emptyState();
  // Everything that is not created exists already, as the plan's `before` says.
  for (const c of changes) if (c.action !== "create" && c.before) state.resources[c.address] = { address: c.address, type: FAKE, attrs: c.before, output: {}, dependsOn: c.depends_on };
  const log: string[] = [];
  const result = await runEngine({ changes, store, state, ctx: fakeContext(store.dir, log), kinds: world.kinds, parallelism: opts.parallelism ?? 4, stopRequested: opts.stopRequested });
  return { result, state, store, log };
}

const journalOf = (store: StateStore): JournalEntry[] =>
  fs.existsSync(store.journal)
    ? fs
        .readFileSync(store.journal, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as JournalEntry)
    : [];

const sorted = (xs: string[]) => [...xs].sort();

test(`${K}: a failure stops its dependents only; independent work finishes`, async () => {
  const world = new FakeWorld({ fail: ["create fake.a"] });
  // a ← b ← c fails at a; d ← e and f are unrelated; g depends on both a and d.
  const { result, state } = await run(world, [
    change("fake.a", "create"),
    change("fake.b", "create", ["fake.a"]),
    change("fake.c", "create", ["fake.b"]),
    change("fake.d", "create"),
    change("fake.e", "create", ["fake.d"]),
    change("fake.f", "create"),
    change("fake.g", "create", ["fake.a", "fake.d"]),
  ]);
  assert.equal(
    result.failures.map((f) => [f.address, f.error.message]),
    [["fake.a", "fake create of fake.a failed"]],
  );
  assert.equal(sorted(result.skipped), ["fake.b", "fake.c", "fake.g"]);
  assert.equal(sorted(result.done.map((d) => d.address)), ["fake.d", "fake.e", "fake.f"]);
  assert.equal(sorted(world.calls.map((c) => c.address)), ["fake.a", "fake.d", "fake.e", "fake.f"], "skipped resources are never touched");
  assert.equal(sorted(Object.keys(state.resources)), ["fake.d", "fake.e", "fake.f"]);
  assert.is(result.interrupted, false);
});

test(`${K}: a failed create leaves its intent pending, and the next run creates with recovering: true`, async () => {
  const world = new FakeWorld({ fail: ["create fake.a"] });
  const first = await run(world, [change("fake.a", "create")]);
  assert.equal(first.state.pending, { "fake.a": "create" });
  const loaded = first.store.load().state;
  assert.equal(loaded.pending, { "fake.a": "create" }, "the intent is durable");
  const again = new FakeWorld();
  await runEngine({ changes: [change("fake.a", "create")], store: first.store, state: loaded, ctx: fakeContext(first.store.dir), kinds: again.kinds, parallelism: 1 });
  assert.equal(again.calls, [{ op: "create", address: "fake.a", recovering: true }]);
  assert.is(loaded.pending, undefined, "the put clears it");
});

test(`${K}: creates run dependencies first`, async () => {
  const world = new FakeWorld();
  await run(world, [change("fake.c", "create", ["fake.b"]), change("fake.b", "create", ["fake.a"]), change("fake.a", "create")], { parallelism: 8 });
  assert.equal(world.events, ["start create fake.a", "end create fake.a", "start create fake.b", "end create fake.b", "start create fake.c", "end create fake.c"]);
});

test(`${K}: deletes run dependents first, each after its dependents finished`, async () => {
  const world = new FakeWorld();
  // c depends on b depends on a; x depends on a too.
  await run(world, [change("fake.a", "delete"), change("fake.b", "delete", ["fake.a"]), change("fake.c", "delete", ["fake.b"]), change("fake.x", "delete", ["fake.a"])], { parallelism: 8 });
  const at = (e: string) => world.events.indexOf(e);
  assert.ok(at("end delete fake.c") < at("start delete fake.b"), world.events.join("\n"));
  assert.ok(at("end delete fake.b") < at("start delete fake.a"), world.events.join("\n"));
  assert.ok(at("end delete fake.x") < at("start delete fake.a"), world.events.join("\n"));
  assert.is(world.events[world.events.length - 1], "end delete fake.a");
});

test(`${K}: every delete finishes before any create, update or replace starts`, async () => {
  const world = new FakeWorld();
  await run(world, [change("fake.new", "create"), change("fake.old1", "delete"), change("fake.old2", "delete"), change("fake.mod", "update"), change("fake.rep", "replace")], { parallelism: 8 });
  const lastDeleteEnd = Math.max(world.events.indexOf("end delete fake.old1"), world.events.indexOf("end delete fake.old2"));
  const firstOther = world.events.findIndex((e) => e.startsWith("start ") && !/old\d$/.test(e));
  assert.ok(lastDeleteEnd < firstOther, world.events.join("\n"));
});

for (const parallelism of [1, 3, 8])
  test(`${K}: parallelism ${parallelism} is never exceeded, and is reached`, async () => {
    const world = new FakeWorld();
    const n = 20;
    const { result } = await run(
      world,
      Array.from({ length: n }, (_, i) => change(`fake.r${i}`, "create")),
      { parallelism },
    );
    assert.is(result.done.length, n);
    assert.is(world.maxRunning, parallelism);
  });

test(`${K}: parallelism holds across deletes and then creates`, async () => {
  const world = new FakeWorld();
  await run(world, [...Array.from({ length: 10 }, (_, i) => change(`fake.d${i}`, "delete")), ...Array.from({ length: 10 }, (_, i) => change(`fake.c${i}`, "create"))], { parallelism: 2 });
  assert.is(world.maxRunning, 2);
  assert.is(world.calls.length, 20);
});

test(`${K}: a stop request stops starting new operations; the rest are skipped and the run is interrupted`, async () => {
  let stop = false;
  const world = new FakeWorld({ onCall: () => (stop = world.calls.length >= 3) });
  const changes = Array.from({ length: 10 }, (_, i) => change(`fake.r${i}`, "create"));
  const { result } = await run(world, changes, { parallelism: 2, stopRequested: () => stop });
  assert.is(result.interrupted, true);
  assert.is(world.calls.length, 3, "nothing starts after the request");
  assert.is(result.done.length, 3, "what was running finishes");
  assert.equal(sorted([...result.done.map((d) => d.address), ...result.skipped]), sorted(changes.map((c) => c.address)));
  assert.is(result.skipped.length, 7);
});

test(`${K}: a stop request during deletes skips every create too`, async () => {
  let stop = false;
  const world = new FakeWorld({ onCall: () => (stop = true) });
  const { result } = await run(world, [change("fake.old", "delete"), change("fake.old2", "delete"), change("fake.new", "create")], { parallelism: 1, stopRequested: () => stop });
  assert.is(result.interrupted, true);
  assert.equal(
    world.calls.map((c) => `${c.op} ${c.address}`),
    ["delete fake.old"],
  );
  assert.equal(sorted(result.skipped), ["fake.new", "fake.old2"]);
});

test(`${K}: without a stop request a run is not interrupted`, async () => {
  const { result } = await run(new FakeWorld(), [change("fake.a", "create")], { stopRequested: () => false });
  assert.is(result.interrupted, false);
  assert.equal(result.skipped, []);
});

test(`${K}: every operation's intent is in the journal (on disk) before its driver is called`, async () => {
  let store: StateStore | undefined;
  const seen: string[] = [];
  const world = new FakeWorld({
    onCall: (c) => {
      const intents = journalOf(store!).filter((e): e is Extract<JournalEntry, { op: "intent" }> => e.op === "intent" && e.address === c.address);
      assert.ok(intents.length, `no intent for ${c.op} ${c.address} before the call`);
      seen.push(`${c.op} ${c.address}: ${intents.map((e) => e.action).join(",")}`);
    },
  });
  store = new StateStore(tmpdir("sbx-engine-"));
  await run(world, [change("fake.c", "create"), change("fake.u", "update"), change("fake.d", "delete"), change("fake.r", "replace")], { store, parallelism: 1 });
  assert.equal(sorted(seen), ["create fake.c: create", "create fake.r: replace,create", "delete fake.d: delete", "delete fake.r: replace", "update fake.u: update"]);
});

test(`${K}: completions reach the journal, and the state holds what the drivers returned`, async () => {
  const { state, store } = await run(new FakeWorld(), [change("fake.c", "create", [], { v: 2 }), change("fake.d", "delete")]);
  const ops = journalOf(store).map((e) => `${e.op} ${"address" in e ? e.address : e.op === "put" ? e.resource.address : ""}`);
  assert.equal(sorted(ops), ["delete fake.d", "intent fake.c", "intent fake.d", "put fake.c"]);
  assert.equal(state.resources["fake.c"], { address: "fake.c", type: FAKE, attrs: { v: 2, made_by: "create" }, output: { created: true }, dependsOn: [] });
  assert.not.ok("fake.d" in state.resources);
  assert.is(state.pending, undefined);
});

test(`${K}: a delete that keeps something reports it in the result and the log`, async () => {
  const world = new FakeWorld({ kept: { "fake.file": "kept fake.file: edited outside sbx (use --force)" } });
  const { result, log, state } = await run(world, [change("fake.file", "delete"), change("fake.other", "delete")]);
  assert.equal(result.kept, ["kept fake.file: edited outside sbx (use --force)"]);
  assert.ok(log.includes("fake.file: kept fake.file: edited outside sbx (use --force)"), log.join("\n"));
  assert.equal(sorted(result.done.map((d) => d.address)), ["fake.file", "fake.other"]);
  assert.not.ok("fake.file" in state.resources, "a kept delete still leaves state");
});

test(`${K}: replace is delete then create of the same address`, async () => {
  const world = new FakeWorld();
  const { result, state, store } = await run(world, [change("fake.r", "replace", [], { v: 9 })]);
  assert.equal(world.events, ["start delete fake.r", "end delete fake.r", "start create fake.r", "end create fake.r"]);
  assert.equal(world.calls[1], { op: "create", address: "fake.r", recovering: false });
  assert.equal(
    result.done.map((d) => [d.address, d.action]),
    [["fake.r", "replace"]],
  );
  assert.equal(state.resources["fake.r"]!.attrs, { v: 9, made_by: "create" });
  assert.equal(
    journalOf(store).map((e) => (e.op === "intent" ? `intent ${e.action}` : e.op)),
    ["intent replace", "delete", "intent create", "put"],
  );
});

test(`${K}: a replace whose delete fails is not created, and its dependents are skipped`, async () => {
  const world = new FakeWorld({ fail: ["delete fake.r"] });
  const { result, state } = await run(world, [change("fake.r", "replace"), change("fake.dep", "update", ["fake.r"])]);
  assert.equal(
    world.calls.map((c) => `${c.op} ${c.address}`),
    ["delete fake.r"],
  );
  assert.equal(result.skipped, ["fake.dep"]);
  assert.ok(state.resources["fake.r"], "still in state: the delete did not happen");
});

test(`${K}: update calls the driver's update with the prior state`, async () => {
  const world = new FakeWorld();
  const { state } = await run(world, [change("fake.u", "update", [], { v: 3 })]);
  assert.equal(world.calls, [{ op: "update", address: "fake.u" }]);
  assert.equal(state.resources["fake.u"]!.output, { updated: true });
});

test(`${K}: no-op and read changes call no driver`, async () => {
  const world = new FakeWorld();
  const { result } = await run(world, [change("fake.n", "no-op"), change("fake.x", "read"), change("fake.c", "create", ["fake.n"])]);
  assert.equal(
    world.calls.map((c) => c.address),
    ["fake.c"],
  );
  assert.equal(
    result.done.map((d) => d.address),
    ["fake.c"],
  );
});

test(`${K}: a failure at the root of a 10,000-resource chain skips the whole chain`, async () => {
  const n = 10_000;
  const world = new FakeWorld({ fail: ["create fake.r0"], ms: 0 });
  const { result } = await run(
    world,
    Array.from({ length: n }, (_, i) => change(`fake.r${i}`, "create", i ? [`fake.r${i - 1}`] : [])),
  );
  assert.is(result.failures.length, 1);
  assert.is(result.skipped.length, n - 1);
});

test.run();
