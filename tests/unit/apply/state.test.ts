// Instance state (src/apply/state.ts) on real files in a temp dir: journal replay (a torn
// last line included), pending intents, migration from version 1, refusal of newer or
// invalid snapshots, commit's lineage/serial guard and backup, and a vanished state dir.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { applyEntry, emptyState, migrateState, replayJournal, STATE_VERSION, StateError, StateStore, type InstanceState, type JournalEntry, type StateResource } from "../../../src/apply/state.js";
import { tmpdir } from "../../helpers/sbx.js";

const res = (address: string, attrs: Record<string, unknown> = { v: 1 }): StateResource => ({ address, type: "file", attrs, output: { hash: "h" }, dependsOn: [] });
const lines = (...es: JournalEntry[]) => es.map((e) => JSON.stringify(e) + "\n").join("");
const meta = { id: "demo-1", project: "demo", worktree: "/wt", main: "/main", backend: "process", slot: 2 };

function freshStore(): StateStore {
  const store = new StateStore(path.join(tmpdir("sbx-state-"), "instances", "demo-1"));
  store.init();
  return store;
}

function throwsState(fn: () => unknown, message: RegExp): void {
  try {
    fn();
  } catch (e) {
    assert.instance(e, StateError);
    assert.match((e as Error).message, message);
    return;
  }
  assert.unreachable(`expected a StateError matching ${message}`);
}

// ---- journal entries and replay ----

test("an intent becomes pending; a put clears it and records the resource", () => {
  const s = emptyState();
  applyEntry(s, { op: "intent", address: "file.a", action: "create" });
  applyEntry(s, { op: "intent", address: "file.b", action: "delete" });
  assert.equal(s.pending, { "file.a": "create", "file.b": "delete" });
  applyEntry(s, { op: "put", resource: res("file.a") });
  assert.equal(s.pending, { "file.b": "delete" });
  assert.equal(s.resources["file.a"], res("file.a"));
});

test("a delete clears its intent and the resource; no intents left means no pending at all", () => {
  const s = emptyState();
  s.resources["file.b"] = res("file.b");
  applyEntry(s, { op: "intent", address: "file.b", action: "delete" });
  applyEntry(s, { op: "delete", address: "file.b" });
  assert.equal(s.resources, {});
  assert.is(s.pending, undefined);
});

test("a meta entry replaces the instance record", () => {
  const s = emptyState();
  applyEntry(s, { op: "meta", instance: meta });
  assert.equal(s.instance, meta);
});

test("replayJournal folds every line in order and counts them", () => {
  const s = emptyState();
  const n = replayJournal(
    s,
    lines(
      { op: "meta", instance: meta },
      { op: "intent", address: "file.a", action: "create" },
      { op: "put", resource: res("file.a", { v: 1 }) },
      { op: "put", resource: res("file.a", { v: 2 }) },
      { op: "intent", address: "file.b", action: "create" },
    ),
  );
  assert.is(n, 5);
  assert.equal(s.resources["file.a"]!.attrs, { v: 2 }, "the later put wins");
  assert.equal(s.pending, { "file.b": "create" });
  assert.equal(s.instance, meta);
});

test("replayJournal: a torn last line (crash mid-write) ends the replay; every complete line before it counts", () => {
  const s = emptyState();
  const whole = lines({ op: "intent", address: "file.a", action: "create" }, { op: "put", resource: res("file.a") });
  const torn = JSON.stringify({ op: "put", resource: res("file.b") }).slice(0, 25);
  assert.is(replayJournal(s, whole + torn), 2);
  assert.equal(Object.keys(s.resources), ["file.a"]);
  assert.is(s.pending, undefined);
});

test("replayJournal: blank lines are skipped; an empty journal replays nothing", () => {
  assert.is(replayJournal(emptyState(), "\n\n" + lines({ op: "put", resource: res("file.a") }) + "\n"), 1);
  assert.is(replayJournal(emptyState(), ""), 0);
});

// ---- store: load, append, commit ----

test("a new store has no state; load gives an empty version-2 state with a fresh lineage", () => {
  const store = freshStore();
  assert.is(store.exists(), false);
  const { state, replayed } = store.load();
  assert.is(replayed, 0);
  assert.is(state.version, STATE_VERSION);
  assert.is(state.serial, 0);
  assert.match(state.lineage, /^[0-9a-f-]{36}$/);
  assert.is.not(store.load().state.lineage, state.lineage, "each empty state has its own lineage");
});

