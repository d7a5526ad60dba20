// File ownership: sbx never destroys a file that is the user's. A copy onto itself (the
// main checkout) is a no-op; a file that was there before sbx is kept as a backup and
// restored on destroy; a file edited after apply is kept and named, and `--force`
// finishes the job; a removed worktree is never re-created to restore into it.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { addWorktree, git, makeRepo, newHome, sbx, walk } from "../helpers/sbx.js";
import { standinHost } from "../helpers/nixos-standin.js";
import { freePortBase } from "../helpers/ports.js";

async function filesRepo(files: string): Promise<string> {
  const base = await freePortBase(4);
  return makeRepo({
    "infra.toml": `[project]\nname = "own"\n\n[sandbox]\nbackend = "process"\n\n[sandbox.ports]\nAPI_PORT = { base = ${base}, stride = 1 }\n\n[sandbox.files]\n${files}\n`,
    "config.yaml": "shared: config\n",
    "template.env": "FROM=template\n",
    ".gitignore": "local.env\nsettings.yaml\n",
  });
}

const bytes = (p: string) => fs.readFileSync(p);
const run = (args: string[], cwd: string, home: string) => sbx(args, { cwd, home });

test("apply and destroy in the main checkout leave a file that is its own source byte-identical", async () => {
  const repo = await filesRepo(`"config.yaml" = "config.yaml"`);
  const home = newHome();
  const file = path.join(repo, "config.yaml");
  fs.writeFileSync(file, "user: edits\n\u0000binary\u00ff\n"); // the user's working copy, not what git has
  const before = bytes(file);
  const mtime = fs.statSync(file).mtimeMs;
  const plan = await run(["plan"], repo, home);
  assert.match(plan.stdout, "destination is the source itself (main checkout): nothing to copy, never deleted");
  const up = await run(["apply", "--auto-approve"], repo, home);
  assert.is(up.code, 0, up.stderr + up.stdout);
  assert.match(up.stdout, "is its own source (this is the main checkout); left as it is");
  assert.equal(bytes(file), before);
  assert.is(fs.statSync(file).mtimeMs, mtime, "not even rewritten");
  const destroyPlan = await run(["plan", "--destroy"], repo, home);
  assert.match(destroyPlan.stdout, "the destination is its own source (main checkout): left as it is");
  const down = await run(["destroy", "--auto-approve"], repo, home);
  assert.is(down.code, 0, down.stderr + down.stdout);
  assert.equal(bytes(file), before, "destroy leaves it byte-identical");
  assert.equal(walk(path.join(home, "instances")), [], "nothing left in the state dir");
});

test("a file that existed in a worktree before sbx is shown in the plan, kept under the state dir and restored on destroy", async () => {
  const repo = await filesRepo(`"local.env" = "template.env"`);
  const wt = addWorktree(repo, "pre");
  const home = newHome();
  const file = path.join(wt, "local.env");
  fs.writeFileSync(file, "MINE=1\n", { mode: 0o640 });
  const before = bytes(file);
  const up = await run(["apply", "--auto-approve"], wt, home);
  assert.is(up.code, 0, up.stderr + up.stdout);
  assert.match(up.stdout, "will overwrite an existing file (kept as backup, restored on destroy)");
  assert.is(fs.readFileSync(file, "utf8"), "FROM=template\n");
  const backups = walk(path.join(home, "instances")).filter((f) => f.includes(`${path.sep}backups${path.sep}`) && !f.endsWith(".none"));
  assert.is(backups.length, 1, "the original is kept under the state dir");
  assert.equal(bytes(backups[0]!), before);
  const down = await run(["destroy", "--auto-approve"], wt, home);
  assert.is(down.code, 0, down.stderr + down.stdout);
  assert.equal(bytes(file), before, "restored byte for byte");
  assert.is(fs.statSync(file).mode & 0o777, 0o640, "with its mode");
  assert.equal(walk(path.join(home, "instances")), []);
});

test("a pre-existing file survives a first apply that failed before the copy and a later one that succeeded", async () => {
  const repo = await filesRepo(`"local.env" = "template.env"`);
  const wt = addWorktree(repo, "retry");
  const home = newHome();
  const file = path.join(wt, "local.env");
  fs.writeFileSync(file, "MINE=2\n");
  fs.renameSync(path.join(repo, "template.env"), path.join(repo, "template.env.example"));
  const failed = await run(["apply", "--auto-approve"], wt, home);
  assert.is(failed.code, 1);
  assert.match(failed.stderr, "Source not found");
  fs.renameSync(path.join(repo, "template.env.example"), path.join(repo, "template.env"));
  const up = await run(["apply", "--auto-approve"], wt, home);
  assert.is(up.code, 0, up.stderr + up.stdout);
  assert.match(up.stdout, "kept the existing file as");
  const down = await run(["destroy", "--auto-approve"], wt, home);
  assert.is(down.code, 0, down.stderr);
  assert.is(fs.readFileSync(file, "utf8"), "MINE=2\n", "the user's file is back");
});

