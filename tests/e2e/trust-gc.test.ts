// No sandbox is left running unowned (process backend; compose is in
// tests/integration/compose-data.test.ts): gc of a removed worktree leaves nothing running,
// listening or in the state dir; after $SBX_HOME is lost, destroy finds the processes sbx
// marked and shows them; an apply whose state dir vanishes says so and fails; destroy
// works from state alone when the config is broken or names another project.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { addWorktree, makeRepo, newHome, ownedPids, portOpen, readRegistry, sbx, sbxSpawn, SERVER_JS, waitFor, walk } from "../helpers/sbx.js";
import { freePortBase } from "../helpers/ports.js";

async function project(name: string, delayMs = 0): Promise<Record<string, string>> {
  const base = await freePortBase(8);
  const infra = `[project]\nname = "${name}"\n\n[sandbox]\nbackend = "process"\n\n[sandbox.ports]\nAPI_PORT = { base = ${base}, stride = 2 }\nWEB_PORT = { base = ${base + 1}, stride = 2 }\n
[services.api]\ncommand = "node server.mjs"\nport = "API_PORT"\nenv = { START_DELAY_MS = "${delayMs}" }\nready = { type = "http", path = "/", timeout = 20 }\n
[services.web]\ncommand = ["node", "server.mjs"]\nport = "WEB_PORT"\nready = { type = "http", path = "/", timeout = 20 }\n`;
  return { "infra.toml": infra, "server.mjs": SERVER_JS };
}

/** Stop whatever a failed test left running under these instance ids. */
function killOwned(ids: string[]): void {
  for (const id of ids)
    for (const pid of ownedPids(id)) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        continue; // already gone
      }
    }
}

test("gc of a removed worktree: nothing of its sandbox runs, listens or stays in the state dir; the main checkout's sandbox is untouched", async () => {
  const repo = makeRepo(await project("gcp"));
  const wt = addWorktree(repo, "doomed");
  const home = newHome();
  const ids: string[] = [];
  try {
    assert.is((await sbx(["apply", "--auto-approve"], { cwd: repo, home })).code, 0);
    const up = await sbx(["apply", "--auto-approve"], { cwd: wt, home });
    assert.is(up.code, 0, up.stderr + up.stdout);
    const claims = Object.values(readRegistry(home).slots);
    ids.push(...claims.map((c) => c.instance));
    const doomed = claims.find((c) => c.worktree === wt)!;
    const kept = claims.find((c) => c.worktree === repo)!;
    assert.ok(ownedPids(doomed.instance).length >= 2, "its services run");
    fs.rmSync(wt, { recursive: true, force: true }); // by hand, not through git (trust-files covers `git worktree remove`)
    const gc = await sbx(["gc"], { cwd: repo, home });
    assert.is(gc.code, 0, gc.stderr + gc.stdout);
    assert.match(gc.stdout, `Collected ${doomed.instance}: worktree ${wt} no longer exists; released slot ${doomed.slot}.`);
    assert.match(gc.stdout, "# process.api will be destroyed");
    await waitFor(() => ownedPids(doomed.instance).length === 0, 10_000, "its processes to be gone");
    for (const port of Object.values(doomed.ports)) assert.not.ok(await portOpen(port), `nothing listens on ${port}`);
    assert.not.ok(fs.existsSync(path.join(home, "instances", doomed.instance)), "its state dir is gone");
    assert.not.ok(fs.existsSync(wt), "the worktree is not re-created");
    assert.equal(Object.values(readRegistry(home).slots).map((c) => c.instance), [kept.instance]);
    for (const port of Object.values(kept.ports)) assert.ok(await portOpen(port), "the main checkout's sandbox still runs");
    const again = await sbx(["gc"], { cwd: repo, home });
    assert.match(again.stdout, "Nothing to collect.");
    assert.is((await sbx(["destroy", "--auto-approve"], { cwd: repo, home })).code, 0);
    assert.equal(walk(path.join(home, "instances")), []);
  } finally {
    killOwned(ids);
  }
});

