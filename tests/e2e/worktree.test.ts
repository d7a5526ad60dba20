// `sbx worktree add|list|done` as a user runs them, with real git and real processes:
// a feature's worktree comes up with its own sandbox on its own slot, and `done` takes
// both away, refusing uncommitted or unpushed work, never removing a directory sbx did
// not create, never acting on the directory it is run from.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { addWorktree, git, httpGet, newHome, ownedPids, portOpen, readRegistry, sbx, serviceProject } from "../helpers/sbx.js";
import { commitFile, repoIn, withOrigin, worktreePaths } from "../helpers/worktree.js";

function project(name: string, base: number): Record<string, string> {
  const files = serviceProject({ name, base });
  files["config.yaml"] = "copied: true\n";
  files["infra.toml"] += `\n[sandbox.files]\n"config.yaml" = "config.yaml"\n`;
  return files;
}

interface Row {
  name: string;
  path: string;
  sbx: boolean;
  slot: number | null;
  status: string;
  ports: Record<string, number>;
}

test("worktree add runs the feature's sandbox on its own slot; list shows it; done removes sandbox and worktree", async () => {
  const files = project("shop", 31000);
  files["infra.toml"] = files["infra.toml"]!.replace('name = "shop"', 'name = "shop"\nprefix = "sh"');
  const repo = repoIn("shop", files);
  const home = newHome();
  // The main checkout runs too: the feature gets another slot.
  assert.is((await sbx(["apply", "--auto-approve"], { cwd: repo, home })).code, 0);
  const add = await sbx(["worktree", "add", "login"], { cwd: repo, home, timeoutMs: 90_000 });
  assert.is(add.code, 0, add.stdout + add.stderr);
  const wt = path.join(path.dirname(repo), "sh-login"); // ../<prefix>-<feature>, as kinfra names it
  assert.match(add.stdout, `Created worktree: ${wt}`);
  assert.match(add.stdout, "Branch: login (new, from HEAD)");
  assert.ok(fs.existsSync(path.join(wt, "config.yaml")), "[sandbox.files] copied into the new worktree");
  const claim = Object.values(readRegistry(home).slots).find((c) => c.worktree === wt)!;
  assert.ok(claim, "the new worktree holds a slot");
  assert.match(add.stdout, `on slot ${claim.slot}`);
  assert.is((await httpGet(`http://127.0.0.1:${claim.ports.API_PORT}/`)).status, 200, "answering on its slot port");

  const list = await sbx(["worktree", "list", "--json"], { cwd: repo, home });
  const rows = JSON.parse(list.stdout) as Row[];
  const row = rows.find((r) => r.path === wt)!;
  assert.equal({ name: row.name, sbx: row.sbx, slot: row.slot, status: row.status }, { name: "login", sbx: true, slot: claim.slot, status: "running" });
  assert.is(rows.find((r) => r.path === repo)!.sbx, false);
  const text = await sbx(["worktree", "list"], { cwd: wt, home });
  assert.match(text.stdout, /login\*\s+login\s+\d+\s+running/);

  const done = await sbx(["worktree", "done", "login"], { cwd: repo, home, timeoutMs: 90_000 });
  assert.is(done.code, 0, done.stdout + done.stderr);
  assert.match(done.stdout, `Removed worktree: login (${wt})`);
  assert.match(done.stdout, `Released slot ${claim.slot}`);
  assert.not.ok(fs.existsSync(wt), "worktree directory gone");
  assert.not.ok(worktreePaths(repo).includes(wt), "git no longer lists it");
  assert.equal(ownedPids(claim.instance), [], "its processes are gone");
  assert.not.ok(await portOpen(claim.ports.API_PORT!));
  assert.ok(git(repo, "branch", "--list", "login").includes("login"), "the branch is kept");
  const main = Object.values(readRegistry(home).slots);
  assert.is(main.length, 1, "the main checkout's sandbox is untouched");
  assert.is((await httpGet(`http://127.0.0.1:${main[0]!.ports.API_PORT}/`)).status, 200);
  await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
});

test("done refuses uncommitted work and unpushed commits (only with an upstream); --force removes anyway", async () => {
  const repo = repoIn("acme", project("acme", 31100));
  withOrigin(repo);
  const home = newHome();
  assert.is((await sbx(["worktree", "add", "pay"], { cwd: repo, home, timeoutMs: 90_000 })).code, 0);
  const wt = path.join(path.dirname(repo), "acme-pay");
  // A branch with commits but no upstream counts as clean (devops-ai's rule).
  commitFile(wt, "notes.md", "local only\n");
  fs.writeFileSync(path.join(wt, "wip.txt"), "not committed\n");
  const dirty = await sbx(["worktree", "done", "pay"], { cwd: repo, home });
  assert.is(dirty.code, 1);
  assert.match(dirty.stderr, "Worktree 'pay' has uncommitted changes. Use --force to remove anyway.");
  assert.match(dirty.stderr, "Uncommitted: wip.txt.");
  assert.not.match(dirty.stderr, "config.yaml", "a file sbx copied in is not the user's work");
  assert.ok(fs.existsSync(wt));
  assert.ok(Object.values(readRegistry(home).slots).some((c) => c.worktree === wt), "the sandbox is not touched");

  fs.rmSync(path.join(wt, "wip.txt"));
  git(wt, "push", "-q", "-u", "origin", "pay");
  commitFile(wt, "more.md", "ahead of origin\n");
  const ahead = await sbx(["worktree", "done", "pay"], { cwd: repo, home });
  assert.is(ahead.code, 1);
  assert.match(ahead.stderr, "Worktree 'pay' has unpushed commits. Use --force to remove anyway.");
  assert.match(ahead.stderr, "1 commit not pushed to the upstream of pay.");
  fs.writeFileSync(path.join(wt, "wip.txt"), "again\n");
  const both = await sbx(["worktree", "done", "pay"], { cwd: repo, home });
  assert.match(both.stderr, "has uncommitted changes and unpushed commits");

  const forced = await sbx(["worktree", "done", "pay", "--force"], { cwd: repo, home, timeoutMs: 90_000 });
  assert.is(forced.code, 0, forced.stdout + forced.stderr);
  assert.not.ok(fs.existsSync(wt));
  assert.equal(readRegistry(home).slots, {});
});

