// Commands and flags the lifecycle tests do not reach: the health gate's exit 3, show,
// gc, extend-ttl, --parallelism, the Markdown fallback, destroy --force, and saved plans
// that go stale (or do not) between plan and apply.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { addWorktree, git, makeRepo, newHome, ownedPids, portOpen, readRegistry, sbx, SERVER_JS, serviceProject } from "../helpers/sbx.js";

type Claim = { slot: number; instance: string; ports: Record<string, number>; status?: string; expires_at?: string | null };
const claims = (home: string) => Object.values(readRegistry(home).slots) as Claim[];

test("a failing health gate exits 3, naming what it waited for and the last answer", async () => {
  const repo = makeRepo({
    "infra.toml": '[project]\nname = "sick"\n\n[sandbox]\nbackend = "process"\n\n[sandbox.ports]\nAPI_PORT = { base = 26500, stride = 10 }\n\n[sandbox.health]\nendpoint = "/health"\nport_var = "API_PORT"\ntimeout = 3\n\n[services.api]\ncommand = "node sick.mjs"\nport = "API_PORT"\n',
    "sick.mjs": 'import http from "node:http";\nhttp.createServer((q, r) => { r.statusCode = q.url === "/health" ? 503 : 200; r.end(q.url === "/health" ? "database down" : "ok"); }).listen(Number(process.env.PORT), "127.0.0.1");\nprocess.on("SIGTERM", () => process.exit(0));\n',
  });
  const home = newHome();
  try {
    const r = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
    assert.is(r.code, 3, r.stdout + r.stderr);
    const port = claims(home)[0]!.ports.API_PORT!;
    assert.match(r.stdout, `Health gate: waiting up to 3s for health (http://localhost:${port}/health)`);
    assert.match(r.stderr, "error: Health gate failed after 3s");
    assert.match(r.stderr, `✗ health failed: http://localhost:${port}/health`);
    assert.match(r.stderr, `→ GET http://localhost:${port}/health returned 503 with body "database down", expected 200`);
    assert.match(r.stderr, "The sandbox is running but not healthy.");
    assert.is(claims(home)[0]!.status, "incomplete");
    const list = await sbx(["list"], { cwd: repo, home });
    assert.match(list.stdout, /incomplete/);
  } finally {
    await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
  }
});

test("show renders a saved plan exactly as plan printed it, also as JSON and Markdown", async () => {
  const repo = makeRepo(serviceProject({ name: "shown", base: 26600 }));
  const home = newHome();
  const plan = await sbx(["plan", "-out", "saved.json"], { cwd: repo, home });
  assert.is(plan.code, 0, plan.stderr);
  const printed = plan.stdout.split("\nSaved the plan to:")[0]!;
  const show = await sbx(["show", "saved.json"], { cwd: repo, home });
  assert.is(show.code, 0, show.stderr);
  assert.is(show.stdout.trimEnd(), printed.trimEnd());
  const json = await sbx(["show", "saved.json", "--json"], { cwd: repo, home });
  assert.is(json.stdout, fs.readFileSync(path.join(repo, "saved.json"), "utf8"));
  const md = await sbx(["show", "saved.json", "--markdown"], { cwd: repo, home });
  const summary = /^Plan: .*$/m.exec(printed)![0];
  assert.match(md.stdout, `**${summary}**`);
  fs.writeFileSync(path.join(repo, "broken.json"), "{ not json");
  const bad = await sbx(["show", "broken.json"], { cwd: repo, home });
  assert.is(bad.code, 1);
  assert.match(bad.stderr, "error: broken.json is not a plan file");
});

test("gc destroys the sandboxes whose worktree is gone, and only those", async () => {
  const repo = makeRepo(serviceProject({ name: "gcx", base: 26700 }));
  const wt = addWorktree(repo, "gone");
  const home = newHome();
  try {
    assert.is((await sbx(["apply", "--auto-approve"], { cwd: repo, home })).code, 0);
    assert.is((await sbx(["apply", "--auto-approve"], { cwd: wt, home })).code, 0);
    const gone = Object.values(readRegistry(home).slots).find((c) => c.worktree === wt)!;
    assert.ok(gone, "the worktree's sandbox holds a slot");
    const none = await sbx(["gc"], { cwd: repo, home });
    assert.match(none.stdout, "Nothing to collect.");
    fs.rmSync(wt, { recursive: true, force: true });
    git(repo, "worktree", "prune");
    const gc = await sbx(["gc"], { cwd: repo, home });
    assert.is(gc.code, 0, gc.stderr);
    assert.match(gc.stdout, `Collected ${gone.instance}: worktree ${wt} no longer exists; released slot ${gone.slot}.`);
    assert.equal(ownedPids(gone.instance), [], "its processes are stopped");
    assert.is(claims(home).length, 1, "the other sandbox keeps its slot");
    const kept = claims(home)[0]!;
    assert.ok(await portOpen(kept.ports.API_PORT!), "the other sandbox still runs");
  } finally {
    await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
  }
});

