// `sbx diff --base REF` on a repository with two commits, and the CI recipe in
// examples/ci/ run as GitHub Actions would run its command, with no host state.

import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parse as parseYaml } from "yaml";
import { git, makeRepo, newHome, ROOT, SBX, sbx, tmpdir, walk } from "../helpers/sbx.js";

const BASE = {
  "infra.toml": [
    'profile = "web"',
    "",
    "[project]",
    'name = "review"',
    "",
    "[sandbox]",
    'backend = "process"',
    "",
    "[sandbox.ports]",
    "API_PORT = { base = 8000, stride = 10 }",
    "",
    "[sandbox.env]",
    'LOG = "info"',
    "",
    "[sandbox.files]",
    '"config.yaml" = "config.example.yaml"',
    "",
    "[services.api]",
    'command = "node api.mjs"',
    'port = "API_PORT"',
    "",
  ].join("\n"),
  "profiles/web.toml": 'id = "web"\nversion = 1\n[defaults.infra.sandbox.env]\nREGION = "eu"\n',
  "config.example.yaml": "a: 1\n",
};

/** A repository whose second commit changes ports, env, a copied file's source, a command and the profile version. */
function twoCommits(): string {
  const repo = makeRepo(BASE);
  const infra = BASE["infra.toml"].replace("base = 8000", "base = 9000").replace('LOG = "info"', 'LOG = "debug"').replace('"config.example.yaml"', '"config.sample.yaml"').replace('"node api.mjs"', '"node api.mjs --watch"');
  fs.writeFileSync(path.join(repo, "infra.toml"), infra);
  fs.writeFileSync(path.join(repo, "profiles/web.toml"), BASE["profiles/web.toml"].replace("version = 1", "version = 2"));
  fs.writeFileSync(path.join(repo, "config.sample.yaml"), "a: 2\n");
  git(repo, "add", "-A");
  git(repo, "commit", "-qm", "change the sandbox");
  return repo;
}

