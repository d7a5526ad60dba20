// Secret references: every scheme, collected kinfra-style errors, 0600 file, and a
// canary value that must appear nowhere but in .env.secrets. `op` cannot run here
// (1Password needs an account), so a stand-in script on PATH plays it.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { httpGet, makeRepo, newHome, readRegistry, sbx, serviceProject, tmpdir, walk } from "../helpers/sbx.js";

const CANARY = "canary-7f3a9c1e-secret-value";

/** A fake `op` (stand-in for the 1Password CLI): reads refs from a table, or fails like op does. */
function fakeOp(mode: "ok" | "signed-out" | "missing"): string {
  const bin = tmpdir("fake-op-");
  const script = `#!/bin/sh
# stand-in for the 1Password CLI used in tests
[ "$1" = "read" ] || exit 2
case "${mode}" in
  signed-out) echo "[ERROR] You are not currently signed in. Please run op signin" >&2; exit 1;;
  missing) echo "[ERROR] could not find item" >&2; exit 1;;
esac
[ "$OP_ACCOUNT" = "team.1password.com" ] || { echo "[ERROR] no account" >&2; exit 1; }
printf '%s' "${CANARY}-op"
`;
  fs.writeFileSync(path.join(bin, "op"), script, { mode: 0o755 });
  return bin;
}

function secretProject(extra: string): Record<string, string> {
  const files = serviceProject({ name: "sec", base: 26000, extra });
  return files;
}

test("every scheme resolves into a 0600 file that the service sees; values appear nowhere else", async () => {
  const files = secretProject(`
[sandbox.secrets]
FROM_ENV = "$SBX_TEST_SECRET"
FROM_ENV_URL = "env://SBX_TEST_SECRET"
FROM_DOTENV = "dotenv://secrets/.env.shared#TOKEN"
FROM_FILE = "file://secrets/token.txt"
FROM_OP = "op://dev/sec/token"
OP_ACCOUNT = "team.1password.com"
LITERAL = "${CANARY}-literal"
`);
  files["infra.toml"] = files["infra.toml"]!.replace('env = { NAME = "api" }', 'env = { NAME = "api", ECHO_VAR = "FROM_OP" }');
  files["secrets/.env.shared"] = `# shared\nexport TOKEN="${CANARY}-dotenv"\n`;
  files["secrets/token.txt"] = `${CANARY}-file\n`;
  const repo = makeRepo(files);
  const home = newHome();
  const env = { SBX_TEST_SECRET: `${CANARY}-env`, PATH: `${fakeOp("ok")}:${process.env.PATH}` };
  const outputs: string[] = [];
  const run = async (args: string[]) => {
    const r = await sbx(args, { cwd: repo, home, env });
    outputs.push(r.stdout, r.stderr);
    return r;
  };
  const planFile = path.join(tmpdir(), "plan.json");
  const plan = await run(["plan", "--out", planFile]);
  assert.is(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, '"FROM_OP"      = "op://dev/sec/token"');
  assert.match(plan.stdout, '"LITERAL"      = "(literal, not shown)"');
  const json = await run(["plan", "--json"]);
  const up = await run(["apply", planFile]);
  assert.is(up.code, 0, up.stderr + up.stdout);
  const claim = Object.values(readRegistry(home).slots)[0]!;
  const secretsFile = path.join(home, "instances", claim.instance, ".env.secrets");
  assert.is(fs.statSync(secretsFile).mode & 0o777, 0o600);
  const text = fs.readFileSync(secretsFile, "utf8");
  for (const s of ["env", "dotenv", "file", "op", "literal"]) assert.match(text, `${CANARY}-${s}`);
  const seen = JSON.parse((await httpGet(`http://127.0.0.1:${claim.ports.API_PORT}/env`)).body) as Record<string, string>;
  assert.is(seen.FROM_DOTENV, `${CANARY}-dotenv`);
  assert.is(seen.FROM_OP, `${CANARY}-op`);
  assert.is(seen.LITERAL, `${CANARY}-literal`);
  await run(["status"]);
  const logs = await run(["logs"]);
  assert.match(logs.stdout, "echo: ********", "the service printed the secret; the log masks it");
  await run(["env"]);
  await run(["plan"]);
  // A failing apply (unset variable) still leaks nothing.
  const failing = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env: { PATH: env.PATH } });
  outputs.push(failing.stdout, failing.stderr);
  assert.is(failing.code, 1);
  for (const o of [...outputs, json.stdout, fs.readFileSync(planFile, "utf8")]) assert.not.match(o, CANARY);
  for (const f of walk(home)) if (path.basename(f) !== ".env.secrets") assert.not.match(fs.readFileSync(f, "utf8"), CANARY, f);
  await run(["destroy", "--auto-approve"]);
  assert.not.ok(fs.existsSync(secretsFile));
});

