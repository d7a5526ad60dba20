// `sbx init` as a user runs it (the built CLI) on every fixture repository under
// fixtures/init: --check before and after, --dry-run and a refusal without a terminal
// write nothing, --yes writes what the pure core proposes (with a #:schema line that
// points at the schema shipped next to the bundle), keeps the original compose file
// once as .bak, and the result passes `sbx validate` and real `docker-compose config`.
// Re-running keeps what the user changed.

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseToml } from "smol-toml";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fixtureRepo, initCases, INIT_FIXTURES } from "../helpers/init-reader.js";
import { newHome, ROOT, SBX, sbx, tmpdir, walk } from "../helpers/sbx.js";

const TIMEOUT_MS = 60_000;
const HAVE_COMPOSE = spawnSync("docker-compose", ["version"], { stdio: "ignore", timeout: TIMEOUT_MS }).status === 0;
if (!HAVE_COMPOSE) {
  if (process.env.SBX_REQUIRE_DOCKER === "1") throw new Error("SBX_REQUIRE_DOCKER=1 but docker-compose is not on PATH");
  console.warn("\n!!! init-cli: docker-compose is not on PATH, so the written compose files are not checked with `docker-compose config` !!!\n");
}
if (!fs.existsSync(SBX)) throw new Error(`${SBX} is missing: run \`npm run build\` first`);

/** Every file of the repository except .git, with its text. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of walk(dir)) if (!path.relative(dir, f).startsWith(".git/")) out[path.relative(dir, f)] = fs.readFileSync(f, "utf8");
  return out;
}

function expected(name: string, rel: string): string | undefined {
  const f = path.join(INIT_FIXTURES, name, "expected", rel);
  return fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined;
}

const dropSchemaLine = (text: string) => text.split("\n").slice(1).join("\n");

for (const name of initCases()) {
  test(`${name}: sbx init --yes writes the proposal; validate and docker-compose config accept it; a re-run writes nothing`, async () => {
    const repo = fixtureRepo(name);
    const home = newHome();
    const run = (...args: string[]) => sbx(args, { cwd: repo, home, timeoutMs: TIMEOUT_MS });
    const original = snapshot(repo);

    const check = await run("init", "--check");
    assert.is(check.code, 1, "every fixture has gaps before init");
    if (!original["infra.toml"]) assert.match(check.stderr, "error: No infra.toml");

    const dry = await run("init", "--dry-run");
    assert.is(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, "No files written (dry run).");
    const refused = await run("init");
    assert.is(refused.code, 1);
    assert.match(refused.stderr, "Refusing to write without consent");
    assert.match(refused.stderr, "Pass --yes");
    assert.equal(snapshot(repo), original, "--dry-run and a refusal write nothing");

    const r = await run("init", "--yes");
    assert.is(r.code, 0, r.stdout + r.stderr);
    assert.not.match(r.stderr, "internal error");
    const infraPath = fs.existsSync(path.join(repo, "infra.toml")) ? "infra.toml" : ".devops-ai/infra.toml";
    const infra = fs.readFileSync(path.join(repo, infraPath), "utf8");
    // The #:schema line names the schema shipped with this package, found offline.
    const ref = /^#:schema (\S+)$/.exec(infra.split("\n")[0]!)?.[1];
    assert.ok(ref, "first line is #:schema");
    const schemaFile = ref!.startsWith("file:") ? fileURLToPath(ref!) : path.resolve(path.dirname(path.join(repo, infraPath)), ref!);
    // (An existing file keeps the #:schema line its user wrote.)
    if (!original[infraPath]) assert.is(schemaFile, path.join(ROOT, "schemas", "infra.schema.json"));
    const golden = expected(name, "infra.toml");
    if (golden) assert.fixture(dropSchemaLine(infra), dropSchemaLine(golden), "the CLI writes what the pure core proposes");

    const composes = Object.keys(original).filter((f) => /(^|\/)(docker-)?compose\.ya?ml$/.test(f) && expected(name, f) !== undefined);
    for (const f of composes) {
      assert.fixture(fs.readFileSync(path.join(repo, f), "utf8"), expected(name, f)!, f);
      if (expected(name, f) !== original[f]) assert.is(fs.readFileSync(path.join(repo, `${f}.bak`), "utf8"), original[f], "the original is kept as .bak");
    }

    const remaining = (expected(name, "remaining.txt") ?? "").split("\n").filter((l) => /: error: /.test(l));
    const v = await run("validate");
    assert.is(v.code, remaining.length ? 1 : 0, v.stdout + v.stderr);
    const after = await run("init", "--check");
    assert.is(after.code, expected(name, "remaining.txt") ? 1 : 0, after.stdout + after.stderr);

    const written = snapshot(repo);
    const again = await run("init", "--yes");
    assert.is(again.code, 0, again.stderr);
    assert.match(again.stdout, "nothing to write");
    assert.equal(snapshot(repo), written, "a second run changes nothing");

    if (HAVE_COMPOSE) {
      // What a sandbox gets: the [sandbox.files] copies (an env_file the compose file reads).
      const parsed = parseToml(infra) as { sandbox?: { files?: Record<string, string>; ports?: Record<string, number | { base: number; stride?: number }> } };
      for (const [dest, src] of Object.entries(parsed.sandbox?.files ?? {})) if (!fs.existsSync(path.join(repo, dest))) fs.copyFileSync(path.join(repo, src), path.join(repo, dest));
      for (const f of composes) {
        const ports = parsed.sandbox?.ports ?? {};
        const env = Object.entries(ports).map(([k, p]) => `${k}=${(typeof p === "number" ? p : p.base) + (typeof p === "number" ? 1 : (p.stride ?? 1))}`);
        const envFile = path.join(home, "slot1.env");
        fs.writeFileSync(envFile, env.join("\n") + "\n");
        const c = spawnSync("docker-compose", ["-p", "init-cli-check", "--env-file", envFile, "-f", f, "config", "-q"], { cwd: repo, encoding: "utf8", timeout: TIMEOUT_MS, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
        assert.is(c.status, 0, `docker-compose config ${f}: ${c.stderr}`);
      }
    }
  });
}

test("re-running sbx init keeps what the user changed and only adds what is missing", async () => {
  const repo = fixtureRepo("single-service");
  const home = newHome();
  assert.is((await sbx(["init", "--yes"], { cwd: repo, home })).code, 0);
  const file = path.join(repo, "infra.toml");
  // The user moves the endpoint, adds an env table and a comment, and removes the health port_var.
  const edited = fs
    .readFileSync(file, "utf8")
    .replace('endpoint = "/healthz"', 'endpoint = "/ready" # mine')
    .replace(/^port_var = .*\n/m, "")
    .concat('\n# my notes\n[sandbox.env]\nLOG_LEVEL = "debug"\n');
  fs.writeFileSync(file, edited);
  const r = await sbx(["init", "--yes"], { cwd: repo, home });
  assert.is(r.code, 0, r.stderr);
  const now = fs.readFileSync(file, "utf8");
  for (const line of edited.split("\n")) assert.ok(now.includes(line), `kept: ${line}`);
  assert.match(now, /port_var = "SHOP_FRONT_WEB_PORT"/, "the missing key is added back");
  assert.match(now, 'endpoint = "/ready" # mine');
  const v = await sbx(["validate"], { cwd: repo, home });
  assert.is(v.code, 0, v.stderr);
});

/** Run `sbx init` on a pseudo-terminal (util-linux `script`), answering the prompt once it appears. */
function onTerminal(cwd: string, home: string, answer: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qec", `${JSON.stringify(process.execPath)} ${JSON.stringify(SBX)} init`, "/dev/null"], { cwd, env: { ...process.env, SBX_HOME: home, NO_COLOR: "1" }, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    let answered = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`sbx init on a terminal timed out:\n${output}`));
    }, TIMEOUT_MS);
    child.stdout.on("data", (c: Buffer) => {
      output += c.toString();
      if (!answered && output.includes("Write these files? [y/N]")) {
        answered = true;
        child.stdin.write(`${answer}\n`);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, output });
    });
  });
}