test("sbx diff --base HEAD~1 shows exactly the artefacts the second commit changes, and exits 2", async () => {
  const repo = twoCommits();
  const home = newHome();
  const before = git(repo, "status", "--porcelain");
  const r = await sbx(["diff", "--base", "HEAD~1"], { cwd: repo, home });
  assert.is(r.code, 2, r.stderr);
  assert.equal(walk(home), [], "no host state");
  assert.is(git(repo, "status", "--porcelain"), before, "the checkout is untouched");
  const addresses = [...r.stdout.matchAll(/^ {2}# (\S+) (will|must)/gm)].map((m) => m[1]);
  assert.equal(addresses, ['copy["config.yaml"]', "file.env_sandbox", "process.api", "slot.this"]);
  assert.match(r.stdout, /- API_PORT=8010\n.*\n\s+\+ API_PORT=9010/);
  assert.match(r.stdout, '~ source = "config.example.yaml" -> "config.sample.yaml"');
  assert.match(r.stdout, '+ "node api.mjs --watch",');
  assert.match(r.stdout, "profile web@1 → web@2");
  assert.match(r.stdout, "Plan: 0 to add, 3 to change, 1 to replace, 0 to destroy.");

  const json = await sbx(["diff", "--base", "HEAD~1", "--json"], { cwd: repo, home });
  const plan = JSON.parse(json.stdout) as { resource_changes: { address: string; action: string }[] };
  assert.equal(plan.resource_changes.filter((c) => c.action !== "no-op").map((c) => `${c.action} ${c.address}`), ['update copy["config.yaml"]', "update file.env_sandbox", "replace process.api", "update slot.this"]);

  const md = await sbx(["diff", "--base", "HEAD~1", "--markdown"], { cwd: repo, home });
  assert.is(md.code, 2);
  assert.ok(md.stdout.startsWith("<!-- sbx:diff -->\n### sbx diff: `HEAD~1"), md.stdout.slice(0, 80));
  assert.ok(md.stdout.length < 65536);
  assert.match(md.stdout, "```diff\n");
  // Gutter symbols in column 0 and every text in the same column as in the terminal.
  assert.match(md.stdout, "\n-           API_PORT=8010\n");

  const same = await sbx(["diff", "--base", "HEAD"], { cwd: repo, home });
  assert.is(same.code, 0, same.stdout + same.stderr);
  assert.match(same.stdout, "No changes: both revisions generate the same resources and artefacts.");
  const bad = await sbx(["diff", "--base", "no-such-ref"], { cwd: repo, home });
  assert.is(bad.code, 1);
  assert.match(bad.stderr, "error: Unknown git revision `no-such-ref'");
});

test("the CI recipe's command runs as in GitHub Actions and writes one comment under the limit", () => {
  const workflow = parseYaml(fs.readFileSync(path.join(ROOT, "examples/ci/sbx-diff.yml"), "utf8")) as { jobs: { diff: { steps: { id?: string; run?: string }[] } } };
  const step = workflow.jobs.diff.steps.find((s) => s.id === "diff");
  assert.ok(step?.run, "the diff step has a run script");
  // A pull request: origin has main; the checkout is the feature branch.
  const origin = twoCommits();
  git(origin, "branch", "feature");
  git(origin, "reset", "-q", "--hard", "HEAD~1");
  const work = path.join(tmpdir(), "checkout");
  execFileSync("git", ["clone", "-q", "--branch", "feature", origin, work]);
  const bin = tmpdir();
  fs.writeFileSync(path.join(bin, "sbx"), `#!/bin/sh\nexec "${process.execPath}" "${SBX}" "$@"\n`, { mode: 0o755 });
  const outputs = path.join(tmpdir(), "github-output");
  const script = step!.run!.replace(/\$\{\{\s*github\.base_ref\s*\}\}/g, "main");
  const r = spawnSync("bash", ["-e", "-c", script], { cwd: work, env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, GITHUB_OUTPUT: outputs, SBX_HOME: newHome(), NO_COLOR: "1" }, encoding: "utf8", timeout: 60_000 });
  assert.is(r.status, 0, r.stderr);
  assert.is(fs.readFileSync(outputs, "utf8"), "changed=true\n");
  const comment = fs.readFileSync(path.join(work, "sbx-diff.md"), "utf8");
  assert.ok(comment.startsWith("<!-- sbx:diff -->"), "the comment carries the marker the recipe looks for");
  assert.ok(comment.length < 65536);
  assert.match(comment, "**Plan: 0 to add, 3 to change, 1 to replace, 0 to destroy.**");
});

test("a copied file edited outside sbx shows as drift with its content diff, found now -> as sbx will copy it", async () => {
  const repo = makeRepo({
    "infra.toml": '[project]\nname = "drift"\n\n[sandbox]\nbackend = "process"\n\n[sandbox.files]\n"local.yaml" = "config.yaml"\n',
    "config.yaml": "a: 1\nb: 2\nc: 3\n",
  });
  const wt = path.join(path.dirname(repo), `${path.basename(repo)}-wt`);
  git(repo, "worktree", "add", "-q", "-b", "wt", wt);
  const home = newHome();
  const up = await sbx(["apply", "--auto-approve"], { cwd: wt, home });
  assert.is(up.code, 0, up.stderr);
  fs.writeFileSync(path.join(wt, "local.yaml"), "a: 1\nb: 20\nc: 3\n");
  const plan = await sbx(["plan"], { cwd: wt, home });
  assert.is(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, '# (drift: local.yaml edited outside sbx)');
  assert.match(plan.stdout, "# (drift: as found now -> as sbx will make it)");
  assert.match(plan.stdout, /- b: 20\n\s+\+ b: 2\n/);
  const fix = await sbx(["apply", "--auto-approve"], { cwd: wt, home });
  assert.is(fix.code, 0, fix.stderr);
  assert.is(fs.readFileSync(path.join(wt, "local.yaml"), "utf8"), "a: 1\nb: 2\nc: 3\n");
  const down = await sbx(["destroy", "--auto-approve"], { cwd: wt, home });
  assert.is(down.code, 0, down.stderr);
  assert.not.ok(fs.existsSync(path.join(wt, "local.yaml")));
});

test.run();
