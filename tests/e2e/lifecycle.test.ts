// The quickstart lifecycle as a user runs it: apply, reach the services, no-op apply,
// drift repaired, destroy leaves nothing; two worktrees side by side.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { addWorktree, httpGet, makeRepo, newHome, ownedPids, portOpen, readRegistry, ROOT, sbx, walk } from "../helpers/sbx.js";

function quickstartRepo(): string {
  const files: Record<string, string> = {};
  for (const f of ["infra.toml", "api.mjs", "web.mjs"]) files[f] = fs.readFileSync(path.join(ROOT, "examples/quickstart", f), "utf8");
  return makeRepo(files);
}

test("quickstart comes up healthy on slot ports and goes away completely", async () => {
  const repo = quickstartRepo();
  const home = newHome();
  const up = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
  assert.is(up.code, 0, up.stderr + up.stdout);
  assert.match(up.stdout, "Plan: 6 to add, 0 to change, 0 to replace, 0 to destroy.");
  assert.match(up.stdout, "✓ health ready");
  const claim = Object.values(readRegistry(home).slots)[0]!;
  assert.ok(claim, "slot claimed");
  const web = claim.ports.WEB_PORT!;
  assert.is(web, 18001 + claim.slot * 10);
  assert.match(up.stdout, `http://localhost:${web}`);
  const page = await httpGet(`http://127.0.0.1:${web}/`);
  assert.is(page.status, 200);
  assert.match(page.body, `quickstart-slot-${claim.slot}`);
  assert.match(page.body, "<li>second</li>");

  const again = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
  assert.is(again.code, 0);
  assert.match(again.stdout, "No changes. Your sandbox matches the configuration.");
  const detailed = await sbx(["plan", "--detailed-exitcode"], { cwd: repo, home });
  assert.is(detailed.code, 0);

  const env = await sbx(["env"], { cwd: repo, home });
  assert.match(env.stdout, `export COMPOSE_PROJECT_NAME='quickstart-slot-${claim.slot}'\nexport API_PORT='${claim.ports.API_PORT}'\nexport WEB_PORT='${web}'\n`);
  assert.not.match(env.stdout, "quickstart-demo-token");

  const pids = ownedPids(claim.instance);
  assert.ok(pids.length >= 2, "services run with owner markers");
  const down = await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
  assert.is(down.code, 0, down.stderr);
  assert.match(down.stdout, "Destroy complete! Resources: 6 destroyed.");
  assert.equal(ownedPids(claim.instance), []);
  assert.not.ok(await portOpen(web), "port closed");
  assert.equal(readRegistry(home).slots, {});
  assert.not.ok(fs.existsSync(path.join(home, "instances", claim.instance)), "instance dir removed");
  assert.equal(walk(repo).filter((f) => !f.includes("/.git/")).map((f) => path.basename(f)).sort(), ["api.mjs", "infra.toml", "web.mjs"]);
});

test("two worktrees of one project run side by side on different slots", async () => {
  const repo = quickstartRepo();
  const wt = addWorktree(repo, "feature");
  const home = newHome();
  const a = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
  const b = await sbx(["apply", "--auto-approve"], { cwd: wt, home });
  assert.is(a.code, 0, a.stderr);
  assert.is(b.code, 0, b.stderr);
  const claims = Object.values(readRegistry(home).slots);
  assert.is(claims.length, 2);
  assert.is.not(claims[0]!.slot, claims[1]!.slot);
  assert.is.not(claims[0]!.instance, claims[1]!.instance);
  for (const c of claims) {
    const r = await httpGet(`http://127.0.0.1:${c.ports.WEB_PORT}/`);
    assert.match(r.body, `quickstart-slot-${c.slot}`);
  }
  const list = await sbx(["list"], { cwd: repo, home });
  assert.match(list.stdout, wt);
  await sbx(["destroy", "--auto-approve"], { cwd: wt, home });
  // Destroying one leaves the other running.
  const main = claims.find((c) => c.worktree === repo)!;
  assert.ok(await portOpen(main.ports.WEB_PORT!));
  await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
  assert.equal(readRegistry(home).slots, {});
});

test("drift is shown with a reason and repaired: dead service, edited and deleted env file", async () => {
  const repo = quickstartRepo();
  const home = newHome();
  assert.is((await sbx(["apply", "--auto-approve"], { cwd: repo, home })).code, 0);
  const claim = Object.values(readRegistry(home).slots)[0]!;
  const envFile = path.join(home, "instances", claim.instance, ".env.sandbox");
  const original = fs.readFileSync(envFile, "utf8");
  const apiPid = ownedPids(`${claim.instance}/process.api`)[0]!;
  process.kill(-apiPid, "SIGKILL");
  fs.appendFileSync(envFile, "EXTRA=1\n");
  const plan = await sbx(["plan", "--detailed-exitcode"], { cwd: repo, home });
  assert.is(plan.code, 2);
  assert.match(plan.stdout, "# process.api will be created\n  # (drift: process not running)");
  assert.match(plan.stdout, "# file.env_sandbox will be updated in-place\n  # (drift: file edited outside sbx)");
  const fix = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
  assert.is(fix.code, 0, fix.stderr);
  assert.is(fs.readFileSync(envFile, "utf8"), original);
  assert.ok(await portOpen(claim.ports.API_PORT!));
  fs.rmSync(envFile);
  const plan2 = await sbx(["plan"], { cwd: repo, home });
  assert.match(plan2.stdout, "# file.env_sandbox will be created\n  # (drift: file deleted outside sbx)");
  assert.is((await sbx(["apply", "--auto-approve"], { cwd: repo, home })).code, 0);
  assert.is(fs.readFileSync(envFile, "utf8"), original);
  await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
});

test("a config change restarts only what it affects", async () => {
  const repo = quickstartRepo();
  const home = newHome();
  assert.is((await sbx(["apply", "--auto-approve"], { cwd: repo, home })).code, 0);
  const toml = path.join(repo, "infra.toml");
  fs.writeFileSync(toml, fs.readFileSync(toml, "utf8").replace('command = "node web.mjs"', 'command = "node web.mjs --v2"'));
  const plan = await sbx(["plan"], { cwd: repo, home });
  assert.match(plan.stdout, "# process.web must be replaced");
  assert.match(plan.stdout, "forces replacement: attrs.command");
  assert.not.match(plan.stdout, "process.api will");
  assert.match(plan.stdout, "Plan: 0 to add, 1 to change, 1 to replace, 0 to destroy.");
  // Apply it: web restarts, api keeps running as the same processes.
  const claim = Object.values(readRegistry(home).slots)[0]!;
  const apiBefore = ownedPids(`${claim.instance}/process.api`).sort();
  const webBefore = ownedPids(`${claim.instance}/process.web`).sort();
  assert.ok(apiBefore.length && webBefore.length, "both services run");
  const applied = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
  assert.is(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, "Apply complete! Resources: 0 added, 1 changed, 1 replaced, 0 destroyed.");
  assert.not.match(applied.stdout, "process.api:");
  assert.equal(ownedPids(`${claim.instance}/process.api`).sort(), apiBefore, "api was not restarted");
  const webAfter = ownedPids(`${claim.instance}/process.web`);
  assert.ok(webAfter.length && !webAfter.some((p) => webBefore.includes(p)), "web was restarted");
  assert.is((await httpGet(`http://127.0.0.1:${claim.ports.WEB_PORT}/`)).status, 200);
  assert.is((await sbx(["plan", "--detailed-exitcode"], { cwd: repo, home })).code, 0, "converged");
  await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
});

test.run();
