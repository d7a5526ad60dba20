// explain, compile --json and the kinfra .env.sandbox, as a user runs them.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { makeRepo, newHome, sbx, tmpdir, walk } from "../helpers/sbx.js";

const layered = {
  "infra.toml": 'profile = "team"\n\n[project]\nname = "shop"\n\n[sandbox.ports]\nAPI_PORT = 8080\nDB_PORT = 5432\n\n[sandbox.env]\nAPP_ENV = "sandbox"\nLOG_LEVEL = "info"\n',
  "infra.local.toml": '[sandbox.env]\nLOG_LEVEL = "debug"\n',
  "profiles/team.toml": 'id = "team"\nversion = 4\n\n[defaults.infra.sandbox.env]\nLOG_LEVEL = "warn"\nREGION = "eu"\n',
  "docker-compose.yml": 'services:\n  api:\n    image: shop\n    ports:\n      - "${API_PORT:-8080}:80"\n  db:\n    image: postgres\n    ports:\n      - "${DB_PORT:-5432}:5432"\n',
};

test("explain shows the type, the winner and every definition with file:line, layer and priority", async () => {
  const repo = makeRepo(layered);
  const r = await sbx(["explain", "sandbox.env.LOG_LEVEL"], { cwd: repo, home: newHome() });
  assert.is(r.code, 0, r.stderr);
  assert.fixture(
    r.stdout,
    [
      "Option: sandbox.env.LOG_LEVEL",
      "Type: string or integer or boolean",
      'Value: "debug"',
      "Priority: 75 (local)",
      "Defined by:",
      "  - In `infra.local.toml:2:13' (local, priority 75): \"debug\"",
      "  - In `infra.toml:12:13' (project, priority 100): \"info\"  (overridden)",
      "  - In `profiles/team.toml:5:13' (profile, priority 1000): \"warn\"  (overridden)",
      "",
    ].join("\n"),
  );
  const set = await sbx(["--set", "sandbox.env.LOG_LEVEL=trace", "explain", "sandbox.env.LOG_LEVEL"], { cwd: repo, home: newHome() });
  assert.match(set.stdout, 'Value: "trace"\nPriority: 50 (force)');
  const dflt = await sbx(["explain", "sandbox.health.timeout"], { cwd: repo, home: newHome() });
  assert.match(dflt.stdout, "Value: 60 (default)\nDeclared by: schemas/infra.schema.json");
  const unknown = await sbx(["explain", "sandbox.nope"], { cwd: repo, home: newHome() });
  assert.is(unknown.code, 1);
});

test("compile --json is byte-identical across runs and across two checkouts, and touches no host state", async () => {
  const a = makeRepo(layered);
  const b = makeRepo(layered);
  const home = newHome();
  const r1 = await sbx(["compile", "--json"], { cwd: a, home });
  const r2 = await sbx(["compile", "--json"], { cwd: a, home });
  const r3 = await sbx(["compile", "--json"], { cwd: b, home });
  assert.is(r1.code, 0, r1.stderr);
  assert.is(r1.stdout, r2.stdout);
  assert.is(r1.stdout, r3.stdout);
  assert.not.match(r1.stdout, a);
  const doc = JSON.parse(r1.stdout);
  assert.equal(doc.profiles.map((p: { id: string; version: string }) => `${p.id}@${p.version}`), ["team@4"]);
  assert.ok(doc.resources.some((r: { address: string }) => r.address === "file.env_sandbox"));
  assert.equal(walk(home), []);
  const out = tmpdir();
  const w = await sbx(["compile", "--out", out], { cwd: a, home });
  assert.is(w.code, 0, w.stderr);
  assert.is(fs.readFileSync(path.join(out, ".env.sandbox"), "utf8"), "COMPOSE_PROJECT_NAME=shop-slot-1\nAPI_PORT=8081\nDB_PORT=5433\nAPP_ENV=sandbox\nLOG_LEVEL=debug\nREGION=eu\n");
});

test(".env.sandbox is byte-identical to kinfra's for the same inputs", async () => {
  const repo = makeRepo({
    ".devops-ai/infra.toml": '[project]\nname = "myproj"\n\n[sandbox.ports]\nDB_PORT = 5432\nAPI_PORT = 8080\n\n[sandbox.env]\nAPP_ENV = "sandbox"\n',
    "docker-compose.yml": layered["docker-compose.yml"],
  });
  const out = tmpdir();
  const r = await sbx(["compile", "--slot", "2", "--out", out], { cwd: repo, home: newHome() });
  assert.is(r.code, 0, r.stderr);
  assert.is(fs.readFileSync(path.join(out, ".env.sandbox"), "utf8"), "COMPOSE_PROJECT_NAME=myproj-slot-2\nAPI_PORT=8082\nDB_PORT=5434\nAPP_ENV=sandbox\n");
});

test("plan --markdown puts the summary above a details block", async () => {
  const repo = makeRepo({ "infra.toml": '[project]\nname = "md"\n[sandbox]\nbackend = "process"\n[sandbox.ports]\nP = 27000\n' });
  const r = await sbx(["plan", "--markdown"], { cwd: repo, home: newHome() });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, /^<!-- sbx:plan -->\n### sbx plan for `md` \(process, slot 1\)\n\n\*\*Plan: 2 to add, 0 to change, 0 to replace, 0 to destroy\.\*\*/);
  assert.match(r.stdout, "<details><summary>Show plan</summary>\n\n```diff\n");
  assert.match(r.stdout, /\n\+\s+resource file "env_sandbox" \{/);
});

test.run();
