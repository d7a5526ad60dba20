// TTL end to end with the built CLI, real worktrees and real processes: the expiry is
// recorded, shown and moved by a TTL change or extend-ttl; `sbx expire --apply` destroys
// exactly the expired sandboxes and `sbx gc` exactly those whose worktree is gone, never
// a live worktree's sandbox with time left; recreate keeps the slot.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { addWorktree, git, makeRepo, newHome, ownedPids, portOpen, readRegistry, sbx, serviceProject, waitFor } from "../helpers/sbx.js";

interface Claim {
  slot: number;
  instance: string;
  worktree: string;
  ports: Record<string, number>;
  expires_at: string | null;
}

const claims = (home: string) => Object.values(readRegistry(home).slots) as unknown as Claim[];
const claimOf = (home: string, worktree: string) => claims(home).find((c) => c.worktree === worktree);
const events = (home: string) =>
  fs.existsSync(path.join(home, "events.jsonl"))
    ? fs
        .readFileSync(path.join(home, "events.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { event: string; instance: string; slot?: number | null; slot_kept?: boolean })
    : [];

async function apply(cwd: string, home: string, ...extra: string[]) {
  const r = await sbx(["apply", "--auto-approve", ...extra], { cwd, home });
  assert.is(r.code, 0, r.stderr + r.stdout);
  return r;
}

test("expire destroys exactly the expired sandboxes; gc exactly those whose worktree is gone", async () => {
  const repo = makeRepo(serviceProject({ name: "ttl", base: 41000 }));
  const home = newHome();
  const short = addWorktree(repo, "short");
  const long = addWorktree(repo, "long");
  const gone = addWorktree(repo, "gone");
  await apply(repo, home); // no TTL: lives until destroyed
  await apply(long, home, "--set", "sandbox.ttl=1h");
  await apply(gone, home, "--set", "sandbox.ttl=1h");
  await apply(short, home, "--set", "sandbox.ttl=5s");
  const before = Object.fromEntries([repo, short, long, gone].map((w) => [w, claimOf(home, w)!]));
  assert.is(before[repo]!.expires_at, null);
  assert.ok(Date.parse(before[short]!.expires_at!) - Date.now() <= 5000);
  const status = await sbx(["status"], { cwd: long, home });
  assert.match(status.stdout, /expires \S+, (59|60)m left/);
  // Not expired yet: nothing to do.
  assert.match((await sbx(["expire"], { cwd: repo, home })).stdout, "No expired sandboxes.");
  assert.match((await sbx(["expire", "--apply"], { cwd: repo, home })).stdout, "No expired sandboxes.");
  assert.is(claims(home).length, 4);
  // The worktree `gone` disappears; the 5 s TTL runs out.
  git(repo, "worktree", "remove", "--force", gone);
  await waitFor(() => Date.now() > Date.parse(before[short]!.expires_at!) + 200, 10_000, "the short TTL to pass");
  const list = await sbx(["expire", "--json"], { cwd: repo, home });
  assert.equal((JSON.parse(list.stdout) as { expired: { worktree: string }[] }).expired.map((e) => e.worktree), [short]);
  const ex = await sbx(["expire", "--apply"], { cwd: repo, home });
  assert.is(ex.code, 0, ex.stderr);
  assert.match(ex.stdout, `Destroyed expired ${before[short]!.instance} (${short}); released slot ${before[short]!.slot}.`);
  assert.is(claimOf(home, short), undefined);
  assert.is(ownedPids(before[short]!.instance).length, 0, "its processes are gone");
  assert.ok(fs.existsSync(short), "the worktree itself stays");
  for (const w of [repo, long, gone]) assert.ok(claimOf(home, w), `${w} keeps its slot`);
  for (const w of [repo, long]) assert.ok(await portOpen(before[w]!.ports.API_PORT!), `${w} still serves`);
  // gc: the gone worktree only (it has time left, but no worktree).
  const gc = await sbx(["gc"], { cwd: repo, home });
  assert.is(gc.code, 0, gc.stderr);
  assert.match(gc.stdout, `Collected ${before[gone]!.instance}`);
  assert.equal(claims(home).map((c) => c.worktree).sort(), [repo, long].sort());
  for (const w of [repo, long]) assert.ok(await portOpen(before[w]!.ports.API_PORT!), `${w} still serves after gc`);
  const evs = events(home);
  assert.equal(
    evs.filter((e) => ["expired", "collected", "destroyed"].includes(e.event)).map((e) => `${e.event} ${e.instance} ${e.slot}`),
    [`expired ${before[short]!.instance} ${before[short]!.slot}`, `collected ${before[gone]!.instance} ${before[gone]!.slot}`],
  );
  for (const w of [repo, long]) assert.is((await sbx(["destroy", "--auto-approve"], { cwd: w, home })).code, 0);
  assert.equal(claims(home), []);
});

test("a TTL change is a change in the plan and moves the expiry; extend-ttl moves it too and saves it from expire", async () => {
  const files = serviceProject({ name: "ttlmove", base: 42000 });
  files["infra.toml"] = files["infra.toml"]!.replace('backend = "process"\n', 'backend = "process"\nttl = "3s"\n');
  const repo = makeRepo(files);
  const home = newHome();
  await apply(repo, home);
  const first = claimOf(home, repo)!;
  const plan = await sbx(["plan", "--set", "sandbox.ttl=2h", "--detailed-exitcode"], { cwd: repo, home });
  assert.is(plan.code, 2, plan.stderr);
  assert.match(plan.stdout, "# slot.this will be updated in-place");
  assert.match(plan.stdout, '~ ttl = "3s" -> "2h"');
  assert.match(plan.stdout, "expiry moves to about");
  await apply(repo, home, "--set", "sandbox.ttl=2h");
  const moved = claimOf(home, repo)!;
  assert.ok(Date.parse(moved.expires_at!) - Date.now() > 3600_000, `moved to ~2h (${moved.expires_at})`);
  assert.is(moved.slot, first.slot);
  // Back to the file's 3 s, then extend before it runs out.
  await apply(repo, home);
  const short = claimOf(home, repo)!;
  assert.ok(Date.parse(short.expires_at!) - Date.now() <= 3000);
  const ext = await sbx(["extend-ttl", "1h"], { cwd: repo, home });
  assert.is(ext.code, 0, ext.stderr);
  const extended = claimOf(home, repo)!;
  assert.match(ext.stdout, `now expires at ${extended.expires_at}`);
  assert.ok(Date.parse(extended.expires_at!) - Date.now() > 3500_000);
  const doc = JSON.parse(fs.readFileSync(path.join(repo, ".sbx", "sandbox.json"), "utf8")) as { expires_at: string };
  assert.is(doc.expires_at, extended.expires_at, "the reachability file follows");
  await waitFor(() => Date.now() > Date.parse(short.expires_at!) + 200, 10_000, "the old expiry to pass");
  const ex = await sbx(["expire", "--apply"], { cwd: repo, home });
  assert.match(ex.stdout, "No expired sandboxes.");
  assert.ok(await portOpen(extended.ports.API_PORT!));
  assert.is((await sbx(["extend-ttl", "soon"], { cwd: repo, home })).code, 1);
  await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
});

test("recreate destroys and applies again on the same slot, with a fresh TTL", async () => {
  const repo = makeRepo(serviceProject({ name: "recreate", base: 43000 }));
  const home = newHome();
  await apply(repo, home, "--set", "sandbox.ttl=10m");
  const before = claimOf(home, repo)!;
  const pid = ownedPids(`${before.instance}/process.api`)[0];
  assert.ok(pid);
  const r = await sbx(["recreate", "--auto-approve", "--set", "sandbox.ttl=10m"], { cwd: repo, home });
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, `on slot ${before.slot}`);
  const after = claimOf(home, repo)!;
  assert.is(after.slot, before.slot);
  assert.ok(Date.parse(after.expires_at!) >= Date.parse(before.expires_at!), "the TTL starts again");
  const pid2 = ownedPids(`${before.instance}/process.api`)[0];
  assert.ok(pid2 && pid2 !== pid, "a new process");
  assert.ok(await portOpen(after.ports.API_PORT!));
  const evs = events(home).filter((e) => e.instance === before.instance);
  assert.ok(evs.some((e) => e.event === "destroyed" && e.slot_kept === true && e.slot === before.slot), "destroyed, slot kept");
  await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
});

test.run();