test("append then load: the journal is replayed over the snapshot and the serial moves on", () => {
  const store = freshStore();
  const s = store.load().state;
  store.commit(s);
  assert.is(s.serial, 1);
  store.append({ op: "intent", address: "file.a", action: "create" }, { op: "put", resource: res("file.a") });
  store.append({ op: "intent", address: "file.b", action: "create" });
  assert.is(store.exists(), true);
  const { state, replayed } = store.load();
  assert.is(replayed, 3);
  assert.is(state.lineage, s.lineage);
  assert.is(state.serial, 2);
  assert.equal(Object.keys(state.resources), ["file.a"]);
  assert.equal(state.pending, { "file.b": "create" }, "an intent with no completion is pending after a crash");
});

test("load after a crash mid-append: the torn line is dropped, the rest is kept", () => {
  const store = freshStore();
  store.append({ op: "put", resource: res("file.a") });
  fs.appendFileSync(store.journal, '{"op":"put","resource":{"addr');
  const { state, replayed } = store.load();
  assert.is(replayed, 1);
  assert.equal(Object.keys(state.resources), ["file.a"]);
});

test("commit folds the journal into the snapshot, removes the journal and keeps the previous snapshot as .backup", () => {
  const store = freshStore();
  const s = store.load().state;
  s.resources["file.a"] = res("file.a");
  store.commit(s);
  const first = fs.readFileSync(store.snapshot, "utf8");
  assert.not.ok(fs.existsSync(`${store.snapshot}.backup`), "nothing to back up the first time");
  store.append({ op: "put", resource: res("file.b") });
  const next = store.load().state;
  store.commit(next);
  assert.not.ok(fs.existsSync(store.journal));
  assert.is(fs.readFileSync(`${store.snapshot}.backup`, "utf8"), first);
  const onDisk = JSON.parse(fs.readFileSync(store.snapshot, "utf8")) as InstanceState;
  assert.equal(Object.keys(onDisk.resources).sort(), ["file.a", "file.b"]);
  assert.is(onDisk.serial, next.serial);
  assert.is(onDisk.serial, 3, "1 (first commit), +1 replay, +1 commit");
  assert.is((fs.statSync(store.snapshot).mode & 0o777).toString(8), "600");
});

test("commit drops an empty pending map", () => {
  const store = freshStore();
  const s = store.load().state;
  s.pending = {};
  store.commit(s);
  assert.not.ok("pending" in (JSON.parse(fs.readFileSync(store.snapshot, "utf8")) as object));
});

test("commit refuses to overwrite a snapshot of a different lineage, and leaves it and its backup alone", () => {
  const store = freshStore();
  const mine = store.load().state;
  store.commit(mine);
  store.commit(mine);
  const snapshot = fs.readFileSync(store.snapshot, "utf8");
  const backup = fs.readFileSync(`${store.snapshot}.backup`, "utf8");
  const other = { ...emptyState(), serial: 99 };
  throwsState(() => store.commit(other), new RegExp(`^Refusing to overwrite state with a different lineage \\(${mine.lineage} vs ${other.lineage}\\)\\.$`));
  assert.is(fs.readFileSync(store.snapshot, "utf8"), snapshot);
  assert.is(fs.readFileSync(`${store.snapshot}.backup`, "utf8"), backup);
  assert.is(other.serial, 99, "the refused state is not bumped");
});

test("commit refuses to overwrite a newer serial on disk (another run committed meanwhile)", () => {
  const store = freshStore();
  const base = store.load().state;
  store.commit(base);
  const a = store.load().state;
  const b = store.load().state;
  store.commit(a);
  store.commit(a);
  throwsState(() => store.commit(b), /^Refusing to overwrite newer state \(serial 3 > 1\)\.$/);
});

test("commit accepts the same serial on disk (the run that loaded it)", () => {
  const store = freshStore();
  const s = store.load().state;
  store.commit(s);
  const again = store.load().state;
  store.commit(again);
  assert.is(again.serial, 2);
});

// ---- what load refuses ----

function storeWith(snapshot: string): StateStore {
  const store = freshStore();
  fs.writeFileSync(store.snapshot, snapshot);
  return store;
}

test("load migrates a version-1 snapshot (per-resource sensitive, no main) to version 2", () => {
  const v1 = {
    version: 1,
    lineage: "11111111-1111-4111-8111-111111111111",
    serial: 7,
    instance: { id: "demo-1", project: "demo", worktree: "/wt", backend: "process", slot: 1 },
    resources: {
      "secrets.env": { address: "secrets.env", type: "secrets", attrs: { path: "/p" }, output: { fingerprints: {} }, dependsOn: [], sensitive: ["fingerprints"] },
      "file.a": { address: "file.a", type: "file", attrs: {}, sensitive: [] },
    },
  };
  const { state } = storeWith(JSON.stringify(v1)).load();
  assert.is(state.version, 2);
  assert.is(state.lineage, v1.lineage);
  assert.is(state.serial, 7);
  assert.equal(state.instance, { ...v1.instance, main: "/wt" }, "main defaults to the worktree");
  assert.equal(state.resources["secrets.env"], { address: "secrets.env", type: "secrets", attrs: { path: "/p" }, output: { fingerprints: {} }, dependsOn: [] });
  assert.equal(state.resources["file.a"], { address: "file.a", type: "file", attrs: {}, output: {}, dependsOn: [] }, "missing output and dependsOn get defaults");
});

