// A literal secret and a `$VAR` secret, with distinctive canary values, run through every
// command: they appear in no output and no file except the secrets file (0600). The
// service prints both values on purpose, so logs and a failing apply's errors have them
// to leak; a killed apply leaves its journal behind to be searched too.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { makeRepo, newHome, readRegistry, sbx, sbxSpawn, tmpdir, waitFor, walk } from "../helpers/sbx.js";
import { freePortBase } from "../helpers/ports.js";

const LIT = "trustlit-3c9d0a7e-canary";
const ENV = "trustenv-8b21f6d4-canary";
const SET = "trustset-51e0c2aa-canary";
const LOCAL = "trustlocal-9f7b3d10-canary";
const CANARIES = [LIT, ENV, SET, LOCAL];

const SERVER = `
import http from "node:http";
console.log("lit=" + process.env.LIT_TOKEN + " env=" + process.env.ENV_TOKEN);
if (process.env.CRASH) { console.error("crashing with " + process.env.ENV_TOKEN); process.exit(1); }
setTimeout(() => http.createServer((q, r) => r.end("ok")).listen(Number(process.env.PORT), "127.0.0.1"), Number(process.env.START_DELAY_MS ?? 0));
process.on("SIGTERM", () => process.exit(0));
`;

function infra(base: number, extra = ""): string {
  return `[project]
name = "leak"

[sandbox]
backend = "process"

[sandbox.ports]
API_PORT = { base = ${base}, stride = 2 }
BAD_PORT = { base = ${base + 1}, stride = 2 }

[sandbox.env]
APP_ENV = "sandbox"

[sandbox.secrets]
LIT_TOKEN = "${LIT}"
ENV_TOKEN = "$TRUST_ENV_TOKEN"

[services.api]
command = "node server.mjs"
port = "API_PORT"
env = { START_DELAY_MS = "1500" }
ready = { type = "http", path = "/", timeout = 20 }
${extra}`;
}

const BAD = `
[services.bad]
command = "node server.mjs"
port = "BAD_PORT"
env = { CRASH = "1" }
ready = { type = "tcp", timeout = 10 }
`;

function assertClean(what: string, text: string): void {
  for (const c of CANARIES) assert.not.ok(text.includes(c), `${what} shows the secret ${c}:\n${text}`);
}

/** Every file under `dir` except the secrets file holds no canary. */
function assertFilesClean(dir: string): string[] {
  const files = walk(dir);
  for (const f of files) if (path.basename(f) !== ".env.secrets") assertClean(f, fs.readFileSync(f, "latin1"));
  return files;
}

