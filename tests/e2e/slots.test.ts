// Slots under pressure: concurrent applies, busy ports skipped on a new claim, a foreign
// program on a held slot's port reported before anything starts, and crash safety.

import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { addWorktree, instanceIdOf, makeRepo, newHome, ownedPids, portOpen, readRegistry, sbx, sbxSpawn, serviceProject, waitFor } from "../helpers/sbx.js";

/** `p`, or a failure after `ms`: no wait without a deadline. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms).unref())]);
}

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(port, "127.0.0.1", () => resolve(s));
  });
}

test("applies started at once in different worktrees get distinct slots", async () => {
  const repo = makeRepo(serviceProject({ name: "race", base: 21000 }));
  const wts = [repo, addWorktree(repo, "b"), addWorktree(repo, "c"), addWorktree(repo, "d")];
  const home = newHome();
  const results = await Promise.all(wts.map((cwd) => sbx(["apply", "--auto-approve"], { cwd, home })));
  for (const r of results) assert.is(r.code, 0, r.stderr + r.stdout);
  const claims = Object.values(readRegistry(home).slots);
  assert.is(claims.length, 4);
  assert.is(new Set(claims.map((c) => c.slot)).size, 4, "distinct slots");
  for (const c of claims) assert.ok(await portOpen(c.ports.API_PORT!), `slot ${c.slot} serving`);
  await Promise.all(wts.map((cwd) => sbx(["destroy", "--auto-approve"], { cwd, home })));
  assert.equal(readRegistry(home).slots, {});
});

test("a new claim skips a slot whose port is busy, as kinfra does", async () => {
  const repo = makeRepo(serviceProject({ name: "busy", base: 22000 }));
  const home = newHome();
  const blocker = await listen(22010); // slot 1's API_PORT
  try {
    const r = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stdout, "slot 2 will be claimed");
    const claim = Object.values(readRegistry(home).slots)[0]!;
    assert.is(claim.slot, 2);
    assert.is(claim.ports.API_PORT, 22020);
  } finally {
    blocker.close();
    await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
  }
});

test("a foreign program on a held slot's port is reported with its number before anything starts", async () => {
  const repo = makeRepo(serviceProject({ name: "foreign", base: 23000, services: ["api", "web"] }));
  const home = newHome();
  assert.is((await sbx(["apply", "--auto-approve"], { cwd: repo, home })).code, 0);
  const claim = Object.values(readRegistry(home).slots)[0]!;
  for (const pid of ownedPids(claim.instance)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      continue; // already gone with its group
    }
  }
  await waitFor(async () => !(await portOpen(claim.ports.WEB_PORT!)), 5000, "web port to close");
  const blocker = await listen(claim.ports.WEB_PORT!);
  try {
    const plan = await sbx(["plan"], { cwd: repo, home });
    assert.is(plan.code, 1);
    assert.match(plan.stderr, `error: Port ${claim.ports.WEB_PORT} (WEB_PORT) is in use by pid ${process.pid}`);
    const apply = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
    assert.is(apply.code, 1);
    assert.equal(ownedPids(claim.instance), [], "nothing started");
  } finally {
    blocker.close();
  }
  const fixed = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
  assert.is(fixed.code, 0, fixed.stderr);
  await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
});

test("SIGKILL during apply, then apply converges with no stray process and no leaked slot", async () => {
  const files = serviceProject({ name: "crash", base: 24000, services: ["api", "web"] });
  files["infra.toml"] = files["infra.toml"]!.replace('env = { NAME = "web" }', 'env = { NAME = "web", START_DELAY_MS = "1500" }');
  const repo = makeRepo(files);
  const home = newHome();
  const child = sbxSpawn(["apply", "--auto-approve"], { cwd: repo, home });
  const exited = new Promise((r) => child.on("exit", r));
  // Kill sbx while web is starting (api is up, web is still waiting for readiness).
  // Only this repository's sandbox: other checkouts may run the same test on this host.
  await waitFor(() => ownedPids(`${instanceIdOf("crash", repo)}/`).length >= 2, 15_000, "both services spawned");
  child.kill("SIGKILL");
  await within(exited, 60_000, "sbx apply exited");
  const claims1 = Object.values(readRegistry(home).slots);
  assert.is(claims1.length, 1);
  const again = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
  assert.is(again.code, 0, again.stderr + again.stdout);
  assert.equal(Object.values(readRegistry(home).slots).map((c) => c.slot), [claims1[0]!.slot], "same slot, no leak");
  const inst = claims1[0]!.instance;
  // One supervisor + one service process per resource: nothing left from the killed run.
  for (const addr of ["process.api", "process.web"]) {
    const pids = ownedPids(`${inst}/${addr}`);
    const groups = new Set(pids.map((p) => fs.readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ")[2]));
    assert.is(groups.size, 1, `${addr} runs once`);
  }
  const plan = await sbx(["plan", "--detailed-exitcode"], { cwd: repo, home });
  assert.is(plan.code, 0, plan.stdout);
  await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
  assert.equal(ownedPids(inst), []);
  assert.equal(readRegistry(home).slots, {});
  assert.not.ok(fs.existsSync(path.join(home, "instances", inst)));
});

test("a second sbx on the same sandbox fails fast naming the lock holder", async () => {
  const files = serviceProject({ name: "locked", base: 25000 });
  files["infra.toml"] = files["infra.toml"]!.replace('env = { NAME = "api" }', 'env = { NAME = "api", START_DELAY_MS = "2000" }');
  const repo = makeRepo(files);
  const home = newHome();
  const child = sbxSpawn(["apply", "--auto-approve"], { cwd: repo, home });
  const exited = new Promise((r) => child.on("exit", r));
  await waitFor(() => ownedPids(`${instanceIdOf("locked", repo)}/`).length >= 1, 15_000, "apply running");
  const second = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
  assert.is(second.code, 4);
  assert.match(second.stderr, `is locked by pid ${child.pid}`);
  assert.match(second.stderr, "(sbx apply)");
  await within(exited, 60_000, "sbx apply exited");
  await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
});

test.run();
