// A newcomer's first hour, scripted: every command the README and `--help` name, run as a
// user runs them (piped into head, with bad flags, in a missing directory, on each
// malformed fixture), never shows a stack trace, never contradicts itself, and locates
// every configuration error. Ctrl-C during apply leaves state the next apply converges.

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { makeRepo, newHome, ownedPids, portOpen, readRegistry, ROOT, SBX, sbx, sbxSpawn, SERVER_JS, tmpdir, waitFor, walk, type RunResult } from "../helpers/sbx.js";

const README = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");

/** The quickstart, on its own port bases (26400, 26401) so other tests' quickstarts do not move its slot. */
function quickstartRepo(): string {
  const files: Record<string, string> = {};
  for (const f of ["infra.toml", "api.mjs", "web.mjs"]) files[f] = fs.readFileSync(path.join(ROOT, "examples/quickstart", f), "utf8");
  files["infra.toml"] = files["infra.toml"]!.replace("base = 18000", "base = 26400").replace("base = 18001", "base = 26401");
  assert.match(files["infra.toml"]!, "base = 26401");
  return makeRepo(files);
}

/** `sbx ARGS | head -1` in a real shell: sbx's own exit status and its stderr, with a deadline. */
function piped(args: string[], opts: { cwd: string; home: string; timeoutMs?: number }): Promise<RunResult & { head: string }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, SBX_HOME: opts.home, NO_COLOR: "1" };
    delete env.FORCE_COLOR;
    const script = 'node "$0" "$@" 2>"$SBX_TOUR_ERR" | head -1; exit "${PIPESTATUS[0]}"';
    const errFile = path.join(tmpdir("sbx-tour-err-"), "stderr");
    const child = spawn("bash", ["-c", script, SBX, ...args], { cwd: opts.cwd, env: { ...env, SBX_TOUR_ERR: errFile }, stdio: ["ignore", "pipe", "inherit"] });
    let head = "";
    child.stdout.on("data", (c: Buffer) => (head += c.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`sbx ${args.join(" ")} | head -1 timed out`));
    }, opts.timeoutMs ?? 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: head, head, stderr: fs.existsSync(errFile) ? fs.readFileSync(errFile, "utf8") : "" });
    });
  });
}

