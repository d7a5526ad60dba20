// `eval "$(sbx env)"` is safe: values with spaces, quotes, `;`, `$(...)` and backticks come
// out as exactly those values, nothing in them runs, and a child process sees them.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { makeRepo, newHome, SBX, sbx, tmpdir } from "../helpers/sbx.js";
import { freePortBase } from "../helpers/ports.js";

test("eval of sbx env sets exactly the configured values, runs nothing, and a child process sees them", async () => {
  const scratch = tmpdir("sbx-env-canary-");
  const canary = path.join(scratch, "ran");
  // What each variable must hold, exactly, after eval.
  const want: Record<string, string> = {
    SPACES: "  two  spaces and a\ttab  ",
    SINGLE: "it's Bob's",
    DOUBLE: 'say "hi" and "bye"',
    SEMI: `a; touch ${canary}; b`,
    SUBST: `$(touch ${canary})`,
    BACKTICK: `\`touch ${canary}\``,
    MIXED: `'"; touch ${canary}; echo '$HOME' "\`id\`"`,
    DOLLAR: "$HOME and ${HOME}",
  };
  // TOML basic strings: escape backslashes and double quotes; sbx reads `$$` as a literal `$`.
  const toml = (v: string) => JSON.stringify(v.replace(/\$/g, "$$$$"));
  const base = await freePortBase(4);
  const infra = `[project]\nname = "envq"\n\n[sandbox]\nbackend = "process"\n\n[sandbox.ports]\nAPI_PORT = { base = ${base}, stride = 1 }\n\n[sandbox.env]\n${Object.entries(want)
    .map(([k, v]) => `${k} = ${toml(v)}`)
    .join("\n")}\n`;
  const repo = makeRepo({ "infra.toml": infra });
  const home = newHome();
  try {
    const up = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
    assert.is(up.code, 0, up.stderr + up.stdout);
    const printed = await sbx(["env"], { cwd: repo, home });
    assert.is(printed.code, 0, printed.stderr);
    for (const line of printed.stdout.trim().split("\n")) assert.match(line, /^export [A-Za-z_][A-Za-z0-9_]*='/, "every line is an export with a single-quoted value");
    const env = { ...process.env, SBX_HOME: home, NO_COLOR: "1" };
    const script = `eval "$(node ${JSON.stringify(SBX)} env)" && node -e 'const k=JSON.parse(process.argv[1]); console.log(JSON.stringify(Object.fromEntries(k.map((n) => [n, process.env[n]]))))' '${JSON.stringify(Object.keys(want))}'`;
    const seen = JSON.parse(execFileSync("bash", ["-c", script], { cwd: repo, env, encoding: "utf8", timeout: 30_000 })) as Record<string, string>;
    assert.equal(seen, want, "a child process of the shell sees exactly the configured values");
    assert.not.ok(fs.existsSync(canary), "nothing in a value ran");
    // The same values through --format json, and dotenv names each of them.
    const json = await sbx(["env", "--format", "json"], { cwd: repo, home });
    const parsed = JSON.parse(json.stdout) as Record<string, string>;
    for (const [k, v] of Object.entries(want)) assert.is(parsed[k], v, k);
    const dotenv = await sbx(["env", "--format", "dotenv"], { cwd: repo, home });
    for (const k of Object.keys(want)) assert.match(dotenv.stdout, new RegExp(`^${k}=`, "m"));
    assert.not.ok(fs.existsSync(canary), "nothing ran");
  } finally {
    await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});

test.run();