test("all provisioning errors are collected and printed once, kinfra-style, ending with the retry command", async () => {
  const files = secretProject(`
[sandbox.secrets]
A_MISSING = "$SBX_UNSET_VARIABLE"
B_OP = "op://dev/sec/token"
C_DOTENV = "dotenv://nope/.env#KEY"

[sandbox.files]
"config.yaml" = "config.yaml"
`);
  files["config.yaml.example"] = "a: 1\n";
  const repo = makeRepo(files);
  const home = newHome();
  const r = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env: { PATH: `${fakeOp("signed-out")}:${process.env.PATH}` } });
  assert.is(r.code, 1);
  assert.match(r.stderr, "error: Provisioning failed");
  assert.match(r.stderr, `config.yaml: Source not found at ${repo}/config.yaml. Hint: cp config.yaml.example config.yaml`);
  assert.match(r.stderr, "A_MISSING ($SBX_UNSET_VARIABLE)\n    Environment variable SBX_UNSET_VARIABLE not set. Export it or change to a different source in infra.toml.");
  assert.match(r.stderr, "B_OP (op://dev/sec/token)\n    1Password not authenticated. Run: eval $(op signin)");
  assert.match(r.stderr, `C_DOTENV (dotenv://nope/.env#KEY)\n    File not found: ${repo}/nope/.env.`);
  assert.match(r.stderr, `Sandbox not started. After fixing, run:\n    cd ${repo} && sbx apply`);
  assert.is(Object.values(readRegistry(home).slots).length, 1, "slot kept for the retry");
  const missing = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env: { PATH: `${fakeOp("missing")}:${process.env.PATH}` } });
  assert.match(missing.stderr, "Secret not found in 1Password: op://dev/sec/token. Check the reference in infra.toml.");
  const noOp = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env: { PATH: "/usr/bin:/bin" } });
  assert.match(noOp.stderr, "1Password CLI (op) not found. Install: brew install 1password-cli — or use $VAR references instead.");
  await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
});

test("a rotated secret shows as a change naming the variable, and makes a saved plan stale", async () => {
  const repo = makeRepo(secretProject(`\n[sandbox.secrets]\nTOKEN = "$SBX_ROTATE"\n`));
  const home = newHome();
  assert.is((await sbx(["apply", "--auto-approve"], { cwd: repo, home, env: { SBX_ROTATE: "first-value-123" } })).code, 0);
  const planFile = path.join(tmpdir(), "p.json");
  const p = await sbx(["plan", "--out", planFile], { cwd: repo, home, env: { SBX_ROTATE: "second-value-456" } });
  assert.match(p.stdout, "secret value changed: TOKEN");
  assert.match(p.stdout, "# process.api must be replaced");
  assert.not.match(p.stdout + fs.readFileSync(planFile, "utf8"), /first-value|second-value/);
  const stale = await sbx(["apply", planFile], { cwd: repo, home, env: { SBX_ROTATE: "third-value-789" } });
  assert.is(stale.code, 4);
  assert.match(stale.stderr, "Saved plan is stale");
  const ok = await sbx(["apply", planFile], { cwd: repo, home, env: { SBX_ROTATE: "second-value-456" } });
  assert.is(ok.code, 0, ok.stderr);
  await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
});

test("values with a newline are refused", async () => {
  const repo = makeRepo(secretProject(`\n[sandbox.secrets]\nBAD = "$SBX_NL"\n`));
  const home = newHome();
  const r = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env: { SBX_NL: "line1\nline2" } });
  assert.is(r.code, 1);
  assert.match(r.stderr, "Secret value for 'BAD' contains invalid characters (newline or null byte)");
  await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
});

test.run();