const HAVE_SCRIPT = spawnSync("script", ["--version"], { stdio: "ignore", timeout: TIMEOUT_MS }).status === 0;
if (!HAVE_SCRIPT) console.warn("\n!!! init-cli: util-linux `script` is not on PATH, so the terminal prompt is not tested !!!\n");

if (HAVE_SCRIPT)
  test("on a terminal sbx init asks first: no writes nothing, yes writes", async () => {
    const repo = fixtureRepo("single-service");
    const home = newHome();
    const before = snapshot(repo);
    const no = await onTerminal(repo, home, "n");
    assert.is(no.code, 1, no.output);
    assert.match(no.output, "Aborted; nothing written.");
    assert.equal(snapshot(repo), before);
    const yes = await onTerminal(repo, home, "y");
    assert.is(yes.code, 0, yes.output);
    assert.match(yes.output, "Wrote infra.toml, docker-compose.yml.bak, docker-compose.yml.");
    assert.ok(fs.existsSync(path.join(repo, "infra.toml")));
  });

test("sbx init outside a git repository and with a broken infra.toml: located errors, never a stack trace", async () => {
  const home = newHome();
  const repo = fixtureRepo("single-service");
  fs.writeFileSync(path.join(repo, "infra.toml"), '[project\nname = "x"\n');
  const r = await sbx(["init", "--yes"], { cwd: repo, home });
  assert.not.match(r.stderr, "internal error");
  assert.match(r.stderr, /infra\.toml:1:\d+: error/);
  // Outside git: every file is looked at, nothing counts as ignored.
  const plain = path.join(tmpdir("sbx-init-nogit-"), "app");
  fs.cpSync(path.join(INIT_FIXTURES, "single-service", "repo"), plain, { recursive: true });
  const nogit = await sbx(["init", "--yes"], { cwd: plain, home });
  assert.is(nogit.code, 0, nogit.stdout + nogit.stderr);
  assert.is((await sbx(["validate"], { cwd: plain, home })).code, 0);
  const gone = await sbx(["-C", path.join(repo, "nope"), "init"], { cwd: repo, home });
  assert.is(gone.code, 1);
  assert.match(gone.stderr, "No such directory");
});

test.run();