/** What no output may ever hold, whatever the command: a trace, a repeated address, an empty log excerpt, an error that exits 0. */
function consistent(r: RunResult, what: string): void {
  const all = `${r.stdout}\n${r.stderr}`;
  assert.not.match(all, /internal error/, `${what}: internal error\n${all}`);
  assert.not.match(all, /^\s+at \S+.*[:(]\d+:\d+\)?$/m, `${what}: stack trace\n${all}`);
  assert.not.match(all, /(?:^|\s)([a-z]+(?:\.[\w-]+|\["[^"]*"\])): \1\b/m, `${what}: an address repeated\n${all}`);
  const lines = all.split("\n");
  lines.forEach((l, i) => {
    if (/Last log lines \([^)]*\):$/.test(l)) assert.match(lines[i + 1] ?? "", /^\s{4,}\S/, `${what}: "Last log lines" with nothing after\n${all}`);
  });
  if (r.code === 0) assert.not.match(r.stderr, /^(\S+: )?error: /m, `${what}: an error printed, yet exit 0\n${all}`);
  else if (r.code !== 2) assert.match(r.stderr, /error: |error\b/, `${what}: failed (exit ${r.code}) without saying why\n${all}`);
  if (r.code !== 0) assert.not.match(r.stdout, /Apply complete!|Destroy complete!/, `${what}: "complete" yet exit ${r.code}`);
}

/** Every configuration error names file:line:col (or the --set flag it came from). */
function located(stderr: string, what: string): void {
  const errors = stderr.split("\n").filter((l) => /error: /.test(l) && !/^\s/.test(l));
  assert.ok(errors.length, `${what}: no error line\n${stderr}`);
  for (const l of errors) assert.match(l, /^(\S+:\d+:\d+|--set \S+): error: /, `${what}: unlocated error: ${l}`);
}

/** Commands `sbx --help` lists (minus help itself). */
function helpCommands(text: string): string[] {
  const section = (text.split("Commands:\n")[1] ?? "").split("\n\n")[0]!;
  return [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!).filter((c) => c !== "help");
}

/** How the tour runs each command (arguments a newcomer would give). */
const ARGS: Record<string, string[]> = {
  plan: ["plan"],
  apply: ["apply", "--auto-approve"],
  destroy: ["destroy", "--auto-approve"],
  status: ["status"],
  list: ["list"],
  env: ["env"],
  logs: ["logs"],
  validate: ["validate"],
  explain: ["explain", "sandbox.ports.API_PORT"],
  compile: ["compile"],
  show: ["show", "p.json"],
  gc: ["gc"],
  "extend-ttl": ["extend-ttl", "2h"],
  diff: ["diff", "--base", "HEAD"],
  ssh: ["ssh"],
  exec: ["exec", "true"],
  init: ["init", "--dry-run"],
  worktree: ["worktree", "list"],
  stop: ["stop"],
  start: ["start"],
  expire: ["expire"],
  recreate: ["recreate", "--auto-approve"],
  reachability: ["reachability"],
  profiles: ["profiles", "list"],
  serve: ["serve"],
  completion: ["completion", "bash"],
  snapshot: ["snapshot"],
  snapshots: ["snapshots", "list"],
  restore: ["restore", "no-such-snapshot"],
};

test("the README and --help name the same commands, and every command has help (--json flags included)", async () => {
  const home = newHome();
  const cwd = tmpdir();
  const help = await sbx(["--help"], { cwd, home });
  assert.is(help.code, 0);
  const cmds = helpCommands(help.stdout);
  const readme = [...README.matchAll(/^ {4}sbx ([a-z][a-z-]*)/gm)].map((m) => m[1]!);
  assert.equal([...new Set(readme)].sort(), [...cmds].sort(), "README's command list is --help's");
  assert.equal(Object.keys(ARGS).sort(), [...cmds].sort(), "the tour covers every command");
  for (const c of cmds) {
    const h = await sbx([c, "--help"], { cwd, home });
    assert.is(h.code, 0, c);
    consistent(h, `${c} --help`);
    assert.match(h.stdout, `Usage: sbx ${c}`);
    for (const line of h.stdout.split("\n").filter((l) => /^\s+--json/.test(l))) assert.match(line, /--json\s+\S+/, `${c} --json has help text`);
  }
  const v = await sbx(["--version"], { cwd, home });
  assert.is(v.stdout.trim(), JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version);
  const helpPiped = await piped(["--help"], { cwd, home });
  assert.is(helpPiped.code, 0);
  assert.is(helpPiped.head.trim(), "Usage: sbx [options] [command]");
});

test("the README tour on the quickstart: every command, also piped into head, no trace and no contradiction", async () => {
  const repo = quickstartRepo();
  const home = newHome();
  const steps: string[][] = [
    ["validate"],
    ["explain", "sandbox.ports.API_PORT"],
    ["compile"],
    ["compile", "--out", "out"],
    ["plan"],
    ["plan", "--json"],
    ["plan", "--markdown"],
    ["plan", "--out", "p.json"],
    ["show", "p.json"],
    ["show", "p.json", "--json"],
    ["apply", "p.json"],
    ["status"],
    ["status", "--json"],
    ["list"],
    ["list", "--json"],
    ["env"],
    ["env", "--format", "dotenv"],
    ["env", "--format", "json"],
    ["logs"],
    ["logs", "api"],
    ["extend-ttl", "2h"],
    ["reachability"],
    ["reachability", "--json"],
    ["expire"],
    ["profiles", "list"],
    ["explain", "sandbox.ports.API_PORT"],
    ["plan", "--detailed-exitcode"],
    ["apply", "--auto-approve"],
    ["gc"],
    ["help", "apply"],
  ];
  try {
    for (const args of steps) {
      const r = await sbx(args, { cwd: repo, home, timeoutMs: 90_000 });
      consistent(r, args.join(" "));
      assert.is(r.code, 0, `${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
      // The same command into `head -1`, for those with more than a line to say (apply
      // and --out change things; they are piped separately below).
      if (args[0] === "apply" || args.includes("--out") || r.stdout.trim().split("\n").length < 3) continue;
      const p = await piped(args, { cwd: repo, home });
      consistent(p, `${args.join(" ")} | head -1`);
      assert.is(p.code, 0, `${args.join(" ")} | head -1\n${p.stderr}`);
    }
    const claim = Object.values(readRegistry(home).slots)[0]!;
    assert.is((readRegistry(home).slots as Record<string, { status?: string }>)[String(claim.slot)]!.status, "running");
    const explain = await sbx(["explain", "sandbox.ports.API_PORT"], { cwd: repo, home });
    assert.match(explain.stdout, `Port in slot ${claim.slot}: ${claim.ports.API_PORT} (base 26400 + slot × stride 10)`);
    // A whole apply into `head -1`: the reader leaves, the apply still finishes.
    const edited = fs.readFileSync(path.join(repo, "infra.toml"), "utf8").replace('APP_ENV = "sandbox"', 'APP_ENV = "tour"');
    fs.writeFileSync(path.join(repo, "infra.toml"), edited);
    const up = await piped(["apply", "--auto-approve"], { cwd: repo, home, timeoutMs: 90_000 });
    consistent(up, "apply | head -1");
    assert.is(up.code, 0, up.stderr);
    const after = await sbx(["plan", "--detailed-exitcode"], { cwd: repo, home });
    assert.is(after.code, 0, `the piped apply finished: ${after.stdout}`);
    assert.match((await sbx(["env"], { cwd: repo, home })).stdout, "export APP_ENV='tour'");
  } finally {
    const down = await sbx(["destroy", "--auto-approve"], { cwd: repo, home, timeoutMs: 90_000 });
    consistent(down, "destroy");
    assert.is(down.code, 0, down.stderr);
  }
  assert.equal(readRegistry(home).slots, {});
  assert.ok(fs.existsSync(path.join(repo, "out", "compiled.json")), "compile --out wrote into the project directory");
});

test("the README demo as written: npm run demo's apply, then the commands it suggests", async () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  // `npm run demo` is the build (done) and then this sbx command.
  const demo = /node dist\/sbx\.mjs (.*)$/.exec(pkg.scripts.demo!)?.[1]?.split(" ");
  assert.ok(demo, `demo script runs the bundle: ${pkg.scripts.demo}`);
  const after = /^After the demo: (.*)$/m.exec(README)?.[1] ?? "";
  const suggested = [...after.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  assert.ok(suggested.length >= 3, "the README says what to run after the demo");
  const prefix = /^node dist\/sbx\.mjs (-C \S+)/.exec(suggested[0]!)![1]!.split(" ");
  const home = newHome();
  const runs = [demo!, ...suggested.map((c) => c.replace(/^\.\.\. /, "node dist/sbx.mjs -C examples/quickstart ").replace(/^node dist\/sbx\.mjs /, "").split(" "))];
  try {
    for (const args of runs) {
      const r = await sbx(args, { cwd: ROOT, home, timeoutMs: 90_000 });
      consistent(r, args.join(" "));
      assert.is(r.code, 0, `${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
    }
  } finally {
    await sbx([...prefix, "destroy", "--auto-approve"], { cwd: ROOT, home, timeoutMs: 90_000 });
  }
  assert.equal(readRegistry(home).slots, {}, "the demo's destroy released the slot");
});

test("the README's infra.toml example works verbatim", async () => {
  const example = /```toml\n([\s\S]*?)```/.exec(README)?.[1];
  assert.ok(example, "README has a toml example");
  const repo = makeRepo({ "infra.toml": example!, "config.yaml": "x: 1\n" });
  const home = newHome();
  for (const args of [["validate"], ["plan"], ["compile"]]) {
    const r = await sbx(args, { cwd: repo, home });
    consistent(r, `README example: ${args.join(" ")}`);
    assert.is(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
  }
  assert.not.match(README, /\.\.\/shared\//, "README links only files in this repository");
  assert.match(README, "docs/architecture.md");
  assert.match(README, /npm ci && npm run demo/);
  assert.match(README, /npm ci && npm test/);
});

test("bad flags and a missing directory get a plain usage error from every command", async () => {
  const home = newHome();
  const cwd = tmpdir();
  for (const [cmd, args] of Object.entries(ARGS)) {
    const bad = await sbx([...args, "--no-such-flag"], { cwd, home });
    consistent(bad, `${cmd} --no-such-flag`);
    assert.is(bad.code, 1, `${cmd} --no-such-flag`);
    assert.match(bad.stderr, "unknown option '--no-such-flag'");
    const gone = await sbx(["-C", "/nonexistent/dir", ...args], { cwd, home });
    consistent(gone, `-C /nonexistent/dir ${cmd}`);
    assert.is(gone.code, 1, `-C /nonexistent/dir ${cmd}`);
    assert.match(gone.stderr, "error: No such directory: /nonexistent/dir");
  }
  const notDir = await sbx(["-C", path.join(ROOT, "README.md"), "plan"], { cwd, home });
  assert.match(notDir.stderr, "error: Not a directory:");
  assert.equal(walk(home), [], "no host state from usage errors");
});

test("bad flag values are usage errors that name the flag; --set mistakes are located at --set", async () => {
  const repo = quickstartRepo();
  const home = newHome();
  const cases: [string[], RegExp | string][] = [
    [["compile", "--slot", "abc"], "error: Invalid --slot `abc'"],
    [["compile", "--slot=-1"], "error: Invalid --slot `-1'"],
    [["apply", "--slot", "x", "--auto-approve"], "error: Invalid --slot `x'"],
    [["apply", "--parallelism", "0", "--auto-approve"], "error: Invalid --parallelism `0'"],
    [["plan", "--lock-timeout", "soon"], "error: Invalid --lock-timeout `soon'"],
    [["env", "--format", "yaml"], "error: Unknown --format `yaml'"],
    [["--set", "sandbox.ports.API_PORT=abc", "plan"], /^--set sandbox\.ports\.API_PORT=abc: error: Wrong type for `sandbox\.ports\.API_PORT'/m],
    [["--set", "nonsense", "validate"], "Expected --set option.path=value"],
    [["explain", "ports.API_PORT"], "Did you mean `sandbox.ports.API_PORT'?"],
    [["show", "missing.json"], "error: Cannot read plan file missing.json"],
  ];
  for (const [args, expected] of cases) {
    const r = await sbx(args, { cwd: repo, home });
    consistent(r, args.join(" "));
    assert.is(r.code, 1, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, expected, `${args.join(" ")}: ${r.stderr}`);
    assert.not.match(r.stderr, /infra\.toml:\d+/, `${args.join(" ")} blames no infra.toml line`);
  }
  // Before any claim, explain says which port the first slot would give.
  const ex = await sbx(["explain", "sandbox.ports.WEB_PORT"], { cwd: repo, home });
  assert.match(ex.stdout, "Port: no slot claimed yet; slot 1 would give 26411 (base 26401 + slot × stride 10)");
  assert.equal(walk(home), [], "nothing was applied");
});

test("every malformed fixture, through every command that reads the configuration: located errors, no trace", async () => {
  const dir = path.join(ROOT, "fixtures", "errors");
  // compile reads as validate does; status, env and explain load the project alike; destroy needs none.
  const commands = [["compile", "--out", "out"], ["status"], ["destroy", "--auto-approve"]];
  const names = fs.readdirSync(dir).sort();
  // Four fixtures at a time: each has its own repository and SBX_HOME.
  for (let i = 0; i < names.length; i += 4)
    await Promise.all(
      names.slice(i, i + 4).map(async (name) => {
        const files: Record<string, string> = {};
        for (const f of walk(path.join(dir, name))) if (!f.endsWith("expected.txt")) files[path.relative(path.join(dir, name), f)] = fs.readFileSync(f, "utf8");
        const repo = makeRepo(files);
        const home = newHome();
        const expected = fs.readFileSync(path.join(dir, name, "expected.txt"), "utf8");
        const firstError = expected.split("\n")[0]!;
        for (const args of commands) {
          const r = await sbx(args, { cwd: repo, home });
          const what = `${name}: sbx ${args.join(" ")}`;
          consistent(r, what);
          if (args[0] === "destroy") {
            // Destroy needs no configuration; nothing was ever applied here.
            assert.is(r.code, 0, what);
            assert.match(r.stdout, /No sandbox here: nothing to destroy\.|No objects need to be destroyed\./, what);
            continue;
          }
          // Commands that need only the configuration to load report its errors as plan does;
          // the others, on a configuration that loads, say there is no sandbox yet.
          if (r.code === 0 || /error: No sandbox for /.test(r.stderr)) continue;
          located(r.stderr, what);
          if (args[0] === "compile") assert.match(r.stderr, firstError, `${what} gives plan's first error`);
        }
        assert.not.ok(fs.existsSync(path.join(repo, "out", "compiled.json")), `${name}: compile --out wrote nothing for a broken configuration`);
      }),
    );
});

test("compile --out on a compose project writes its override; COMPOSE_PROJECT_NAME is compose's -p, capitals and dots too", async () => {
  const repo = makeRepo({
    "infra.toml": '[project]\nname = "My.Shop"\n\n[sandbox.ports]\nWEB_PORT = 8080\n\n[sandbox.mounts]\ncode = ["src:/app/src:ro"]\ncode_targets = ["web"]\n',
    "docker-compose.yml": 'services:\n  web:\n    image: demo\n    ports:\n      - "${WEB_PORT:-8080}:80"\n',
  });
  const home = newHome();
  const r = await sbx(["compile", "--out", "gen", "--slot", "3"], { cwd: repo, home });
  consistent(r, "compile --out");
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, "wrote gen/docker-compose.override.yml");
  const override = fs.readFileSync(path.join(repo, "gen", "docker-compose.override.yml"), "utf8");
  assert.match(override, "# Project: my-shop-slot-3");
  assert.match(override, "dev.sbx.slot: \"3\"");
  assert.match(override, "<worktree>/src:/app/src:ro");
  const env = fs.readFileSync(path.join(repo, "gen", ".env.sandbox"), "utf8");
  assert.match(env, /^COMPOSE_PROJECT_NAME=my-shop-slot-3\nWEB_PORT=8083\n$/);
  const doc = JSON.parse(fs.readFileSync(path.join(repo, "gen", "compiled.json"), "utf8")) as { resources: { address: string; attrs: { project?: string } }[] };
  assert.is(doc.resources.find((x) => x.address === "compose.stack")!.attrs.project, "my-shop-slot-3", "-p is COMPOSE_PROJECT_NAME");
  assert.equal(walk(home), [], "compile touches no host state");
});

test("kinfra's bare ${NAME} is accepted for a declared port or env variable; an unknown one is located", async () => {
  const toml = '[project]\nname = "bare"\n\n[sandbox]\nbackend = "process"\n\n[sandbox.ports]\nAPI_PORT = { base = 26100, stride = 10 }\n\n[sandbox.env]\nHOST = "localhost"\nAPI_URL = "http://${HOST}:${API_PORT}"\n';
  const repo = makeRepo({ "infra.toml": toml });
  const home = newHome();
  const c = await sbx(["compile", "--slot", "2"], { cwd: repo, home });
  assert.is(c.code, 0, c.stderr);
  assert.match(c.stdout, '"API_URL": "http://localhost:26120"');
  fs.writeFileSync(path.join(repo, "infra.toml"), toml.replace("${HOST}", "${HOTS}"));
  for (const cmd of ["validate", "plan"]) {
    const r = await sbx([cmd], { cwd: repo, home });
    assert.is(r.code, 1);
    assert.match(r.stderr, "infra.toml:12:11: error: Bad interpolation");
    assert.match(r.stderr, "unknown name ${HOTS}");
    assert.match(r.stderr, "Did you mean ${env.HOST}?");
  }
});

/** `sbx ARGS` on a terminal (util-linux `script` gives it a pty); `answer` is typed at the prompt. */
function onTerminal(args: string[], opts: { cwd: string; home: string; answer: string }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, SBX_HOME: opts.home, NO_COLOR: "1" };
    delete env.FORCE_COLOR;
    const cmd = ["node", SBX, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    const child = spawn("script", ["-qec", cmd, "/dev/null"], { cwd: opts.cwd, env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let typed = false;
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (!typed && out.includes("Enter a value:")) {
        typed = true;
        child.stdin.write(opts.answer);
      }
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`sbx ${args.join(" ")} on a terminal timed out\n${out}`));
    }, 30_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout: out, stderr: "" });
    });
  });
}

