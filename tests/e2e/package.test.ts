// The npm package as a user gets it: `npm pack` (prepack builds), a global install from
// the tarball into a clean prefix, offline and without dev dependencies, then the
// installed `sbx` runs --version, validate and the quickstart apply + destroy.

import { builtinModules } from "node:module";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { cleanEnv, run } from "../helpers/run.js";
import { makeRepo, newHome, ownedPids, portOpen, readRegistry, ROOT, tmpdir } from "../helpers/sbx.js";

const work = tmpdir("sbx-pack-");
const prefix = path.join(work, "prefix");
const npmCache = path.join(work, "npm-cache");
const bin = path.join(prefix, "bin", "sbx");
let tarball = "";

/** The entry and its chunks, relative to dist/. */
function bundleFiles(): string[] {
  return (fs.readdirSync(path.join(ROOT, "dist"), { recursive: true }) as string[]).filter((f) => f.endsWith(".mjs")).sort();
}

// Runs even when a test fails.
test.after(() => fs.rmSync(work, { recursive: true, force: true }));

test("npm pack builds (prepack) and yields a small tarball with only the bundle, schemas and README", async () => {
  const r = await run("npm", ["pack", "--json", "--pack-destination", work, "--cache", npmCache], { cwd: ROOT, env: cleanEnv(), timeoutMs: 180_000 });
  assert.is(r.code, 0, r.stderr + r.stdout);
  // The build logs to stderr, so --json output stays parseable (Nix's npmInstallHook parses it too).
  const [info] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = path.join(work, info!.filename);
  assert.ok(fs.existsSync(tarball), tarball);
  // The bundle, the README and every schema (editors read them through `#:schema`), nothing else.
  const schemas = fs.readdirSync(path.join(ROOT, "schemas")).filter((f) => f.endsWith(".schema.json")).map((f) => `schemas/${f}`);
  const bundle = bundleFiles().map((f) => `dist/${f}`);
  assert.ok(bundle.includes("dist/sbx.mjs") && bundle.length > 1, bundle.join(" "));
  assert.equal(info!.files.map((f) => f.path).sort(), ["README.md", "package.json", ...bundle, ...schemas].sort());
  assert.ok(schemas.includes("schemas/infra.schema.json"));
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  assert.equal(Object.keys(pkg.dependencies ?? {}), [], "the bundle carries its libraries, so the package declares no runtime dependencies");
});

test("the bundle imports nothing but Node built-ins and its own chunks (what it loads at run time is inside it)", () => {
  const text = bundleFiles()
    .map((f) => fs.readFileSync(path.join(ROOT, "dist", f), "utf8"))
    .join("\n");
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  const specifiers = new Set<string>();
  // A quote or identifier character right before `require(`/`import(` means it sits inside a string literal.
  for (const m of text.matchAll(/(?<![\w$.'"`])(?:require\(|import\()\s*["']([^"'\n]+)["']/g)) specifiers.add(m[1]!);
  // Static imports: esbuild puts them at the start of a line, as whole statements.
  for (const m of text.matchAll(/^import\s+(?:[^"'\n]*?\sfrom\s*)?["']([^"'\n]+)["'];?\s*$/gm)) specifiers.add(m[1]!);
  // A data: URL is code carried inside the bundle itself (the Kubernetes schemas, loaded on first use).
  const external = [...specifiers].filter((s) => !builtins.has(s) && !s.startsWith(".") && !s.startsWith("data:"));
  assert.equal(external, [], `bare imports left in dist/: ${external.join(", ")}`);
});

test("the tarball installs globally into a clean prefix, offline, with no dependencies", async () => {
  assert.ok(tarball, "packed by the previous test");
  const r = await run("npm", ["install", "-g", "--prefix", prefix, "--cache", npmCache, "--offline", "--omit=dev", "--no-audit", "--no-fund", tarball], {
    cwd: work,
    env: cleanEnv(),
    timeoutMs: 120_000,
  });
  assert.is(r.code, 0, r.stderr + r.stdout);
  const pkgDir = path.join(prefix, "lib", "node_modules", "sbx");
  assert.ok(fs.existsSync(bin), `${bin} linked`);
  assert.not.ok(fs.existsSync(path.join(pkgDir, "node_modules")), "no dependency was installed next to the package");
  const v = await run(bin, ["--version"], { cwd: work, env: cleanEnv({ SBX_HOME: path.join(work, "home-version") }), timeoutMs: 30_000 });
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
    fs.rmSync(repo, { recursive: true, force: true });
  }
  assert.match(instance, /^quickstart-/);
  assert.equal(ownedPids(instance), [], "no service left running");
  assert.equal(readRegistry(home).slots, {});
  fs.rmSync(home, { recursive: true, force: true });
});

test.run();