test("done works from state alone when the worktree's configuration is broken, and when its directory is gone", async () => {
  const repo = repoIn("brk", project("brk", 31200));
  const home = newHome();
  for (const f of ["one", "two"]) assert.is((await sbx(["worktree", "add", f], { cwd: repo, home, timeoutMs: 90_000 })).code, 0);
  const one = path.join(path.dirname(repo), "brk-one");
  const two = path.join(path.dirname(repo), "brk-two");
  const claims = Object.values(readRegistry(home).slots);
  commitFile(one, "infra.toml", "[project\nname = broken\n", "break the config");
  const r = await sbx(["worktree", "done", "one"], { cwd: repo, home, timeoutMs: 90_000 });
  assert.is(r.code, 0, r.stdout + r.stderr);
  assert.not.ok(fs.existsSync(one));
  assert.equal(ownedPids(claims.find((c) => c.worktree === one)!.instance), []);

  // Deleted by hand: done still tears the sandbox down and prunes git's entry.
  fs.rmSync(two, { recursive: true, force: true });
  const gone = await sbx(["worktree", "done", "two"], { cwd: repo, home, timeoutMs: 90_000 });
  assert.is(gone.code, 0, gone.stdout + gone.stderr);
  assert.equal(readRegistry(home).slots, {});
  assert.equal(ownedPids(claims.find((c) => c.worktree === two)!.instance), []);
  assert.not.ok(worktreePaths(repo).includes(two));
});

test("done never removes a worktree sbx did not create, never the directory it runs in; ambiguous names are refused", async () => {
  const repo = repoIn("own", project("own", 31300));
  const home = newHome();
  const mine = addWorktree(repo, "handmade"); // git worktree add, not sbx
  assert.is((await sbx(["apply", "--auto-approve"], { cwd: mine, home })).code, 0);
  const r = await sbx(["worktree", "done", "handmade"], { cwd: repo, home });
  assert.is(r.code, 1);
  assert.match(r.stderr, `${mine} was not created by sbx`);
  assert.ok(fs.existsSync(mine));
  assert.ok(Object.values(readRegistry(home).slots).some((c) => c.worktree === mine), "its sandbox is untouched");

  for (const f of ["login-a", "login-b"]) assert.is((await sbx(["worktree", "add", f, "--no-wait"], { cwd: repo, home, timeoutMs: 90_000 })).code, 0);
  const amb = await sbx(["worktree", "done", "login"], { cwd: repo, home });
  assert.is(amb.code, 1);
  assert.match(amb.stderr, "Ambiguous match for 'login': login-a, login-b");
  const none = await sbx(["worktree", "done", "nope"], { cwd: repo, home });
  assert.match(none.stderr, "No worktree found matching 'nope'");
  assert.match(none.stderr, "login-a, login-b");

  const a = path.join(path.dirname(repo), "own-login-a");
  const inside = await sbx(["worktree", "done", "login-a"], { cwd: path.join(a), home });
  assert.is(inside.code, 1);
  assert.match(inside.stderr, `You are inside ${a}`);
  assert.ok(fs.existsSync(a));
  for (const f of ["login-a", "login-b"]) assert.is((await sbx(["worktree", "done", f], { cwd: mine, home, timeoutMs: 90_000 })).code, 0, "done from another worktree of the repository");
  await sbx(["destroy", "--auto-approve"], { cwd: mine, home });
  assert.equal(readRegistry(home).slots, {});
});

test("worktree add refuses before creating anything: a bad name, an existing directory, an uncommitted infra.toml", async () => {
  const repo = repoIn("pre", { "README.md": "hi\n" });
  const home = newHome();
  const bad = await sbx(["worktree", "add", "no/slash"], { cwd: repo, home });
  assert.is(bad.code, 1);
  assert.match(bad.stderr, "Invalid feature name `no/slash'");
  // No configuration: a plain worktree, which done removes.
  const plain = await sbx(["worktree", "add", "docs"], { cwd: repo, home });
  assert.is(plain.code, 0, plain.stderr);
  assert.match(plain.stdout, "No sandbox configured");
  const again = await sbx(["worktree", "add", "docs"], { cwd: repo, home });
  assert.is(again.code, 1);
  assert.match(again.stderr, "Worktree already exists at");
  assert.is((await sbx(["worktree", "done", "docs"], { cwd: repo, home })).code, 0);

  for (const [f, t] of Object.entries(project("pre", 31400))) fs.writeFileSync(path.join(repo, f), t);
  const before = worktreePaths(repo);
  const uncommitted = await sbx(["worktree", "add", "feat"], { cwd: repo, home });
  assert.is(uncommitted.code, 1);
  assert.match(uncommitted.stderr, "infra.toml is not committed on HEAD");
  assert.match(uncommitted.stderr, "git add infra.toml");
  assert.equal(worktreePaths(repo), before, "no worktree made");
  assert.not.match(uncommitted.stderr + plain.stderr + bad.stderr, "internal error");
});

test.run();