function haveScript(): boolean {
  try {
    return spawnSync("script", ["--version"], { stdio: "ignore" }).status === 0;
  } catch {
    return false;
  }
}

(haveScript() ? test : test.skip)("at the approval prompt, Ctrl-C, Ctrl-D or \"no\" cancel without a trace; \"yes\" applies", async () => {
  const repo = makeRepo({ "infra.toml": '[project]\nname = "prompt"\n\n[sandbox]\nbackend = "process"\n\n[sandbox.env]\nX = "1"\n' });
  const home = newHome();
  for (const answer of ["\x03", "\x04", "no\n"]) {
    const r = await onTerminal(["apply"], { cwd: repo, home, answer });
    assert.not.match(r.stdout, /internal error|^\s+at /m, JSON.stringify(answer));
    assert.match(r.stdout, "Apply cancelled.", JSON.stringify(answer));
    assert.is(r.code, 1);
    assert.equal(readRegistry(home).slots, {}, "nothing claimed");
  }
  const yes = await onTerminal(["apply"], { cwd: repo, home, answer: "yes\n" });
  assert.match(yes.stdout, "Apply complete!");
  const no = await onTerminal(["destroy"], { cwd: repo, home, answer: "\x03" });
  assert.match(no.stdout, "Destroy cancelled.");
  assert.not.match(no.stdout, /internal error/);
  assert.is(Object.keys(readRegistry(home).slots).length, 1, "still there");
  await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
});

