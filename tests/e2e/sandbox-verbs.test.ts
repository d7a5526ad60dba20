// The sandbox verbs kinfra users type, on the process backend (real processes, real
// ports): --slot within [sandbox.slots] and slot 0 only on request, stop/start keeping
// the slot, --no-wait and --timeout for the health gate, and .env.sandbox in the
// worktree (env_file_in_worktree) kept out of git and removed exactly.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { addWorktree, git, httpGet, makeRepo, newHome, ownedPids, portOpen, readRegistry, sbx, serviceProject, waitFor } from "../helpers/sbx.js";

test("--slot must be within [sandbox.slots]; slot 0 (the standard ports) only on request; never a second slot", async () => {
  const files = serviceProject({ name: "slots", base: 32000, extra: "\n[sandbox.slots]\nmin = 0\nmax = 5\n" });
  files["infra.toml"] = files["infra.toml"]!.replace("API_PORT = { base = 32000, stride = 10 }", "API_PORT = { base = 32000, stride = 10, standard = 32099 }");
  const repo = makeRepo(files);
  const home = newHome();
  const out = await sbx(["apply", "--auto-approve", "--slot", "6"], { cwd: repo, home });
  assert.is(out.code, 1);
  assert.match(out.stderr, "Cannot claim slot 6");
  assert.match(out.stderr, "outside this project's slots 1-5 ([sandbox.slots])");
  assert.equal(readRegistry(home).slots, {}, "nothing claimed");
  // min = 0 does not make slot 0 automatic.
  const auto = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
  assert.is(auto.code, 0, auto.stderr);
  assert.is(Object.values(readRegistry(home).slots)[0]!.slot, 1);
  const move = await sbx(["apply", "--auto-approve", "--slot", "0"], { cwd: repo, home });
  assert.is(move.code, 1);
  assert.match(move.stderr, "This sandbox already holds slot 1");
  assert.match(move.stderr, "sbx destroy");
  assert.is((await sbx(["destroy", "--auto-approve"], { cwd: repo, home })).code, 0);
  const zero = await sbx(["apply", "--auto-approve", "--slot", "0"], { cwd: repo, home });
  assert.is(zero.code, 0, zero.stderr);
  const claim = Object.values(readRegistry(home).slots)[0]!;
  assert.equal({ slot: claim.slot, port: claim.ports.API_PORT }, { slot: 0, port: 32099 });
  assert.is((await httpGet(`http://127.0.0.1:32099/`)).status, 200);
  await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
});

