// `sbx serve` over real HTTP: the token is required (401 otherwise), five concurrent
// creates from a profile get five distinct slots and five working servers, get/list show
// how to reach them, extend-ttl moves the expiry, the reaper enforces a short TTL, delete
// destroys, and /openapi.json is the committed docs/openapi.json.

import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { httpGet, newHome, readRegistry, ROOT, sbxSpawn, SERVER_JS, tmpdir, waitFor } from "../helpers/sbx.js";
import { TINY_PROFILE } from "../helpers/profiles.js";

interface Server {
  child: ChildProcess;
  base: string;
  token: string;
  output: () => string;
  stop(): Promise<void>;
}

async function serve(home: string, extra: string[] = []): Promise<Server> {
  const child = sbxSpawn(["serve", "--listen", "127.0.0.1:0", ...extra], { cwd: home, home });
  let output = "";
  child.stdout!.on("data", (c: Buffer) => (output += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  await waitFor(() => /listening on http:\/\/\S+/.test(output) || child.exitCode !== null, 15_000, "sbx serve to listen");
  const m = /listening on (http:\/\/\S+)/.exec(output);
  if (!m) throw new Error(`sbx serve did not start:\n${output}`);
  const token = fs.readFileSync(path.join(home, "api-token"), "utf8").trim();
  return {
    child,
    base: m[1]!,
    token,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function call(s: Server, method: string, route: string, opts: { body?: unknown; token?: string | null } = {}): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  const token = opts.token === undefined ? s.token : opts.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  const r = await fetch(`${s.base}${route}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: AbortSignal.timeout(60_000) });
  return { status: r.status, json: (await r.json()) as Record<string, unknown>, headers: r.headers };
}

function homeWithProfile(base: number): string {
  const home = newHome();
  fs.mkdirSync(path.join(home, "profiles"));
  fs.writeFileSync(path.join(home, "profiles", "tiny.toml"), TINY_PROFILE(base));
  return home;
}

function workdir(): string {
  const dir = tmpdir("sbx-agent-");
  fs.writeFileSync(path.join(dir, "server.mjs"), SERVER_JS);
  return dir;
}

test("no token or a wrong one is 401; the token file is 0600; /openapi.json is docs/openapi.json", async () => {
  const home = homeWithProfile(49000);
  const s = await serve(home, ["--reap-interval", "0"]);
  try {
    assert.is(fs.statSync(path.join(home, "api-token")).mode & 0o777, 0o600);
    for (const token of [null, "wrong", `${s.token}x`]) {
      const r = await call(s, "GET", "/v1/sandboxes", { token });
      assert.is(r.status, 401, `token ${token}`);
      assert.is(r.json.error, "Unauthorized");
      assert.match(r.headers.get("www-authenticate") ?? "", "Bearer");
    }
    const create = await call(s, "POST", "/v1/sandboxes", { token: null, body: { dir: workdir(), profile: "tiny", inputs: { greeting: "x" } } });
    assert.is(create.status, 401);
    assert.equal(readRegistry(home).slots, {}, "nothing was created");
    assert.is((await call(s, "GET", "/v1/sandboxes")).status, 200);
    const doc = await httpGet(`${s.base}/openapi.json`);
    assert.is(doc.status, 200);
    assert.equal(JSON.parse(doc.body), JSON.parse(fs.readFileSync(path.join(ROOT, "docs", "openapi.json"), "utf8")));
  } finally {
    await s.stop();
  }
});

test("five concurrent creates from a profile: five slots, five working servers; get, list, extend-ttl, delete", async () => {
  const home = homeWithProfile(50000);
  const s = await serve(home, ["--reap-interval", "0"]);
  try {
    const dirs = [0, 1, 2, 3, 4].map(() => workdir());
    const made = await Promise.all(dirs.map((dir, i) => call(s, "POST", "/v1/sandboxes", { body: { dir, profile: "tiny-web", inputs: { greeting: `agent-${i}` } } })));
    for (const m of made) assert.is(m.status, 201, JSON.stringify(m.json));
    const sandboxes = made.map((m) => m.json.sandbox as { instance: string; slot: number; ports: { API_PORT: number }; urls: { url: string }[]; ttl: string; expires_at: string });
    assert.is(new Set(sandboxes.map((x) => x.slot)).size, 5, "distinct slots");
    for (const [i, x] of sandboxes.entries()) {
      const r = await httpGet(`http://127.0.0.1:${x.ports.API_PORT}/`);
      assert.equal(JSON.parse(r.body), { ok: true, name: `agent-${i}` });
      assert.is(x.ttl, "30m");
    }
    const list = await call(s, "GET", "/v1/sandboxes");
    assert.is((list.json.sandboxes as unknown[]).length, 5);
    const one = await call(s, "GET", `/v1/sandboxes/${sandboxes[2]!.instance}`);
    assert.is(one.status, 200);
    assert.is((one.json.reachability as { worktree: string }).worktree, dirs[2]);
    assert.ok((one.json.resources as { address: string; state: string }[]).some((r) => r.address === "process.api" && r.state === "running"));
    // extend-ttl moves the expiry (in the registry and the worktree's file).
    const ext = await call(s, "POST", `/v1/sandboxes/${sandboxes[0]!.instance}/extend-ttl`, { body: { duration: "3h" } });
    assert.is(ext.status, 200, JSON.stringify(ext.json));
    assert.ok(Date.parse(ext.json.expires_at as string) - Date.now() > 2.9 * 3600_000);
    const file = JSON.parse(fs.readFileSync(path.join(dirs[0]!, ".sbx", "sandbox.json"), "utf8")) as { expires_at: string };
    assert.is(file.expires_at, ext.json.expires_at);
    assert.is((await call(s, "POST", `/v1/sandboxes/${sandboxes[0]!.instance}/extend-ttl`, { body: { duration: "later" } })).status, 400);
    assert.is((await call(s, "GET", "/v1/sandboxes/nope-00000000")).status, 404);
    // Mistakes are answers, never crashes.
    assert.is((await call(s, "POST", "/v1/sandboxes", { body: { profile: "tiny" } })).status, 400);
    assert.is((await call(s, "POST", "/v1/sandboxes", { body: { dir: "/nonexistent-dir", profile: "tiny" } })).status, 400);
    const noInput = await call(s, "POST", "/v1/sandboxes", { body: { dir: workdir(), profile: "tiny" } });
    assert.is(noInput.status, 422);
    assert.match(JSON.stringify(noInput.json.diagnostics), "Input `greeting' is required");
    // Delete all five, concurrently.
    const gone = await Promise.all(sandboxes.map((x) => call(s, "DELETE", `/v1/sandboxes/${x.instance}`)));
    for (const [i, g] of gone.entries()) {
      assert.is(g.status, 200, JSON.stringify(g.json));
      assert.is(g.json.released_slot, sandboxes[i]!.slot);
    }
    assert.equal(readRegistry(home).slots, {});
    assert.not.match(s.output(), "internal error");
  } finally {
    await s.stop();
  }
});

test("the server's reaper enforces a short TTL", async () => {
  const home = homeWithProfile(51000);
  const s = await serve(home, ["--reap-interval", "1s"]);
  try {
    const keep = await call(s, "POST", "/v1/sandboxes", { body: { dir: workdir(), profile: "tiny", inputs: { greeting: "keep" } } });
    const brief = await call(s, "POST", "/v1/sandboxes", { body: { dir: workdir(), profile: "tiny", inputs: { greeting: "brief" }, ttl: "3s" } });
    assert.is(keep.status, 201, JSON.stringify(keep.json));
    assert.is(brief.status, 201, JSON.stringify(brief.json));
    const b = brief.json.sandbox as { instance: string; ports: { API_PORT: number } };
    const k = keep.json.sandbox as { instance: string };
    await waitFor(() => !Object.values(readRegistry(home).slots).some((c) => c.instance === b.instance), 15_000, "the reaper to destroy the expired sandbox");
    await waitFor(() => s.output().includes(`destroyed expired ${b.instance}`), 5000, "the reaper's log line");
    assert.ok(Object.values(readRegistry(home).slots).some((c) => c.instance === k.instance), "the other one stays");
    const events = fs.readFileSync(path.join(home, "events.jsonl"), "utf8");
    assert.match(events, new RegExp(`"event":"expired","instance":"${b.instance}"`));
    assert.is((await call(s, "DELETE", `/v1/sandboxes/${k.instance}`)).status, 200);
  } finally {
    await s.stop();
  }
});

test.run();
