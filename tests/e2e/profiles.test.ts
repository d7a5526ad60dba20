// Profiles as a user meets them: the catalog across every search directory, a working
// sandbox from `--profile NAME --input` alone, the reachability file (git-ignored, owned:
// a file that was there before is put back), and fields this sbx does not honour refused
// at their line instead of a silent local run.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { TINY_PROFILE } from "../helpers/profiles.js";
import { git, httpGet, makeRepo, newHome, readRegistry, sbx, SERVER_JS, tmpdir } from "../helpers/sbx.js";

test("sbx profiles list and show: project, $SBX_HOME, $XDG_CONFIG_HOME and SBX_PROFILE_PATH, first name wins", async () => {
  const repo = makeRepo({ "infra.toml": '[project]\nname = "cat"\n', "profiles/team.toml": 'id = "team"\nversion = 2\nbackend = "process"\nttl = "8h"\n' });
  const home = newHome();
  const xdg = tmpdir("sbx-xdg-");
  const shared = tmpdir("sbx-shared-");
  fs.mkdirSync(path.join(home, "profiles"));
  fs.writeFileSync(path.join(home, "profiles", "mine.toml"), 'id = "mine"\nversion = 1\n');
  fs.mkdirSync(path.join(xdg, "sbx", "profiles"), { recursive: true });
  fs.writeFileSync(path.join(xdg, "sbx", "profiles", "user.toml"), 'id = "user"\nversion = "2024.1"\nplacement = "ssh://dev@box"\n');
  fs.writeFileSync(path.join(shared, "team.toml"), 'id = "team"\nversion = 1\n');
  fs.writeFileSync(path.join(shared, "agent-dev.toml"), 'id = "profile.agent-dev"\nversion = 1\nactor = "agt"\n');
  const env = { XDG_CONFIG_HOME: xdg, SBX_PROFILE_PATH: `${shared}:/nonexistent` };
  const list = await sbx(["profiles", "list"], { cwd: repo, home, env });
  assert.is(list.code, 0, list.stderr);
  const rows = list.stdout.trim().split("\n");
  assert.match(rows[0]!, /^NAME\s+ID\s+VERSION\s+BACKEND\s+PLACEMENT\s+TTL\s+FILE$/);
  assert.match(list.stdout, /agent-dev\s+profile\.agent-dev\s+1\s+-\s+local\s+-\s+\S+agent-dev\.toml\s+\(has errors/);
  assert.match(list.stdout, /mine\s+mine\s+1\s+-\s+local\s+-\s+\$SBX_HOME\/profiles\/mine\.toml/);
  assert.match(list.stdout, /team\s+team\s+2\s+process\s+local\s+8h\s+profiles\/team\.toml/);
  assert.match(list.stdout, /user\s+user\s+2024\.1\s+-\s+ssh:\/\/dev@box\s+-\s+\$XDG_CONFIG_HOME\/sbx\/profiles\/user\.toml/);
  const json = JSON.parse((await sbx(["profiles", "list", "--json"], { cwd: repo, home, env })).stdout) as { profiles: { name: string; source: string; shadows: string[] }[] };
  assert.equal(json.profiles.map((p) => `${p.name}:${p.source}`), ["agent-dev:shared", "mine:sbx-home", "team:project", "user:user"]);
  assert.equal(json.profiles.find((p) => p.name === "team")!.shadows, [path.join(shared, "team.toml")]);
  const show = await sbx(["profiles", "show", "profile.agent-dev"], { cwd: repo, home, env });
  assert.is(show.code, 0, show.stderr);
  assert.match(show.stdout, "Profile profile.agent-dev@1 (name agent-dev)");
  assert.match(show.stdout, `From:      ${path.join(shared, "agent-dev.toml")} (shared)`);
  assert.match(show.stderr, /agent-dev\.toml:3:1: error: sand-boxer's `actor' has no meaning in sbx/);
  const team = await sbx(["profiles", "show", "team"], { cwd: repo, home, env });
  assert.match(team.stdout, `Hides:     ${path.join(shared, "team.toml")}`);
  const missing = await sbx(["profiles", "show", "nope"], { cwd: repo, home, env });
  assert.is(missing.code, 1);
  assert.match(missing.stderr, "Profile `nope' not found");
  assert.match(missing.stderr, "Profiles found: agent-dev (id profile.agent-dev), mine, team, user.");
});

test("--profile NAME --input creates a working sandbox from a profile alone; later commands need no flags", async () => {
  const home = newHome();
  fs.mkdirSync(path.join(home, "profiles"));
  fs.writeFileSync(path.join(home, "profiles", "tiny.toml"), TINY_PROFILE(44000));
  const dir = makeRepo({ "server.mjs": SERVER_JS, "README.md": "no infra.toml here\n" });
  const missing = await sbx(["apply", "--auto-approve", "--profile", "tiny"], { cwd: dir, home });
  assert.is(missing.code, 1);
  assert.match(missing.stderr, /\$SBX_HOME\/profiles\/tiny\.toml:6:1: error: Input `greeting' is required/);
  assert.match(missing.stderr, "--input greeting=VALUE");
  const bad = await sbx(["apply", "--auto-approve", "--profile", "tiny", "--input", "greting=x"], { cwd: dir, home });
  assert.match(bad.stderr, "Unknown input `greting'");
  const r = await sbx(["apply", "--auto-approve", "--profile", "tiny-web", "--input", "greeting=hello-from-input"], { cwd: dir, home });
  assert.is(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, "Profile tiny-web@3");
  const claim = Object.values(readRegistry(home).slots)[0]!;
  assert.match(claim.instance, /^tiny-web-/);
  const body = await httpGet(`http://127.0.0.1:${claim.ports.API_PORT}/`);
  assert.equal(JSON.parse(body.body), { ok: true, name: "hello-from-input" });
  // The profile's TTL is recorded.
  const status = JSON.parse((await sbx(["status", "--json"], { cwd: dir, home })).stdout) as { slot: { expires_at: string }; reachability: { ttl: string; env: string[]; urls: { url: string }[] } };
  assert.ok(Date.parse(status.slot.expires_at) - Date.now() > 29 * 60_000);
  assert.is(status.reachability.ttl, "30m");
  // Plan and apply again without the flags: the recorded profile and inputs are used.
  const again = await sbx(["plan", "--detailed-exitcode"], { cwd: dir, home });
  assert.is(again.code, 0, again.stderr + again.stdout);
  assert.match(again.stdout, "No changes.");
  // A new version of the profile: the plan says what the sandbox was built from.
  const file = path.join(home, "profiles", "tiny.toml");
  fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("version = 3", "version = 4"));
  const bumped = await sbx(["plan"], { cwd: dir, home });
  assert.match(bumped.stdout, "Profile tiny-web@4 (");
  assert.match(bumped.stdout, "; this sandbox was built from tiny-web@3");
  assert.is((await sbx(["apply", "--auto-approve"], { cwd: dir, home })).code, 0);
  assert.not.match((await sbx(["plan"], { cwd: dir, home })).stdout, "built from");
  const changed = await sbx(["plan", "--input", "greeting=other"], { cwd: dir, home });
  assert.match(changed.stdout, '~ "NAME"');
  assert.match(changed.stdout, '"hello-from-input" -> "other"');
  // git stays clean: the reachability file is excluded through the common dir.
  assert.ok(fs.existsSync(path.join(dir, ".sbx", "sandbox.json")));
  assert.is(git(dir, "status", "--porcelain"), "");
  const d = await sbx(["destroy", "--auto-approve"], { cwd: dir, home });
  assert.is(d.code, 0, d.stderr);
  assert.equal(readRegistry(home).slots, {});
  assert.ok(!fs.existsSync(path.join(dir, ".sbx")), "the .sbx directory sbx made is gone");
});

test("the reachability file: names, never values; a file that was there before is put back at destroy", async () => {
  const home = newHome();
  const repo = makeRepo({
    "infra.toml": `[project]\nname = "reach"\n\n[sandbox]\nbackend = "process"\n\n[sandbox.ports]\nAPI_PORT = { base = 45000, stride = 10 }\n\n[sandbox.env]\nMODE = "test"\n\n[sandbox.secrets]\nAPI_TOKEN = "$REACH_TOKEN"\n\n[services.api]\ncommand = "node server.mjs"\nport = "API_PORT"\n`,
    "server.mjs": SERVER_JS,
    ".sbx/sandbox.json": '{"mine": true}\n',
    ".sbx/profiles/keep.toml": 'id = "keep"\nversion = 1\n',
  });
  const env = { REACH_TOKEN: "s3cr3t-token-value" };
  const r = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env });
  assert.is(r.code, 0, r.stderr);
  const text = fs.readFileSync(path.join(repo, ".sbx", "sandbox.json"), "utf8");
  assert.not.match(text, "s3cr3t");
  assert.not.match(text, '"test"');
  const doc = JSON.parse(text) as { env: string[]; secrets: string[]; ports: Record<string, number>; urls: { name: string }[]; placement: string; ssh: null };
  assert.equal([...doc.env].sort(), ["API_PORT", "COMPOSE_PROJECT_NAME", "MODE"]);
  assert.equal(doc.secrets, ["API_TOKEN"]);
  assert.equal(Object.keys(doc.ports), ["API_PORT"]);
  assert.equal([doc.placement, doc.ssh, doc.urls.map((u) => u.name)], ["local", null, ["api"]]);
  const person = await sbx(["reachability"], { cwd: repo, home, env });
  assert.match(person.stdout, "Env:      ");
  assert.match(person.stdout, "Secrets:  API_TOKEN");
  assert.not.match(person.stdout, "s3cr3t");
  const asJson = JSON.parse((await sbx(["reachability", "--json"], { cwd: repo, home, env })).stdout) as Record<string, unknown>;
  assert.equal({ ...asJson, time_left: undefined, status: undefined }, { ...(doc as unknown as Record<string, unknown>), time_left: undefined, status: undefined });
  assert.is((await sbx(["destroy", "--auto-approve"], { cwd: repo, home, env })).code, 0);
  assert.is(fs.readFileSync(path.join(repo, ".sbx", "sandbox.json"), "utf8"), '{"mine": true}\n', "the user's file is back");
  assert.ok(fs.existsSync(path.join(repo, ".sbx", "profiles", "keep.toml")));
});

test("a profile placement the backend does not honour, or a route with no candidates, stops plan at its line", async () => {
  const home = newHome();
  const repo = makeRepo({
    "infra.toml": 'profile = "remote"\n[project]\nname = "rem"\n[sandbox]\nbackend = "process"\n',
    "profiles/remote.toml": 'id = "remote"\nversion = 1\nplacement = "ssh://dev@build-box"\n',
  });
  const plan = await sbx(["plan"], { cwd: repo, home });
  assert.is(plan.code, 1);
  assert.match(plan.stderr, "profiles/remote.toml:3:13: error: Placement ssh:// does not fit the process backend");
  assert.not.match(plan.stderr, "    at ");
  assert.equal(readRegistry(home).slots, {}, "nothing ran locally");
  fs.writeFileSync(path.join(repo, "profiles/remote.toml"), 'id = "remote"\nversion = 1\n\n[route]\nstrategy = "lowest-cost"\n');
  const route = await sbx(["validate"], { cwd: repo, home });
  assert.match(route.stderr, "profiles/remote.toml:4:1: error: A route without candidates");
});

test.run();
