// Apply on a real terminal (a pseudo-terminal from script(1)): what runs now is shown under the
// log lines with a spinner and its elapsed time, and is gone before the summary. Piped, the
// same apply prints plain lines only.

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { makeRepo, newHome, ROOT, SBX, sbx } from "../helpers/sbx.js";

function quickstartRepo(): string {
  const files: Record<string, string> = {};
  for (const f of ["infra.toml", "api.mjs", "web.mjs"]) files[f] = fs.readFileSync(path.join(ROOT, "examples/quickstart", f), "utf8");
  return makeRepo(files);
}

/** Run sbx under a pseudo-terminal; resolves with everything written to it. */
function onTerminal(args: string[], cwd: string, home: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const cmd = [process.execPath, SBX, ...args].map((a) => `'${a}'`).join(" ");
    const child = spawn("script", ["-qec", cmd, "/dev/null"], {
      cwd,
      env: { ...process.env, SBX_HOME: home, NO_COLOR: "1", COLUMNS: "100" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`timed out on a terminal:\n${output}`));
    }, 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const CLEAR = "\x1b[1F\x1b[J";
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] (process\.web|health\.gate): Creating\.\.\. \d+s/;

test("on a terminal, apply shows what is running with a spinner and elapsed time, and clears it before the summary", async () => {
  const repo = quickstartRepo();
  const home = newHome();
  const r = await onTerminal(["apply", "--auto-approve"], repo, home);
  assert.is(r.code, 0, r.output);
  assert.match(r.output, SPINNER);
  assert.ok(r.output.includes(CLEAR), "the view is redrawn in place");
  // Log lines are printed above the view, as they are without a terminal.
  assert.match(r.output, /process\.api: Creation complete after \d+s \[pid=\d+\]/);
  const summary = r.output.indexOf("Apply complete!");
  assert.ok(summary > 0, r.output);
  assert.not.match(r.output.slice(summary), SPINNER, "nothing of the view is left under the summary");
  assert.is((await sbx(["destroy", "--auto-approve"], { cwd: repo, home })).code, 0);
});

test("piped, the same apply prints one plain line per step and no terminal codes", async () => {
  const repo = quickstartRepo();
  const home = newHome();
  const r = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
  assert.is(r.code, 0, r.stderr);
  assert.not.ok(r.stdout.includes("\x1b["), "no escape codes");
  assert.not.match(r.stdout, SPINNER);
  assert.match(r.stdout, /process\.web: Creating\.\.\.\nprocess\.web: waiting for http:\/\/127\.0\.0\.1:\d+\/health \(up to 30s\)/);
  assert.match(r.stdout, /health\.gate: Creation complete after \d+s/);
  assert.is((await sbx(["destroy", "--auto-approve"], { cwd: repo, home })).code, 0);
});

test.run();
