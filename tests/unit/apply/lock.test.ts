// Exclusive locks (src/apply/lock.ts) between real processes: a held lock fails fast
// naming its holder; a dead holder's lock is taken over; two waiters racing on one dead
// holder never hold the lock at the same time.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { acquireLock, LockHeldError, type LockInfo } from "../../../src/apply/lock.js";
import { runTs, srcModule, type TsChild } from "../../helpers/child.js";
import { tmpdir } from "../../helpers/sbx.js";

/** A child that takes the lock on `base`, says "locked", and holds it until killed. */
function holder(base: string): TsChild {
  return runTs(`import { acquireLock } from ${srcModule("apply/lock.ts")};
await acquireLock(${JSON.stringify(base)}, { what: "The test lock", command: "holder", timeoutMs: 10_000, warn: () => undefined });
process.stdout.write("locked\\n");
setInterval(() => {}, 1000);`);
}

/** Start a holder, wait until it has the lock, then SIGKILL it (no cleanup runs). */
async function deadHolder(base: string): Promise<number> {
  const h = holder(base);
  await h.printed("locked");
  h.child.kill("SIGKILL");
  const r = await h.done;
  assert.is(r.signal, "SIGKILL");
  return h.child.pid!;
}

test("a lock held by a live process fails fast with LockHeldError naming the pid, host and command", async () => {
  const base = path.join(tmpdir("sbx-lock-"), "instance");
  const h = holder(base);
  try {
    await h.printed("locked");
    try {
      await acquireLock(base, { what: "The test lock", command: "waiter", timeoutMs: 0, warn: () => undefined });
      assert.unreachable("took a lock that is held");
    } catch (e) {
      assert.instance(e, LockHeldError);
      const err = e as LockHeldError;
      assert.is(err.info?.pid, h.child.pid);
      assert.is(err.info?.command, "holder");
      assert.match(
        err.message,
        new RegExp(`^The test lock is locked by pid ${h.child.pid} on ${os.hostname()} \\(holder\\) since \\S+\\. Wait for it to finish, or pass --lock-timeout=30s to wait\\.$`),
      );
    }
  } finally {
    h.child.kill("SIGTERM");
    await h.done;
  }
});

test("a lock in this process is exclusive until released, and free again after", async () => {
  const base = path.join(tmpdir("sbx-lock-"), "instance");
  const release = await acquireLock(base, { what: "The test lock", command: "first", timeoutMs: 0, warn: () => undefined });
  const info = JSON.parse(fs.readFileSync(`${base}.lock.info`, "utf8")) as LockInfo;
  assert.is(info.pid, process.pid);
  assert.is(info.command, "first");
  try {
    await acquireLock(base, { what: "The test lock", command: "second", timeoutMs: 0, warn: () => undefined });
    assert.unreachable("took a held lock");
  } catch (e) {
    assert.instance(e, LockHeldError);
  }
  release();
  release(); // twice is harmless (exit handler plus normal path)
  assert.not.ok(fs.existsSync(`${base}.lock`));
  assert.not.ok(fs.existsSync(`${base}.lock.info`));
  (await acquireLock(base, { what: "The test lock", command: "third", timeoutMs: 0, warn: () => undefined }))();
});

test("a dead holder's lock is taken over at once (its info names a pid that no longer runs)", async () => {
  const base = path.join(tmpdir("sbx-lock-"), "instance");
  const dead = await deadHolder(base);
  assert.ok(fs.existsSync(`${base}.lock`), "SIGKILL left the lock behind");
  assert.is((JSON.parse(fs.readFileSync(`${base}.lock.info`, "utf8")) as LockInfo).pid, dead);
  const release = await acquireLock(base, { what: "The test lock", command: "taker", timeoutMs: 0, warn: () => undefined });
  assert.is((JSON.parse(fs.readFileSync(`${base}.lock.info`, "utf8")) as LockInfo).pid, process.pid);
  release();
});

test("waiting: a lock released by its live holder is taken within the timeout", async () => {
  const base = path.join(tmpdir("sbx-lock-"), "instance");
  const h = holder(base);
  await h.printed("locked");
  const waiting = acquireLock(base, { what: "The test lock", command: "waiter", timeoutMs: 30_000, warn: () => undefined });
  h.child.kill("SIGTERM");
  await h.done;
  (await waiting)();
});

test("two waiters racing on one dead holder never hold the lock at the same time", async () => {
  // One holder takes a lock per round and dies. Two waiter processes then race for each
  // round's lock, starting together at a shared instant, and log entering and leaving.
  const dir = tmpdir("sbx-lock-race-");
  const rounds = 20;
  const bases = Array.from({ length: rounds }, (_, r) => path.join(dir, `round-${r}`));
  const h = runTs(`import { acquireLock } from ${srcModule("apply/lock.ts")};
for (const b of ${JSON.stringify(bases)}) await acquireLock(b, { what: "lock", command: "holder", timeoutMs: 10_000, warn: () => undefined });
process.stdout.write("locked\\n");
setInterval(() => {}, 1000);`);
  await h.printed("locked");
  h.child.kill("SIGKILL");
  await h.done;
  const log = path.join(dir, "log");
  const start = Date.now() + 3000; // after both waiters have started (tsx takes a while)
  const waiter = () =>
    runTs(`import * as fs from "node:fs";
import { acquireLock } from ${srcModule("apply/lock.ts")};
const bases = ${JSON.stringify(bases)};
for (let r = 0; r < bases.length; r++) {
  // A shared start instant per round, so both waiters find the dead holder together.
  const at = ${start} + r * 200;
  while (Date.now() < at) await new Promise((res) => setTimeout(res, 1));
  const release = await acquireLock(bases[r], { what: "lock", command: "waiter", timeoutMs: 20_000, warn: () => undefined });
  fs.appendFileSync(${JSON.stringify(log)}, "enter " + r + " " + process.pid + "\\n");
  await new Promise((res) => setTimeout(res, 50));
  fs.appendFileSync(${JSON.stringify(log)}, "leave " + r + " " + process.pid + "\\n");
  release();
}`);
  const results = await Promise.all([waiter(), waiter()].map((w) => w.done));
  for (const r of results) assert.is(r.code, 0, r.stderr);
  const lines = fs.readFileSync(log, "utf8").trim().split("\n");
  for (let r = 0; r < rounds; r++) {
    const mine = lines.filter((l) => l.split(" ")[1] === String(r)).map((l) => l.split(" "));
    assert.is(mine.length, 4, `round ${r}: every waiter got the lock once`);
    // enter A, leave A, enter B, leave B: nobody enters while someone is inside.
    assert.equal(
      mine.map((m) => m[0]),
      ["enter", "leave", "enter", "leave"],
      `round ${r}: ${mine.map((m) => m.join(" ")).join(", ")}`,
    );
    for (let i = 0; i < mine.length; i += 2) assert.is(mine[i]![2], mine[i + 1]![2], "each leave follows its own enter");
    assert.is(new Set(mine.map((m) => m[2])).size, 2);
  }
});

test.run();