/** A process project whose first service is slow to become ready. */
function slowProject(name: string, base: number): string {
  return makeRepo({
    "infra.toml": `[project]\nname = "${name}"\n\n[sandbox]\nbackend = "process"\n\n[sandbox.ports]\nA_PORT = { base = ${base}, stride = 10 }\nB_PORT = { base = ${base + 1}, stride = 10 }\n\n[services.a]\ncommand = "node server.mjs"\nport = "A_PORT"\nenv = { START_DELAY_MS = "2500" }\nready = { type = "http", path = "/" }\n\n[services.b]\ncommand = "node server.mjs"\nport = "B_PORT"\ndepends_on = ["a"]\nready = { type = "http", path = "/" }\n`,
    "server.mjs": SERVER_JS,
  });
}

/** Start `sbx apply`, wait until process.a waits for readiness, then Ctrl-C it `times` times. */
async function interruptApply(repo: string, home: string, times: number): Promise<RunResult> {
  const child = sbxSpawn(["apply", "--auto-approve"], { cwd: repo, home });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number>((resolve) => child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : -1))));
  await waitFor(() => stdout.includes("process.a: waiting for"), 20_000, "process.a waiting for readiness");
  for (let i = 0; i < times; i++) {
    child.kill("SIGINT");
    if (i + 1 < times) await waitFor(() => stderr.includes("Interrupt received"), 5_000, "the first interrupt noticed");
  }
  const code = await Promise.race([exited, new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`apply did not exit after SIGINT\n${stdout}\n${stderr}`)), 30_000).unref())]);
  return { code, stdout, stderr };
}