test("stop keeps the slot and is not drift; start runs it again on the same ports; destroy still removes", async () => {
  const repo = makeRepo(serviceProject({ name: "pause", base: 32100, services: ["api", "web"] }));
  const home = newHome();
  assert.is((await sbx(["apply", "--auto-approve"], { cwd: repo, home })).code, 0);
  const claim = Object.values(readRegistry(home).slots)[0]!;
  const stop = await sbx(["stop"], { cwd: repo, home });
  assert.is(stop.code, 0, stop.stderr);
  assert.match(stop.stdout, `slot ${claim.slot}, volumes and files are kept`);
  assert.equal(ownedPids(claim.instance), [], "every process group stopped");
  assert.not.ok(await portOpen(claim.ports.API_PORT!));
  assert.is(readRegistry(home).slots[String(claim.slot)]!.instance, claim.instance, "the slot stays claimed");
  const plan = await sbx(["plan", "--detailed-exitcode"], { cwd: repo, home });
  assert.is(plan.code, 0, "a deliberately stopped sandbox is not drift: " + plan.stdout);
  assert.match(plan.stderr, "Sandbox stopped by `sbx stop`");
  const status = await sbx(["status"], { cwd: repo, home });
  assert.match(status.stdout, /Slot: \d+ \(stopped/);
  assert.match(status.stdout, /process\.api\s+stopped\s+stopped by sbx stop/);
  const list = await sbx(["list"], { cwd: repo, home });
  assert.match(list.stdout, /stopped/);
  const noop = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
  assert.match(noop.stdout, "No changes.");
  assert.not.ok(await portOpen(claim.ports.API_PORT!), "a no-op apply leaves it stopped");

  const start = await sbx(["start"], { cwd: repo, home });
  assert.is(start.code, 0, start.stderr);
  for (const p of [claim.ports.API_PORT!, claim.ports.WEB_PORT!]) assert.is((await httpGet(`http://127.0.0.1:${p}/`)).status, 200);
  assert.equal(Object.values(readRegistry(home).slots).map((c) => [c.slot, (c as { status?: string }).status]), [[claim.slot, "running"]]);
  const again = await sbx(["start"], { cwd: repo, home });
  assert.is(again.code, 0, "start on a running sandbox changes nothing");
  assert.is(new Set(ownedPids(`${claim.instance}/process.api`).map((p) => fs.readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ")[2])).size, 1, "api runs once");
  assert.is((await sbx(["plan", "--detailed-exitcode"], { cwd: repo, home })).code, 0);
  assert.is((await sbx(["stop"], { cwd: repo, home })).code, 0);
  const down = await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
  assert.is(down.code, 0, down.stderr);
  assert.equal(readRegistry(home).slots, {});
  const nothing = await sbx(["start"], { cwd: repo, home });
  assert.is(nothing.code, 1);
  assert.match(nothing.stderr, "No sandbox here");
});

test("--timeout bounds the health gate (exit 3) and --no-wait skips it", async () => {
  const files = serviceProject({ name: "gate", base: 32200 });
  files["infra.toml"] += `\n[sandbox.health]\ntimeout = 120\nchecks = [{ name = "never", type = "tcp", port = 1 }]\n`;
  const repo = makeRepo(files);
  const home = newHome();
  const t0 = Date.now();
  const slow = await sbx(["apply", "--auto-approve", "--timeout", "2"], { cwd: repo, home, timeoutMs: 60_000 });
  assert.is(slow.code, 3, slow.stdout + slow.stderr);
  assert.match(slow.stdout, "waiting up to 2s");
  assert.match(slow.stderr, "Health gate failed after 2s");
  assert.ok(Date.now() - t0 < 30_000, "the configured 120s did not apply");
  const skip = await sbx(["apply", "--auto-approve", "--no-wait"], { cwd: repo, home, timeoutMs: 60_000 });
  assert.is(skip.code, 0, skip.stdout + skip.stderr);
  assert.match(skip.stdout, "Health gate: skipped (--no-wait)");
  const startTimeout = await sbx(["start", "--timeout", "1s"], { cwd: repo, home, timeoutMs: 60_000 });
  assert.is(startTimeout.code, 3, "start waits for the gate too");
  const bad = await sbx(["apply", "--auto-approve", "--timeout", "soon"], { cwd: repo, home });
  assert.is(bad.code, 1);
  assert.match(bad.stderr, "Invalid --timeout `soon'");
  await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
});

test("env_file_in_worktree writes .env.sandbox into the worktree, never committed; destroy restores a file that was there", async () => {
  const files = serviceProject({ name: "envwt", base: 32300 });
  files["infra.toml"] = files["infra.toml"]!.replace('backend = "process"', 'backend = "process"\nenv_file_in_worktree = true');
  const repo = makeRepo(files);
  const home = newHome();
  const up = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
  assert.is(up.code, 0, up.stderr);
  const claim = Object.values(readRegistry(home).slots)[0]!;
  const env = fs.readFileSync(path.join(repo, ".env.sandbox"), "utf8");
  assert.is(env, `COMPOSE_PROJECT_NAME=envwt-slot-${claim.slot}\nAPI_PORT=${claim.ports.API_PORT}\n`);
  assert.is(env, fs.readFileSync(path.join(home, "instances", claim.instance, ".env.sandbox"), "utf8"), "the same as the state dir's");
  assert.is(git(repo, "status", "--porcelain"), "", "excluded: git status is clean");
  assert.match(fs.readFileSync(path.join(repo, ".git", "info", "exclude"), "utf8"), `# added by sbx for sandbox ${claim.instance}`);
  git(repo, "add", "-A");
  assert.is(git(repo, "diff", "--cached", "--name-only"), "", "git add -A does not pick it up");
  assert.is((await sbx(["plan", "--detailed-exitcode"], { cwd: repo, home })).code, 0);
  assert.is((await sbx(["destroy", "--auto-approve"], { cwd: repo, home })).code, 0);
  assert.not.ok(fs.existsSync(path.join(repo, ".env.sandbox")));
  assert.not.match(fs.readFileSync(path.join(repo, ".git", "info", "exclude"), "utf8"), "sbx");

  // In a linked worktree the pattern goes to the common git dir's info/exclude, which every worktree reads.
  const linked = addWorktree(repo, "linked");
  assert.is((await sbx(["apply", "--auto-approve"], { cwd: linked, home })).code, 0);
  assert.ok(fs.existsSync(path.join(linked, ".env.sandbox")));
  assert.is(git(linked, "status", "--porcelain"), "", "clean in the linked worktree too");
  assert.match(fs.readFileSync(path.join(repo, ".git", "info", "exclude"), "utf8"), "/.env.sandbox");
  assert.is((await sbx(["destroy", "--auto-approve"], { cwd: linked, home })).code, 0);
  assert.not.match(fs.readFileSync(path.join(repo, ".git", "info", "exclude"), "utf8"), "sbx");

  // A .env.sandbox the user had is kept aside and restored.
  fs.writeFileSync(path.join(repo, ".env.sandbox"), "MINE=1\n");
  assert.is((await sbx(["apply", "--auto-approve"], { cwd: repo, home })).code, 0);
  assert.match(fs.readFileSync(path.join(repo, ".env.sandbox"), "utf8"), "COMPOSE_PROJECT_NAME=");
  assert.is((await sbx(["destroy", "--auto-approve"], { cwd: repo, home })).code, 0);
  assert.is(fs.readFileSync(path.join(repo, ".env.sandbox"), "utf8"), "MINE=1\n");
  await waitFor(() => ownedPids(claim.instance).length === 0, 5000, "no process left");
});

test.run();
