// Lifecycle events, one JSON line per transition in $SBX_HOME/events.jsonl (redacted).
// With events.url set ($SBX_HOME/config.toml or SBX_EVENTS_URL) the same line is POSTed
// there: in the background, with retries and a deadline per attempt, never holding up the
// command. At its end a command waits a bounded time (events.wait) for what is still in
// flight; what is left goes to an outbox that the next delivery sends first.

import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import type { HostConfig } from "../compile/host-config.js";
import { SBX_VERSION } from "../version.js";
import { hostPaths } from "./host.js";
import { loadHostConfig } from "./host-config.js";
import { globalRedactor } from "./secrets/redact.js";

/**
 * Every transition, in one vocabulary: apply, destroy, expire, gc, stop and start emit them;
 * `snapshot` and `restored` are emitted by snapshots.
 */
export const EVENT_NAMES = ["apply-started", "apply-complete", "apply-failed", "ready", "destroyed", "expired", "collected", "snapshot", "restored", "stopped", "started"] as const;
export type EventName = (typeof EVENT_NAMES)[number];

export interface EventBody {
  event: EventName;
  instance: string;
  [key: string]: unknown;
}

/** At most this many undelivered events are kept for later (the oldest go first). */
const OUTBOX_LIMIT = 1000;
/** Sent again per new event, so a long backlog never opens a thousand connections at once. */
const OUTBOX_BATCH = 50;

interface Delivery {
  line: string;
  abort: AbortController;
  settled: boolean;
  /** Written to the outbox already (a delivery goes there at most once). */
  parked: boolean;
  done: Promise<void>;
}

interface Sink {
  home: string;
  url: string;
  events: HostConfig["events"];
  inflight: Set<Delivery>;
}

const sinks = new Map<string, Sink | null>();

function outboxFile(home: string): string {
  return path.join(home, "events-outbox.jsonl");
}

/** The sink of a home: its events settings, read once per process. A broken host config means no POSTs (commands report it). */
function sinkFor(home: string): Sink | null {
  if (sinks.has(home)) return sinks.get(home)!;
  const { config, diags } = loadHostConfig(home, process.env);
  const sink = config.events.url && !diags.some((d) => d.severity === "error") ? { home, url: config.events.url, events: config.events, inflight: new Set<Delivery>() } : null;
  sinks.set(home, sink);
  return sink;
}

/** Forget cached host settings (tests, and `sbx serve` after config.toml changes). */
export function resetEventSinks(): void {
  sinks.clear();
}

export function appendEvent(home: string, event: EventBody): void {
  fs.mkdirSync(home, { recursive: true });
  const line = globalRedactor.redact(JSON.stringify({ id: randomUUID(), at: new Date().toISOString(), ...event }));
  fs.appendFileSync(hostPaths.events(home), line + "\n", { mode: 0o600 });
  const sink = sinkFor(home);
  if (!sink) return;
  for (const old of claimOutbox(home)) deliver(sink, old);
  deliver(sink, line);
}

/** Take the outbox over (rename is atomic: of two processes only one gets each batch). */
function claimOutbox(home: string): string[] {
  const file = outboxFile(home);
  const claimed = `${file}.${process.pid}-${randomUUID().slice(0, 8)}`;
  try {
    fs.renameSync(file, claimed);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  const lines = fs.readFileSync(claimed, "utf8").split("\n").filter((l) => l.trim() !== "").slice(-OUTBOX_LIMIT);
  const rest = lines.slice(OUTBOX_BATCH);
  if (rest.length) fs.appendFileSync(file, rest.join("\n") + "\n", { mode: 0o600 });
  fs.rmSync(claimed, { force: true });
  return lines.slice(0, OUTBOX_BATCH);
}

function park(d: Delivery, home: string): void {
  if (d.parked) return;
  d.parked = true;
  fs.appendFileSync(outboxFile(home), d.line + "\n", { mode: 0o600 });
}

function deliver(sink: Sink, line: string): void {
  const abort = new AbortController();
  const d: Delivery = { line, abort, settled: false, parked: false, done: Promise.resolve() };
  sink.inflight.add(d);
  d.done = (async () => {
    const attempts = 1 + sink.events.retries;
    for (let i = 0; i < attempts && !abort.signal.aborted; i++) {
      const outcome = await post(sink.url, line, sink.events.timeoutMs, abort.signal);
      if (outcome === "delivered" || outcome === "refused") return; // refused: a 4xx the receiver will never accept
      if (i + 1 < attempts) await sleep(250 * 2 ** i, abort.signal);
    }
    if (!abort.signal.aborted) park(d, sink.home);
  })().finally(() => {
    d.settled = true;
    sink.inflight.delete(d);
  });
}

type PostOutcome = "delivered" | "refused" | "retry";

/** One attempt: a 2xx delivers; 408, 429, 5xx, a network error or the deadline retry. */
function post(url: string, body: string, timeoutMs: number, signal: AbortSignal): Promise<PostOutcome> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve("retry");
    const u = new URL(url);
    const mod = u.protocol === "https:" ? https : http;
    let finished = false;
    const end = (o: PostOutcome) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      resolve(o);
    };
    const req = mod.request(u, {
      method: "POST",
      agent: false,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), "user-agent": `sbx/${SBX_VERSION}` },
    });
    const timer = setTimeout(() => req.destroy(new Error("timed out")), timeoutMs);
    const onAbort = () => req.destroy(new Error("aborted"));
    signal.addEventListener("abort", onAbort);
    req.on("response", (res) => {
      res.resume();
      const s = res.statusCode ?? 0;
      end(s >= 200 && s < 300 ? "delivered" : s === 408 || s === 429 || s >= 500 ? "retry" : "refused");
    });
    req.on("error", () => end("retry")); // network error, timeout or abort: the caller retries or parks it
    req.end(body);
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done);
  });
}

/**
 * Wait up to `waitMs` (default: events.wait) for deliveries in flight; then stop the
 * rest and keep them in the outbox. Returns how many were parked.
 */
export async function drainEvents(waitMs?: number): Promise<number> {
  let parked = 0;
  for (const sink of sinks.values()) {
    if (!sink || !sink.inflight.size) continue;
    const pending = [...sink.inflight];
    const limit = waitMs ?? sink.events.waitMs;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(pending.map((d) => d.done)), new Promise<void>((r) => (timer = setTimeout(r, limit)))]);
    clearTimeout(timer);
    for (const d of pending) {
      if (d.settled) continue;
      park(d, sink.home);
      d.abort.abort();
      parked++;
    }
    await Promise.all(pending.map((d) => d.done));
  }
  return parked;
}
