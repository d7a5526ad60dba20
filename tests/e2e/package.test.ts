// The npm package as a user gets it: `npm pack` (prepack builds), a global install from
// the tarball into a clean prefix, offline and without dev dependencies, then the
// installed `sbx` runs --version, validate and the quickstart apply + destroy.

import { spawn } from "node:child_process";
import { builtinModules } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { makeRepo, newHome, ownedPids, portOpen, readRegistry, ROOT, tmpdir } from "../helpers/sbx.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A child's env without the npm_* variables `npm test` sets, so nested npm calls behave as at a shell. */
function cleanEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== "FORCE_COLOR") env[k] = v;
  // The node running these tests comes first, so the installed `#!/usr/bin/env node` uses it.
  env.PATH = `${path.dirname(process.execPath)}${path.delimiter}${env.PATH ?? ""}`;
  return { ...env, NO_COLOR: "1", ...extra };
}

/** Run a command in its own process group with a hard deadline; the whole group dies on timeout. */
function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
      }
      reject(new Error(`${cmd} ${args.join(" ")} timed out after ${opts.timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, opts.timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

const work = tmpdir("sbx-pack-");
const prefix = path.join(work, "prefix");
const npmCache = path.join(work, "npm-cache");
const bin = path.join(prefix, "bin", "sbx");
let tarball = "";

// Runs even when a test fails.
test.after(() => fs.rmSync(work, { recursive: true, force: true }));

test("npm pack builds (prepack) and yields a small tarball with only the bundle, schemas and README", async () => {
  const r = await run("npm", ["pack", "--pack-destination", work, "--cache", npmCache], { cwd: ROOT, env: cleanEnv({}), timeoutMs: 180_000 });
  assert.is(r.code, 0, r.stderr + r.stdout);
  const tgz = fs.readdirSync(work).filter((f) => f.endsWith(".tgz"));
  assert.is(tgz.length, 1, `one tarball in ${work}: ${tgz.join(", ")}`);
  tarball = path.join(work, tgz[0]!);
  const list = await run("tar", ["-tzf", tarball], { cwd: work, env: cleanEnv({}), timeoutMs: 30_000 });
  assert.is(list.code, 0, list.stderr);
  const files = list.stdout.split("\n").filter(Boolean).sort();
  assert.equal(files, [
    "package/README.md",
    "package/dist/sbx.mjs",
    "package/package.json",
    "package/schemas/agent.schema.json",
    "package/schemas/infra.schema.json",
    "package/schemas/plan.schema.json",
    "package/schemas/profile.schema.json",
  ]);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  assert.equal(Object.keys(pkg.dependencies ?? {}), [], "the bundle carries its libraries, so the package declares no runtime dependencies");
});

test("the bundle imports nothing but Node built-ins (what it loads at run time is inside it)", () => {
  const text = fs.readFileSync(path.join(ROOT, "dist", "sbx.mjs"), "utf8");
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const specifiers = new Set<string>();
  // A quote or identifier character right before `require(`/`import(` means it sits inside a string literal.
  for (const m of text.matchAll(/(?<![\w$.'"`])(?:require\(|import\(|\bfrom\s*|\bimport\s*)\s*["']([^"'\n]+)["']/g)) specifiers.add(m[1]!);
  const external = [...specifiers].filter((s) => !builtins.has(s) && !s.startsWith("."));
  assert.equal(external, [], `bare imports left in dist/sbx.mjs: ${external.join(", ")}`);
});

test("the tarball installs globally into a clean prefix, offline, with no dependencies", async () => {
  assert.ok(tarball, "packed by the previous test");
  const r = await run("npm", ["install", "-g", "--prefix", prefix, "--cache", npmCache, "--offline", "--omit=dev", "--no-audit", "--no-fund", tarball], {
    cwd: work,
    env: cleanEnv({}),
    timeoutMs: 120_000,
  });
  assert.is(r.code, 0, r.stderr + r.stdout);
  const pkgDir = path.join(prefix, "lib", "node_modules", "sbx");
  assert.ok(fs.existsSync(bin), `${bin} linked`);
  assert.not.ok(fs.existsSync(path.join(pkgDir, "node_modules")), "no dependency was installed next to the package");
  const v = await run(bin, ["--version"], { cwd: work, env: cleanEnv({ SBX_HOME: newHome() }), timeoutMs: 30_000 });
  assert.is(v.code, 0, v.stderr);
  const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string };
  assert.is(v.stdout.trim(), version);
});

function quickstartRepo(): string {
  const files: Record<string, string> = {};
  for (const f of fs.readdirSync(path.join(ROOT, "examples", "quickstart"))) files[f] = fs.readFileSync(path.join(ROOT, "examples", "quickstart", f), "utf8");
  return makeRepo(files);
}

test("the installed sbx validates the quickstart, brings it up and tears it down completely", async () => {
  assert.ok(fs.existsSync(bin), "installed by the previous test");
  const repo = quickstartRepo();
  const home = newHome();
  const env = cleanEnv({ SBX_HOME: home });
  const val = await run(bin, ["-C", repo, "validate"], { cwd: work, env, timeoutMs: 30_000 });
  assert.is(val.code, 0, val.stderr + val.stdout);
  let instance = "";
  try {
    const up = await run(bin, ["-C", repo, "apply", "--auto-approve"], { cwd: work, env, timeoutMs: 120_000 });
    assert.is(up.code, 0, up.stderr + up.stdout);
    assert.match(up.stdout, "✓ health ready");
    const claim = Object.values(readRegistry(home).slots)[0];
    assert.ok(claim, "slot claimed");
    instance = claim.instance;
    assert.ok(await portOpen(claim.ports.WEB_PORT!), "web answers on its slot port");
    assert.ok(ownedPids(instance).length >= 2, "both services run");
  } finally {
    const down = await run(bin, ["-C", repo, "destroy", "--auto-approve"], { cwd: work, env, timeoutMs: 120_000 });
    assert.is(down.code, 0, down.stderr + down.stdout);
  }
  assert.match(instance, /^quickstart-/);
  assert.equal(ownedPids(instance), [], "no service left running");
  assert.equal(readRegistry(home).slots, {});
});

test.run();