test("extend-ttl pushes the expiry out; a bad duration or no sandbox is a usage error", async () => {
  const repo = makeRepo(serviceProject({ name: "ttl", base: 26800 }));
  const home = newHome();
  try {
    const before = await sbx(["extend-ttl", "2h"], { cwd: repo, home });
    assert.is(before.code, 1);
    assert.match(before.stderr, "error: No sandbox for");
    assert.is((await sbx(["apply", "--auto-approve"], { cwd: repo, home })).code, 0);
    const t0 = Date.now();
    const r = await sbx(["extend-ttl", "2h"], { cwd: repo, home });
    assert.is(r.code, 0, r.stderr);
    const at = Date.parse(claims(home)[0]!.expires_at!);
    assert.ok(Math.abs(at - (t0 + 2 * 3600_000)) < 60_000, `expires about 2h from now (${claims(home)[0]!.expires_at})`);
    assert.match(r.stdout, `now expires at ${claims(home)[0]!.expires_at}`);
    const status = await sbx(["status"], { cwd: repo, home });
    assert.match(status.stdout, `expires ${claims(home)[0]!.expires_at}, 2h left`);
    const bad = await sbx(["extend-ttl", "soon"], { cwd: repo, home });
    assert.is(bad.code, 1);
    assert.match(bad.stderr, "error: Invalid duration `soon'");
  } finally {
    await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
  }
});

test("--parallelism 1 runs one operation at a time; the default runs independent ones together", async () => {
  const files = serviceProject({ name: "par", base: 26900, services: ["one", "two"] });
  files["infra.toml"] = files["infra.toml"]!.replace(/env = \{ NAME = "(\w+)" \}/g, 'env = { NAME = "$1", START_DELAY_MS = "700" }');
  const repo = makeRepo(files);
  const home = newHome();
  const order = (out: string) => out.split("\n").filter((l) => /^process\.(one|two): (Creating|Creation complete|Destroying|Destruction complete)/.test(l));
  try {
    const serial = await sbx(["apply", "--auto-approve", "--parallelism", "1"], { cwd: repo, home });
    assert.is(serial.code, 0, serial.stderr);
    const s = order(serial.stdout);
    assert.is(s.length, 4, s.join("\n"));
    assert.match(s[0]!, /Creating/);
    assert.match(s[1]!, /Creation complete/, "the first finishes before the second starts");
    const down = await sbx(["destroy", "--auto-approve", "--parallelism", "1"], { cwd: repo, home });
    assert.is(down.code, 0, down.stderr);
    const together = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
    assert.is(together.code, 0, together.stderr);
    const t = order(together.stdout);
    assert.match(t[0]!, /Creating/);
    assert.match(t[1]!, /Creating/, "both start before either is ready");
  } finally {
    await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
  }
});

test("a Markdown plan over GitHub's 65,536 characters falls back to the summary", async () => {
  const env = Array.from({ length: 1500 }, (_, i) => `VARIABLE_${i} = "${"value-".repeat(8)}${i}"`).join("\n");
  const repo = makeRepo({ "infra.toml": `[project]\nname = "huge-md"\n\n[sandbox]\nbackend = "process"\n\n[sandbox.env]\n${env}\n` });
  const home = newHome();
  const full = await sbx(["plan"], { cwd: repo, home });
  assert.ok(full.stdout.length > 65_536, `the text plan is big (${full.stdout.length})`);
  const md = await sbx(["plan", "--markdown"], { cwd: repo, home });
  assert.is(md.code, 0, md.stderr);
  assert.ok(md.stdout.length <= 65_536, `comment fits (${md.stdout.length})`);
  assert.match(md.stdout, "**Plan: 2 to add, 0 to change, 0 to replace, 0 to destroy.**");
  assert.match(md.stdout, "over GitHub's limit of 65536; run `sbx plan` locally to see it.");
  assert.not.match(md.stdout, "<details>");
});