test("a copied file edited after apply is kept and named by destroy; destroy --force then restores the original or deletes sbx's copy", async () => {
  const repo = await filesRepo(`"local.env" = "template.env"\n"settings.yaml" = "config.yaml"`);
  const wt = addWorktree(repo, "edit");
  const home = newHome();
  const local = path.join(wt, "local.env");
  const settings = path.join(wt, "settings.yaml");
  fs.writeFileSync(local, "ORIGINAL=1\n");
  assert.is((await run(["apply", "--auto-approve"], wt, home)).code, 0);
  fs.appendFileSync(local, "EDITED=1\n");
  fs.appendFileSync(settings, "edited: yes\n");
  const edited = { local: bytes(local), settings: bytes(settings) };
  const preview = await run(["plan", "--destroy"], wt, home);
  assert.match(preview.stdout, "edited outside sbx: destroy keeps it; --force restores the original");
  assert.match(preview.stdout, "edited outside sbx: destroy keeps it; --force deletes it");
  const down = await run(["destroy", "--auto-approve"], wt, home);
  assert.is(down.code, 0, down.stderr + down.stdout);
  assert.match(down.stderr, `${local} was edited outside sbx; kept`);
  assert.match(down.stderr, `${settings} was edited outside sbx; kept`);
  assert.match(down.stderr, "kept (pass --force to restore the original). The file that was there before sbx is kept at");
  assert.equal(bytes(local), edited.local);
  assert.equal(bytes(settings), edited.settings);
  assert.equal(Object.keys(JSON.parse(fs.readFileSync(path.join(home, "registry.json"), "utf8")).slots), [], "the slot is released all the same");
  // Still sbx's: a second plain destroy keeps them again; --force finishes.
  const again = await run(["destroy", "--auto-approve"], wt, home);
  assert.match(again.stderr, "was edited outside sbx; kept");
  assert.equal(bytes(local), edited.local);
  const forced = await run(["destroy", "--force", "--auto-approve"], wt, home);
  assert.is(forced.code, 0, forced.stderr + forced.stdout);
  assert.is(fs.readFileSync(local, "utf8"), "ORIGINAL=1\n", "--force restores the file that was there before sbx");
  assert.not.ok(fs.existsSync(settings), "--force deletes the copy sbx made");
  assert.equal(walk(path.join(home, "instances")), [], "nothing left in the state dir");
  assert.is(git(wt, "status", "--porcelain").trim(), "", "the worktree is as git left it");
});

test("a NixOS module file edited since apply stays sbx's: destroy keeps it and restores the others, destroy --force finishes (stand-in NixOS host)", async () => {
  const h = standinHost();
  const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHN0YW5kLWluIGtleSBmb3Igc2J4IHRlc3Rz test@sbx";
  const repo = makeRepo({ "agent.toml": `[backend]\ntype = "microvm"\n\n[backend.microvm]\nssh_authorized_keys = ["${key}"]\n` });
  const home = newHome();
  const run = (args: string[]) => sbx(args, { cwd: repo, home, env: h.env });
  assert.is((await run(["apply", "--auto-approve"])).code, 0);
  const modules = path.join(h.root, "etc/nixos/sbx");
  const [vm] = fs.readdirSync(modules);
  const guest = path.join(modules, vm!, "vms", `${vm}.nix`);
  const host = path.join(modules, vm!, "host.nix");
  fs.appendFileSync(guest, "# a note by hand\n");
  const edited = bytes(guest);
  const down = await run(["destroy", "--auto-approve"]);
  assert.is(down.code, 0, down.stderr + down.stdout);
  assert.match(down.stderr, `${guest} was edited outside sbx; kept`);
  assert.equal(bytes(guest), edited);
  assert.not.ok(fs.existsSync(host), "the untouched module went");
  const forced = await run(["destroy", "--force", "--auto-approve"]);
  assert.is(forced.code, 0, forced.stderr + forced.stdout);
  assert.not.ok(fs.existsSync(guest), "--force deletes the edited module sbx wrote");
  assert.not.ok(fs.existsSync(modules), "and the directories sbx made");
  assert.equal(walk(path.join(home, "instances")), []);
});

test("gc of a removed worktree never re-creates it to restore a backup, and leaves nothing behind", async () => {
  const repo = await filesRepo(`"local.env" = "template.env"`);
  const wt = addWorktree(repo, "gone");
  const home = newHome();
  fs.writeFileSync(path.join(wt, "local.env"), "MINE=3\n");
  assert.is((await run(["apply", "--auto-approve"], wt, home)).code, 0);
  git(repo, "worktree", "remove", "--force", wt);
  const gc = await run(["gc"], repo, home);
  assert.is(gc.code, 0, gc.stderr + gc.stdout);
  assert.match(gc.stdout, `worktree ${wt} no longer exists`);
  assert.not.ok(fs.existsSync(wt), "the removed worktree stays removed");
  assert.equal(walk(path.join(home, "instances")), []);
});

test.run();