test("a literal and a $VAR secret appear in no output and no file but the 0600 secrets file, through every command", async () => {
  const base = await freePortBase(6);
  const repo = makeRepo({ "infra.toml": infra(base), "server.mjs": SERVER });
  const home = newHome();
  const scratch = tmpdir("sbx-leak-");
  const env = { TRUST_ENV_TOKEN: ENV };
  const seen: string[] = [];
  const run = async (args: string[], expectCode: number | undefined = 0, extraEnv: NodeJS.ProcessEnv = env) => {
    const r = await sbx(args, { cwd: repo, home, env: extraEnv, timeoutMs: 90_000 });
    if (expectCode !== undefined) assert.is(r.code, expectCode, `sbx ${args.join(" ")}\n${r.stderr}\n${r.stdout}`);
    assertClean(`sbx ${args.join(" ")}`, r.stdout + r.stderr);
    seen.push(args.join(" "));
    return r;
  };
  try {
    await run(["validate"]);
    await run(["compile"]);
    const compiled = await run(["compile", "--json"]);
    assert.match(compiled.stdout, '"LIT_TOKEN": "(literal, not shown)"');
    assert.match(compiled.stdout, '"ENV_TOKEN": "$TRUST_ENV_TOKEN"');
    const outDir = path.join(scratch, "compiled");
    await run(["compile", "--out", outDir]);
    assert.ok(fs.existsSync(path.join(outDir, "compiled.json")));
    assertFilesClean(outDir);

    // explain: the reference or "(literal, not shown)", with file:line and priority.
    const table = await run(["explain", "sandbox.secrets"]);
    assert.match(table.stdout, 'sandbox.secrets.LIT_TOKEN = "(literal, not shown)"  (infra.toml:15, priority 100)');
    assert.match(table.stdout, 'sandbox.secrets.ENV_TOKEN = "$TRUST_ENV_TOKEN"  (infra.toml:16, priority 100)');
    const one = await run(["explain", "sandbox.secrets.LIT_TOKEN"]);
    assert.match(one.stdout, 'Value: "(literal, not shown)"');
    assert.match(one.stdout, "Priority: 100");
    assert.match(one.stdout, "- In `infra.toml:15:13' (project, priority 100): \"(literal, not shown)\"");
    const ref = await run(["explain", "sandbox.secrets.ENV_TOKEN"]);
    assert.match(ref.stdout, 'Value: "$TRUST_ENV_TOKEN"');

    // Plans: text, JSON, saved (also with a secret --set), shown again.
    await run(["plan"]);
    await run(["plan", "--json"]);
    await run(["plan", "--markdown"]);
    const planFile = path.join(scratch, "plan.json");
    await run(["plan", "-out", planFile]);
    const setPlan = path.join(scratch, "plan-set.json");
    const withSet = await run(["plan", "--set", `sandbox.secrets.SET_TOKEN=${SET}`, "-out", setPlan]);
    assert.match(withSet.stdout, "SET_TOKEN");
    await run(["show", planFile]);
    await run(["show", setPlan, "--json"]);
    for (const f of [planFile, setPlan]) {
      assertClean(f, fs.readFileSync(f, "utf8"));
      assert.is(fs.statSync(f).mode & 0o777, 0o600);
    }
    const up = await run(["apply", planFile]);
    assert.match(up.stdout, "Apply complete!");

    // The secrets file holds both values, and only it, mode 0600.
    const claim = Object.values(readRegistry(home).slots)[0]!;
    const secrets = path.join(home, "instances", claim.instance, ".env.secrets");
    assert.is(fs.statSync(secrets).mode & 0o777, 0o600);
    const text = fs.readFileSync(secrets, "utf8");
    assert.match(text, `LIT_TOKEN=${LIT}`);
    assert.match(text, `ENV_TOKEN=${ENV}`);

    const live = assertFilesClean(home);
    for (const f of ["state.json", "events.jsonl", "registry.json", "api.log"]) assert.ok(live.some((x) => path.basename(x) === f), `${f} was searched`);
    await run(["status"]);
    const status = await run(["status", "--json"]);
    assert.match(status.stdout, '"process.api"');
    await run(["list"]);
    await run(["list", "--json"]);
    await run(["env"]);
    await run(["env", "--format", "json"]);
    const logs = await run(["logs"]);
    assert.match(logs.stdout, "lit=******** env=********", "the service printed both secrets; the log masks them");
    // logs without the variable in sbx's own environment still masks the $VAR value.
    const bare = await run(["logs", "api"], 0, {});
    assert.match(bare.stdout, "env=********");

    // A failing apply: a service that prints the secrets and dies.
    fs.writeFileSync(path.join(repo, "infra.toml"), infra(base, BAD));
    const failing = await run(["apply", "--auto-approve"], 1);
    assert.match(failing.stderr, /process\.bad:? exited before it was ready/);
    assert.match(failing.stderr, "crashing with ********");
    // The same apply with the variable unset fails on resolution, naming the reference only.
    const unresolved = await run(["apply", "--auto-approve"], 1, {});
    assert.match(unresolved.stderr, "ENV_TOKEN ($TRUST_ENV_TOKEN)");
    fs.writeFileSync(path.join(repo, "infra.toml"), infra(base));
    await run(["apply", "--auto-approve"]);

    // A conflict between two definitions lists them without their values.
    fs.writeFileSync(path.join(repo, "infra.local.toml"), `[sandbox.secrets]\nLIT_TOKEN = { force = "${LOCAL}" }\n`);
    fs.writeFileSync(path.join(repo, "infra.toml"), infra(base).replace(`LIT_TOKEN = "${LIT}"`, `LIT_TOKEN = { force = "${LIT}" }`));
    const conflict = await run(["validate"], 1);
    assert.match(conflict.stderr, "Conflicting definitions for `sandbox.secrets.LIT_TOKEN'");
    await run(["plan"], 1);
    await run(["explain", "sandbox.secrets.LIT_TOKEN"], 1);
    fs.rmSync(path.join(repo, "infra.local.toml"));
    // A file that does not parse: the error shows the broken line, masked.
    fs.writeFileSync(path.join(repo, "infra.toml"), infra(base).replace(`LIT_TOKEN = "${LIT}"`, `LIT_TOKEN = "${LIT}`));
    const unterminated = await run(["validate"], 1);
    assert.match(unterminated.stderr, 'LIT_TOKEN = "********');
    fs.writeFileSync(path.join(repo, "infra.toml"), infra(base).replace(`LIT_TOKEN = "${LIT}"`, `LIT_TOKEN = "x-1"\nLIT_TOKEN = "${LIT}"`));
    const duplicate = await run(["plan"], 1);
    assert.match(duplicate.stderr, "Invalid TOML");
    fs.writeFileSync(path.join(repo, "infra.toml"), infra(base));

    // A killed apply leaves its journal: it holds no value either.
    await run(["destroy", "--auto-approve"]);
    const child = sbxSpawn(["apply", "--auto-approve"], { cwd: repo, home, env });
    let out = "";
    child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (out += c.toString()));
    try {
      await waitFor(() => out.includes("process.api: waiting for"), 30_000, "the apply to start the service");
    } finally {
      child.kill("SIGKILL");
    }
    await waitFor(() => child.exitCode !== null || child.signalCode !== null, 10_000, "the killed apply to exit");
    assertClean("the killed apply", out);
    const files = assertFilesClean(home);
    assert.ok(files.some((f) => path.basename(f) === "journal.jsonl"), "the killed apply left a journal to search");
    assert.ok(files.some((f) => path.basename(f) === "events.jsonl"));
    await run(["destroy", "--auto-approve"]);
    assertFilesClean(home);
    assert.ok(seen.length >= 30, `ran ${seen.length} commands`);
  } finally {
    await sbx(["destroy", "--auto-approve"], { cwd: repo, home, env });
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});

test.run();
