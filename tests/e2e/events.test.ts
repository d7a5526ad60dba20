// Lifecycle events from the built CLI: one line per transition in $SBX_HOME/events.jsonl,
// the same bodies POSTed to events.url; a slow or absent receiver does not hold apply up
// beyond the bounded wait, and what it missed reaches it later from the outbox.

import * as fs from "node:fs";
import * as http from "node:http";
import type * as net from "node:net";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { makeRepo, newHome, readRegistry, sbx, serviceProject } from "../helpers/sbx.js";

interface Receiver {
  port: number;
  bodies: string[];
  delayMs: number;
  close(): Promise<void>;
}

function receiver(port = 0): Promise<Receiver> {
  const r: Receiver = { port, bodies: [], delayMs: 0, close: async () => undefined };
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      r.bodies.push(body);
      const t = setTimeout(() => res.writeHead(204).end(), r.delayMs);
      res.on("close", () => clearTimeout(t));
    });
  });
  r.close = () =>
    new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      r.port = (server.address() as net.AddressInfo).port;
      resolve(r);
    });
  });
}

const lines = (home: string, file = "events.jsonl") =>
  fs.existsSync(path.join(home, file))
    ? fs
        .readFileSync(path.join(home, file), "utf8")
        .trim()
        .split("\n")
        .filter(Boolean)
    : [];
const parsed = (l: string) => JSON.parse(l) as { id: string; event: string; instance: string; slot?: number | null };

function homeWithEvents(port: number): string {
  const home = newHome();
  fs.writeFileSync(path.join(home, "config.toml"), `[events]\nurl = "http://127.0.0.1:${port}/sbx"\ntimeout = "500ms"\nretries = 1\nwait = "1s"\n`);
  return home;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = Date.now();
  const value = await fn();
  return { ms: Date.now() - t0, value };
}

test("one line per transition, each POSTed as written; destroyed carries the slot it released", async () => {
  const rx = await receiver();
  try {
    const repo = makeRepo(serviceProject({ name: "ev", base: 46000 }));
    const home = homeWithEvents(rx.port);
    const a = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
    assert.is(a.code, 0, a.stderr);
    const slot = Object.values(readRegistry(home).slots)[0]!.slot;
    assert.is((await sbx(["apply", "--auto-approve"], { cwd: repo, home })).code, 0); // no changes: no transition
    assert.is((await sbx(["destroy", "--auto-approve"], { cwd: repo, home })).code, 0);
    const evs = lines(home).map(parsed);
    assert.equal(
      evs.map((e) => e.event),
      ["apply-started", "apply-complete", "ready", "destroyed"],
    );
    assert.is(evs[3]!.slot, slot);
    assert.equal([...rx.bodies].sort(), [...lines(home)].sort(), "the receiver got exactly the lines");
    assert.equal(lines(home, "events-outbox.jsonl"), []);
  } finally {
    await rx.close();
  }
});

test("a slow receiver and an absent one delay apply by at most the bounded wait; the outbox delivers later", async () => {
  const repo = makeRepo(serviceProject({ name: "evslow", base: 47000 }));
  // Reference: the same apply with a receiver that answers at once.
  const fast = await receiver();
  const fastHome = homeWithEvents(fast.port);
  const ref = await timed(() => sbx(["apply", "--auto-approve"], { cwd: repo, home: fastHome }));
  assert.is(ref.value.code, 0, ref.value.stderr);
  assert.is((await sbx(["destroy", "--auto-approve"], { cwd: repo, home: fastHome })).code, 0);
  await fast.close();
  const slow = await receiver();
  slow.delayMs = 20_000;
  try {
    const home = homeWithEvents(slow.port);
    const s = await timed(() => sbx(["apply", "--auto-approve"], { cwd: repo, home }));
    assert.is(s.value.code, 0, s.value.stderr);
    assert.ok(s.ms < ref.ms + 1000 + 2000, `slow receiver: ${s.ms} ms against ${ref.ms} ms plus the 1 s wait`);
    assert.equal(lines(home).map((l) => parsed(l).event), ["apply-started", "apply-complete", "ready"]);
    assert.ok(slow.bodies.length >= 3, "the slow receiver was sent every event");
    assert.is(lines(home, "events-outbox.jsonl").length, 3, "unacknowledged: kept for later");
    // Now nothing listens there at all.
    const port = slow.port;
    await slow.close();
    const d = await timed(() => sbx(["destroy", "--auto-approve"], { cwd: repo, home }));
    assert.is(d.value.code, 0, d.value.stderr);
    assert.ok(d.ms < ref.ms + 1000 + 2000, `absent receiver: ${d.ms} ms`);
    assert.is(lines(home, "events-outbox.jsonl").length, 4);
    // The receiver is back (same port): the next event brings the backlog along.
    const back = await receiver(port);
    try {
      assert.is((await sbx(["apply", "--auto-approve"], { cwd: repo, home })).code, 0);
      const want = lines(home).map((l) => parsed(l).id);
      const got = new Set(back.bodies.map((b) => parsed(b).id));
      assert.equal(
        want.filter((id) => !got.has(id)),
        [],
        "every event reached the receiver",
      );
      assert.equal(lines(home, "events-outbox.jsonl"), []);
      assert.is((await sbx(["destroy", "--auto-approve"], { cwd: repo, home })).code, 0);
    } finally {
      await back.close();
    }
  } finally {
    await slow.close();
  }
});

test("a broken host config is a located error, not a silent drop", async () => {
  const repo = makeRepo(serviceProject({ name: "evbad", base: 48000 }));
  const home = newHome();
  fs.writeFileSync(path.join(home, "config.toml"), '[events]\nurl = "not a url"\n');
  const r = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
  assert.is(r.code, 1);
  assert.match(r.stderr, `${path.join(home, "config.toml")}:2:7: error: Invalid URL for \`events.url'`);
  assert.equal(readRegistry(home).slots, {});
});

test.run();