function groupsOf(pids: number[]): Set<string> {
  return new Set(pids.map((p) => fs.readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ")[2]!));
}

test("Ctrl-C during apply: the operation in flight finishes, state is committed, the slot is not left provisioning, the next apply converges", async () => {
  const repo = slowProject("ctrlc", 26200);
  const home = newHome();
  try {
    const r = await interruptApply(repo, home, 1);
    consistent(r, "apply interrupted once");
    assert.is(r.code, 130, r.stdout + r.stderr);
    assert.match(r.stderr, "Interrupt received. Stopping after the operations in flight...");
    assert.match(r.stderr, "error: Interrupted");
    assert.match(r.stderr, "Not started: process.b");
    assert.match(r.stdout, "process.a: Creation complete", "the operation in flight finished");
    assert.not.match(r.stdout, "process.b: Creating");
    const claim = Object.values(readRegistry(home).slots)[0] as { status?: string; instance: string; ports: Record<string, number> };
    assert.is(claim.status, "incomplete", "the slot says the apply did not complete");
    assert.ok(await portOpen(claim.ports.A_PORT!), "process.a runs");
    const status = await sbx(["status", "--json"], { cwd: repo, home });
    const report = JSON.parse(status.stdout) as { resources: { address: string; state: string }[] };
    assert.is(report.resources.find((x) => x.address === "process.a")?.state, "running", "state recorded process.a");
    const plan = await sbx(["plan"], { cwd: repo, home });
    assert.match(plan.stdout, "Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy.");
    assert.match(plan.stdout, "# process.b will be created");
    const again = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
    consistent(again, "apply after Ctrl-C");
    assert.is(again.code, 0, again.stderr);
    assert.ok(await portOpen(claim.ports.B_PORT!));
    assert.is((Object.values(readRegistry(home).slots)[0] as { status?: string }).status, "running");
    assert.is((await sbx(["plan", "--detailed-exitcode"], { cwd: repo, home })).code, 0);
    await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
    assert.equal(ownedPids(claim.instance), []);
  } finally {
    // Never leave processes behind, even when an assertion failed.
    await sbx(["destroy", "--auto-approve"], { cwd: repo, home, timeoutMs: 90_000 });
  }
});

test("two Ctrl-C stop at once; the journal names what was begun and the next apply converges without strays", async () => {
  const repo = slowProject("ctrlc2", 26300);
  const home = newHome();
  try {
    const r = await interruptApply(repo, home, 2);
    consistent(r, "apply interrupted twice");
    assert.is(r.code, 130);
    assert.match(r.stderr, "error: Two interrupts received\n  Exited immediately.");
    assert.not.match(r.stdout, "process.a: Creation complete");
    const claim = Object.values(readRegistry(home).slots)[0]!;
    const plan = await sbx(["plan"], { cwd: repo, home });
    assert.match(plan.stdout, "# process.a will be created\n  # (an interrupted run began creating it)");
    const again = await sbx(["apply", "--auto-approve"], { cwd: repo, home, timeoutMs: 90_000 });
    consistent(again, "apply after two Ctrl-C");
    assert.is(again.code, 0, again.stderr + again.stdout);
    for (const addr of ["process.a", "process.b"]) assert.is(groupsOf(ownedPids(`${claim.instance}/${addr}`)).size, 1, `${addr} runs once`);
    assert.is((await sbx(["plan", "--detailed-exitcode"], { cwd: repo, home })).code, 0);
    await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
    assert.equal(ownedPids(claim.instance), []);
    assert.equal(readRegistry(home).slots, {});
  } finally {
    // Never leave processes behind, even when an assertion failed.
    await sbx(["destroy", "--auto-approve"], { cwd: repo, home, timeoutMs: 90_000 });
  }
});

test("a process that dies before it is ready is reported once, with its last log lines", async () => {
  const repo = makeRepo({
    "infra.toml": '[project]\nname = "dies"\n\n[sandbox]\nbackend = "process"\n\n[services.quiet]\ncommand = "exit 3"\nready = { type = "exec", command = "false", timeout = 5 }\n\n[services.loud]\ncommand = "echo starting; echo boom >&2; exit 4"\nready = { type = "exec", command = "false", timeout = 5 }\n',
  });
  const home = newHome();
  const r = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
  consistent(r, "apply with dying services");
  assert.is(r.code, 1);
  assert.match(r.stderr, /process\.loud: exited before it was ready\. Last log lines \([^)]*loud\.log\):\n\s+starting\n\s+boom/);
  assert.match(r.stderr, /process\.quiet: exited before it was ready\. (Last log lines \([^)]*\):\n\s+\S|It printed nothing)/);
  assert.is((Object.values(readRegistry(home).slots)[0] as { status?: string }).status, "incomplete");
  await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
});