test("destroy keeps a copied file edited outside sbx; destroy --force removes it", async () => {
  const repo = makeRepo(serviceProject({ name: "forced", base: 27000, extra: '\n[sandbox.files]\n"local.yaml" = "local.yaml"\n' }));
  // The source is a local, untracked file of the main checkout (as .env is for kinfra).
  fs.writeFileSync(path.join(repo, "local.yaml"), "db: local\n");
  for (const force of [false, true]) {
    const wt = addWorktree(repo, force ? "forced" : "kept");
    const home = newHome();
    try {
      const up = await sbx(["apply", "--auto-approve"], { cwd: wt, home });
      assert.is(up.code, 0, up.stderr);
      const copied = path.join(wt, "local.yaml");
      assert.is(fs.readFileSync(copied, "utf8"), "db: local\n");
      fs.writeFileSync(copied, "db: edited by hand\n");
      const down = await sbx(["destroy", "--auto-approve", ...(force ? ["--force"] : [])], { cwd: wt, home });
      assert.is(down.code, 0, down.stderr);
      if (force) assert.not.ok(fs.existsSync(copied), "--force deletes the edited copy");
      else {
        assert.is(fs.readFileSync(copied, "utf8"), "db: edited by hand\n", "the edit survives");
        assert.match(down.stderr, "was edited outside sbx; kept (pass --force to delete it)");
      }
      assert.equal(readRegistry(home).slots, {});
    } finally {
      await sbx(["destroy", "--auto-approve", "--force"], { cwd: wt, home });
    }
  }
  assert.is(fs.readFileSync(path.join(repo, "local.yaml"), "utf8"), "db: local\n", "the source is never touched");
});

test("a saved plan is stale after a config change and applies nothing; made with --set and unchanged, it applies", async () => {
  const repo = makeRepo(serviceProject({ name: "stale", base: 27100, extra: '\n[sandbox.env]\nMODE = "a"\n' }));
  const home = newHome();
  try {
    const made = await sbx(["--set", "sandbox.env.MODE=b", "plan", "-out", "p.json"], { cwd: repo, home });
    assert.is(made.code, 0, made.stderr);
    const applied = await sbx(["apply", "p.json"], { cwd: repo, home });
    assert.is(applied.code, 0, `a plan made with --set is not stale when nothing changed: ${applied.stderr}`);
    assert.match((await sbx(["--set", "sandbox.env.MODE=b", "env"], { cwd: repo, home })).stdout, "export MODE='b'");
    const again = await sbx(["--set", "sandbox.env.MODE=b", "plan", "--detailed-exitcode"], { cwd: repo, home });
    assert.is(again.code, 0, `nothing left to do after applying the saved plan: ${again.stdout}`);
    const next = await sbx(["--set", "sandbox.env.MODE=c", "plan", "-out", "q.json"], { cwd: repo, home });
    assert.is(next.code, 0, next.stderr);
    const toml = path.join(repo, "infra.toml");
    fs.writeFileSync(toml, fs.readFileSync(toml, "utf8").replace('MODE = "a"', 'MODE = "z"'));
    const stateFile = path.join(home, "instances", claims(home)[0]!.instance, "state.json");
    const stateBefore = fs.readFileSync(stateFile, "utf8");
    const stale = await sbx(["apply", "q.json"], { cwd: repo, home });
    assert.is(stale.code, 4, stale.stdout + stale.stderr);
    assert.match(stale.stderr, "error: Saved plan is stale");
    assert.match(stale.stderr, "the configuration files changed after the plan was created");
    assert.match(stale.stderr, "Run `sbx plan -out q.json` again.");
    assert.is(fs.readFileSync(stateFile, "utf8"), stateBefore, "nothing was applied");
  } finally {
    await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
  }
});

test("a slot's ports outside 1-65535 are reported as that, and only that", async () => {
  const repo = makeRepo({ "infra.toml": '[project]\nname = "edge"\n\n[sandbox]\nbackend = "process"\n\n[sandbox.ports]\nAPI_PORT = { base = 65530, stride = 10 }\n\n[services.api]\ncommand = "node server.mjs"\nport = "API_PORT"\n', "server.mjs": SERVER_JS });
  const home = newHome();
  for (const args of [["validate"], ["plan"], ["apply", "--auto-approve"], ["apply", "--auto-approve", "--slot", "3"]]) {
    const r = await sbx(args, { cwd: repo, home });
    assert.is(r.code, 1, args.join(" "));
    const errors = r.stderr.split("\n").filter((l) => /error: /.test(l));
    assert.is(errors.length, 1, `${args.join(" ")}: one error\n${r.stderr}`);
    assert.match(errors[0]!, "infra.toml:8:12: error: No slot gives valid ports");
    assert.match(r.stderr, "outside 1-65535");
    assert.not.match(r.stderr, /No slots available|in use/);
  }
  assert.equal(readRegistry(home).slots, {});
});

test.run();