test("load migrates a snapshot with no version at all as version 1", () => {
  const { state } = storeWith(JSON.stringify({ lineage: "l", serial: 1, instance: meta, resources: {} })).load();
  assert.is(state.version, 2);
});

test("a migrated snapshot is written back as version 2, keeping its lineage", () => {
  const store = storeWith(
    JSON.stringify({ version: 1, lineage: "l1", serial: 1, instance: meta, resources: { "file.a": { address: "file.a", type: "file", attrs: {}, output: {}, dependsOn: [], sensitive: ["x"] } } }),
  );
  const { state } = store.load();
  store.commit(state);
  const onDisk = JSON.parse(fs.readFileSync(store.snapshot, "utf8")) as InstanceState & { resources: Record<string, { sensitive?: unknown }> };
  assert.is(onDisk.version, 2);
  assert.is(onDisk.lineage, "l1");
  assert.not.ok("sensitive" in onDisk.resources["file.a"]!);
});

test("load refuses a snapshot from a newer sbx, saying which versions", () => {
  const store = storeWith(JSON.stringify({ version: STATE_VERSION + 1, lineage: "l", serial: 1, instance: meta, resources: {} }));
  throwsState(
    () => store.load(),
    new RegExp(
      `${store.snapshot.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} was written by a newer sbx \\(state version ${STATE_VERSION + 1}; this sbx reads up to ${STATE_VERSION}\\)\\. Upgrade sbx\\.$`,
    ),
  );
});

const invalid: { name: string; snapshot: unknown; message: RegExp }[] = [
  {
    name: "attrs that are not an object",
    snapshot: { version: 2, lineage: "l", serial: 1, instance: meta, resources: { "file.a": { address: "file.a", type: "file", attrs: "x", output: {}, dependsOn: [] } } },
    message: /does not match the state schema \(\/resources\/file\.a\/attrs must be object\)\. Restore it from .*state\.json\.backup, or move it away to start over\.$/,
  },
  {
    name: "a negative slot",
    snapshot: { version: 2, lineage: "l", serial: 1, instance: { ...meta, slot: -1 }, resources: {} },
    message: /does not match the state schema \(\/instance\/slot must be >= 0\)/,
  },
  {
    name: "an unknown field on a resource",
    snapshot: { version: 2, lineage: "l", serial: 1, instance: meta, resources: { "file.a": { address: "file.a", type: "file", attrs: {}, output: {}, dependsOn: [], extra: 1 } } },
    message: /must NOT have additional properties/,
  },
  { name: "no lineage", snapshot: { version: 2, serial: 1, instance: meta, resources: {} }, message: /is not an sbx state file\. Restore it from .*\.backup, or move it away to start over\./ },
  { name: "no resources", snapshot: { version: 2, lineage: "l", serial: 1, instance: meta }, message: /is not an sbx state file/ },
  { name: "a JSON array", snapshot: [], message: /is not an sbx state file/ },
];

for (const c of invalid)
  test(`load refuses a schema-invalid snapshot: ${c.name}`, () => {
    throwsState(() => storeWith(JSON.stringify(c.snapshot)).load(), c.message);
  });

test("load refuses a snapshot that is not JSON, pointing at the backup", () => {
  const store = storeWith('{"version": 2, "lin');
  throwsState(() => store.load(), /^State file .*state\.json is not valid JSON\. Restore it from .*state\.json\.backup\.$/);
});

test("migrateState is the same check load uses", () => {
  assert.throws(
    () => migrateState({ version: 99, lineage: "l", resources: {} }, "f.json"),
    (e: unknown) => e instanceof StateError && /newer sbx/.test((e as Error).message),
  );
});

// ---- the state dir vanishing ----

test("the state dir disappearing while running makes append and commit throw StateError (and recreates nothing)", () => {
  const store = freshStore();
  const s = store.load().state;
  store.commit(s);
  fs.rmSync(store.dir, { recursive: true, force: true });
  const vanished = /^The state directory .* disappeared while sbx was running\. What this run created is still running; run `sbx destroy` \(it finds it by owner labels\) or `sbx apply` again\.$/;
  throwsState(() => store.append({ op: "intent", address: "file.a", action: "create" }), vanished);
  throwsState(() => store.commit(s), vanished);
  assert.not.ok(fs.existsSync(store.dir));
});

test("append with no entries writes nothing (not even the journal file)", () => {
  const store = freshStore();
  store.append();
  assert.not.ok(fs.existsSync(store.journal));
});

test.run();