test("secret files that cannot be read say why: missing, a directory", async () => {
  const repo = makeRepo({
    "infra.toml": '[project]\nname = "secretfiles"\n\n[sandbox]\nbackend = "process"\n\n[sandbox.secrets]\nDIR = "file://conf"\nGONE = "file://nope.txt"\nKEY = "dotenv://conf#KEY"\n',
    "conf/placeholder": "",
  });
  const home = newHome();
  const r = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
  consistent(r, "apply with unreadable secret files");
  assert.is(r.code, 1);
  assert.match(r.stderr, `DIR (file://conf)\n    ${path.join(repo, "conf")} is a directory, not a file.`);
  assert.match(r.stderr, `GONE (file://nope.txt)\n    File not found: ${path.join(repo, "nope.txt")}.`);
  assert.match(r.stderr, `KEY (dotenv://conf#KEY)\n    ${path.join(repo, "conf")} is a directory, not a file.`);
  assert.not.match(r.stderr, `File not found: ${path.join(repo, "conf")}`);
  await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
});

test("a destination that is a directory is a plain error, and the directory is left alone", async () => {
  const repo = makeRepo({ "infra.toml": '[project]\nname = "destdir"\n\n[sandbox]\nbackend = "process"\n\n[sandbox.files]\n"conf.d" = "template.yaml"\n', "template.yaml": "a: 1\n" });
  fs.mkdirSync(path.join(repo, "conf.d"));
  fs.writeFileSync(path.join(repo, "conf.d", "keep"), "");
  const home = newHome();
  const r = await sbx(["apply", "--auto-approve"], { cwd: repo, home });
  consistent(r, "apply with a directory destination");
  assert.is(r.code, 1);
  assert.match(r.stderr, `copy["conf.d"]: conf.d: Destination ${path.join(repo, "conf.d")} is a directory; sbx writes a file there.`);
  await sbx(["destroy", "--auto-approve"], { cwd: repo, home });
  assert.ok(fs.existsSync(path.join(repo, "conf.d", "keep")), "the user's directory is untouched");
});

test("a 99,000-variable environment is too big to start a process (E2BIG): a plain error naming the service", async () => {
  const vars = Array.from({ length: 99_000 }, (_, i) => `V${i} = "${"x".repeat(20)}"`).join("\n");
  const repo = makeRepo({ "infra.toml": `[project]\nname = "huge"\n\n[sandbox]\nbackend = "process"\n\n[sandbox.env]\n${vars}\n\n[services.api]\ncommand = "sleep 30"\n` });
  const home = newHome();
  const r = await sbx(["apply", "--auto-approve"], { cwd: repo, home, timeoutMs: 120_000 });
  consistent(r, "apply with a huge env");
  assert.is(r.code, 1);
  assert.match(r.stderr, "process.api: Cannot start services.api (/bin/sh -c sleep 30): its environment and arguments are larger than the system allows (E2BIG)");
  await sbx(["destroy", "--auto-approve"], { cwd: repo, home, timeoutMs: 120_000 });
  assert.equal(readRegistry(home).slots, {});
});

test.run();