test("after rm -rf $SBX_HOME, destroy in the worktree shows the marked process groups in its plan and stops them", async () => {
  const repo = makeRepo(await project("lost"));
  const home = newHome();
  let id = "";
  try {
    assert.is((await sbx(["apply", "--auto-approve"], { cwd: repo, home })).code, 0);
    const claim = Object.values(readRegistry(home).slots)[0]!;
    id = claim.instance;
    const pids = ownedPids(id);
    assert.ok(pids.length >= 2);
    fs.rmSync(home, { recursive: true, force: true });
    const plan = await sbx(["plan", "--destroy"], { cwd: repo, home });
    assert.match(plan.stdout, /# process\.api will be destroyed.*\n  # \(found by owner label or marker, not in state\)/);
    assert.match(plan.stdout, /# process\.web will be destroyed.*\n  # \(found by owner label or marker, not in state\)/);
    assert.match(plan.stdout, "Plan: 0 to add, 0 to change, 0 to replace, 2 to destroy.");
    const down = await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
    assert.is(down.code, 0, down.stderr + down.stdout);
    assert.match(down.stdout, "Destroy complete! Resources: 2 destroyed.");
    await waitFor(() => ownedPids(id).length === 0, 10_000, "the marked processes to stop");
    for (const port of Object.values(claim.ports)) assert.not.ok(await portOpen(port));
    assert.equal(walk(path.join(home, "instances")), []);
  } finally {
    killOwned([id]);
  }
});

test("an apply whose state dir is removed mid-run says so and exits non-zero; destroy then stops what it started", async () => {
  const repo = makeRepo(await project("vanish", 2500));
  const home = newHome();
  let id = "";
  try {
    const child = sbxSpawn(["apply", "--auto-approve"], { cwd: repo, home });
    let out = "";
    child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
    // web is ready at once, api only after 2.5 s: remove the state dir in between.
    await waitFor(() => /process\.web: Creation complete/.test(out), 30_000, "the apply to start web and wait for api");
    id = /Sandbox (\S+):/.exec(out)![1]!;
    assert.not.match(out, "process.api: Creation complete");
    fs.rmSync(home, { recursive: true, force: true });
    const code = await Promise.race([exited, new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`apply did not end:\n${out}`)), 60_000))]);
    assert.is(code, 1, out);
    assert.match(out, "error: State was lost during apply");
    assert.match(out, "disappeared while sbx was running");
    assert.not.match(out, "Apply complete!");
    assert.not.match(out, "internal error");
    const down = await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
    assert.is(down.code, 0, down.stderr + down.stdout);
    assert.match(down.stdout, /# process\.api will be destroyed.*\n  # \(found by owner label or marker, not in state\)/);
    assert.match(down.stdout, /# process\.web will be destroyed.*\n  # \(found by owner label or marker, not in state\)/);
    await waitFor(() => ownedPids(id).length === 0, 10_000, "what the lost apply started to stop");
  } finally {
    killOwned([id]);
  }
});

test("destroy needs no configuration: a broken config, or one renamed since apply, still destroys the worktree's sandbox", async () => {
  const repo = makeRepo(await project("cfg"));
  const home = newHome();
  const toml = path.join(repo, "infra.toml");
  const original = fs.readFileSync(toml, "utf8");
  let ids: string[] = [];
  try {
    assert.is((await sbx(["apply", "--auto-approve"], { cwd: repo, home })).code, 0);
    ids = Object.values(readRegistry(home).slots).map((c) => c.instance);
    fs.writeFileSync(toml, original.replace("[services.api]", "[services.api\nbroken ="));
    const broken = await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
    assert.is(broken.code, 0, broken.stderr + broken.stdout);
    assert.match(broken.stderr, "The configuration does not load; destroying from state alone.");
    assert.match(broken.stdout, "Destroy complete! Resources: 4 destroyed.");
    assert.not.match(broken.stderr, "internal error");
    assert.equal(ownedPids(ids[0]), []);
    // Applied under one name, then renamed: destroy still finds the sandbox of this worktree.
    fs.writeFileSync(toml, original);
    assert.is((await sbx(["apply", "--auto-approve"], { cwd: repo, home })).code, 0);
    fs.writeFileSync(toml, original.replace('name = "cfg"', 'name = "renamed"'));
    const renamed = await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
    assert.is(renamed.code, 0, renamed.stderr + renamed.stdout);
    assert.match(renamed.stdout, `Sandbox ${ids[0]}: project cfg`);
    assert.match(renamed.stdout, "Destroy complete! Resources: 4 destroyed.");
    assert.equal(ownedPids(ids[0]), []);
    assert.equal(readRegistry(home).slots, {});
  } finally {
    killOwned(ids);
  }
});

test.run();
