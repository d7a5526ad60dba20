// Lifecycle events (src/apply/events.ts) against a real local HTTP receiver: every line
// is POSTed as written, a slow or absent receiver costs at most the bounded wait, what was
// not delivered goes to the outbox and out again with the next event, 5xx retries, 4xx
// does not, and secrets are masked in the body as in the file.

import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { appendEvent, drainEvents, resetEventSinks } from "../../../src/apply/events.js";
import { globalRedactor } from "../../../src/apply/secrets/redact.js";
import { newHome } from "../../helpers/sbx.js";

interface Receiver {
  url: string;
  bodies: string[];
  /** Answer with this status after this delay. */
  behave: { status: number; delayMs: number };
  close(): Promise<void>;
}

function receiver(): Promise<Receiver> {
  const r: Receiver = { url: "", bodies: [], behave: { status: 204, delayMs: 0 }, close: async () => undefined };
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      r.bodies.push(body);
      const t = setTimeout(() => res.writeHead(r.behave.status).end(), r.behave.delayMs);
      res.on("close", () => clearTimeout(t));
    });
  });
  r.close = () =>
    new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => {
      r.url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/hook`;
      resolve(r);
    }),
  );
}

/** A home whose config.toml POSTs events to `url`. */
function homeFor(url: string, extra = ""): string {
  const home = newHome();
  fs.writeFileSync(path.join(home, "config.toml"), `[events]\nurl = "${url}"\ntimeout = "300ms"\nretries = 2\nwait = "500ms"\n${extra}`);
  resetEventSinks();
  return home;
}

const lines = (home: string, file = "events.jsonl") => (fs.existsSync(path.join(home, file)) ? fs.readFileSync(path.join(home, file), "utf8").trim().split("\n").filter(Boolean) : []);

async function until(fn: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("each event is one line in events.jsonl and the same body POSTed", async () => {
  delete process.env.SBX_EVENTS_URL;
  const rx = await receiver();
  try {
    const home = homeFor(rx.url);
    appendEvent(home, { event: "apply-started", instance: "a-1", slot: 3 });
    appendEvent(home, { event: "destroyed", instance: "a-1", slot: 3 });
    assert.is(await drainEvents(), 0);
    const file = lines(home);
    assert.is(file.length, 2);
    assert.equal([...rx.bodies].sort(), [...file].sort());
    const ev = JSON.parse(file[1]!) as { id: string; at: string; event: string; slot: number };
    assert.equal([ev.event, ev.slot], ["destroyed", 3]);
    assert.match(ev.id, /^[0-9a-f-]{36}$/);
    assert.is(lines(home, "events-outbox.jsonl").length, 0);
  } finally {
    await rx.close();
  }
});

test("a slow receiver costs at most the bounded wait; the event waits in the outbox and goes out with the next one", async () => {
  const rx = await receiver();
  try {
    const home = homeFor(rx.url);
    rx.behave = { status: 204, delayMs: 5000 };
    const t0 = Date.now();
    appendEvent(home, { event: "apply-complete", instance: "s-1" });
    const appendMs = Date.now() - t0;
    const parked = await drainEvents();
    const total = Date.now() - t0;
    assert.ok(appendMs < 200, `appendEvent returned at once (${appendMs} ms)`);
    assert.ok(total < 1500, `bounded by the 500 ms wait (took ${total} ms)`);
    assert.is(parked, 1);
    assert.ok(rx.bodies.length >= 1, "the slow receiver got the body");
    const outbox = lines(home, "events-outbox.jsonl");
    assert.is(outbox.length, 1);
    // The receiver is fast again: the next event carries the outbox along.
    rx.behave = { status: 200, delayMs: 0 };
    rx.bodies.length = 0;
    appendEvent(home, { event: "ready", instance: "s-1" });
    assert.is(await drainEvents(), 0);
    const ids = rx.bodies.map((b) => (JSON.parse(b) as { id: string }).id);
    const fileIds = lines(home).map((l) => (JSON.parse(l) as { id: string }).id);
    assert.equal([...ids].sort(), [...fileIds].sort());
    assert.is(lines(home, "events-outbox.jsonl").length, 0);
  } finally {
    await rx.close();
  }
});

test("a receiver that is down: retries within the wait, then the outbox; never an exception", async () => {
  const rx = await receiver();
  const url = rx.url;
  await rx.close(); // nothing listens there now
  const home = homeFor(url);
  const t0 = Date.now();
  appendEvent(home, { event: "expired", instance: "d-1", slot: 1 });
  appendEvent(home, { event: "collected", instance: "d-2", slot: 2 });
  await drainEvents();
  assert.ok(Date.now() - t0 < 1500, `bounded (took ${Date.now() - t0} ms)`);
  assert.is(lines(home).length, 2);
  assert.is(lines(home, "events-outbox.jsonl").length, 2);
});

test("5xx is retried; a 4xx the receiver will never accept is not", async () => {
  const rx = await receiver();
  try {
    const home = homeFor(rx.url, "");
    rx.behave = { status: 503, delayMs: 0 };
    appendEvent(home, { event: "apply-failed", instance: "r-1" });
    await until(() => rx.bodies.length >= 2);
    await drainEvents();
    assert.ok(rx.bodies.length >= 2 && rx.bodies.length <= 3, `retried (${rx.bodies.length} attempts of at most 3)`);
    rx.bodies.length = 0;
    fs.rmSync(path.join(home, "events-outbox.jsonl"), { force: true });
    rx.behave = { status: 400, delayMs: 0 };
    appendEvent(home, { event: "apply-failed", instance: "r-2" });
    await drainEvents();
    assert.is(rx.bodies.length, 1);
    assert.is(lines(home, "events-outbox.jsonl").length, 0);
  } finally {
    await rx.close();
  }
});

test("no secret value in the file or the POST body", async () => {
  const rx = await receiver();
  try {
    const home = homeFor(rx.url);
    globalRedactor.add("hunter2-very-secret");
    appendEvent(home, { event: "apply-failed", instance: "x-1", failures: ["process.api: token hunter2-very-secret rejected"] });
    await drainEvents();
    assert.not.match(fs.readFileSync(path.join(home, "events.jsonl"), "utf8"), "hunter2");
    assert.is(rx.bodies.length, 1);
    assert.not.match(rx.bodies[0]!, "hunter2");
    assert.match(rx.bodies[0]!, "********");
  } finally {
    await rx.close();
  }
});

test("a long backlog goes out 50 at a time, one batch with each new event", async () => {
  const rx = await receiver();
  try {
    const home = homeFor(rx.url);
    const backlog = Array.from({ length: 120 }, (_, i) => JSON.stringify({ id: `old-${i}`, event: "destroyed", instance: "b" }));
    fs.writeFileSync(path.join(home, "events-outbox.jsonl"), backlog.join("\n") + "\n");
    appendEvent(home, { event: "ready", instance: "b" });
    await drainEvents();
    assert.is(rx.bodies.length, 51);
    assert.is(lines(home, "events-outbox.jsonl").length, 70);
    assert.ok(rx.bodies.some((b) => b.includes('"old-0"')), "oldest first");
  } finally {
    await rx.close();
  }
});

test("no events.url: only the file, nothing to wait for", async () => {
  const home = newHome();
  resetEventSinks();
  appendEvent(home, { event: "destroyed", instance: "n-1", slot: null });
  assert.is(await drainEvents(), 0);
  assert.is(lines(home).length, 1);
});

test.run();
