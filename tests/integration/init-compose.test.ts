// `sbx init` output against the real tools: for every fixture the proposal is written
// and committed, a git worktree gets the [sandbox.files] copies, and then
//   - the built CLI's `sbx validate` accepts infra.toml (and `sbx plan` agrees with the
//     gaps init says remain, when a Docker engine answers);
//   - real `docker-compose config` (with -p and --env-file) accepts the rewritten file;
//     with the new variables unset it resolves exactly as the original file did (the
//     main checkout keeps its ports), and with slot 1's env every host port moves to
//     base + stride (so a sandbox never binds the main checkout's ports).
// Skips loudly without docker-compose unless SBX_REQUIRE_DOCKER=1. Needs `npm run build`.

import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseToml } from "smol-toml";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { parse as parseYaml } from "yaml";
import { planInit, scanCompose, schemaRef, type InitPlan } from "../../src/compile/init/index.js";
import { fixtureRepo, gitInitReader, initCases } from "../helpers/init-reader.js";
import { addWorktree, git, newHome, ROOT, SBX, sbx } from "../helpers/sbx.js";

const TIMEOUT_MS = 60_000;

function works(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: "ignore", timeout: TIMEOUT_MS });
  return r.status === 0;
}

const HAVE_COMPOSE = works("docker-compose", ["version"]);
const HAVE_ENGINE = works("docker", ["info"]);
if (!HAVE_COMPOSE) {
  if (process.env.SBX_REQUIRE_DOCKER === "1") throw new Error("SBX_REQUIRE_DOCKER=1 but docker-compose is not on PATH");
  console.warn("\n!!! SKIPPING init compose integration tests: docker-compose is not on PATH (run .ci/run) !!!\n");
}
if (HAVE_COMPOSE && !HAVE_ENGINE) {
  if (process.env.SBX_REQUIRE_DOCKER === "1") throw new Error("SBX_REQUIRE_DOCKER=1 but the Docker engine does not answer");
  console.warn("\n!!! init integration: no Docker engine, so `sbx plan` is not run (docker-compose config still is) !!!\n");
}
if (HAVE_COMPOSE && !fs.existsSync(SBX)) throw new Error(`${SBX} is missing: run \`npm run build\` first`);

/** Only what docker-compose needs, so no variable from the test's own environment leaks into interpolation. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };
  if (process.env.DOCKER_HOST) env.DOCKER_HOST = process.env.DOCKER_HOST;
  return env;
}

function composeConfig(cwd: string, project: string, envFile: string, file: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("docker-compose", ["-p", project, "--env-file", envFile, "-f", file, "config"], { cwd, env: cleanEnv(), encoding: "utf8", timeout: TIMEOUT_MS });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Infra {
  project: { name: string };
  sandbox?: { ports?: Record<string, number | { base: number; stride?: number }>; env?: Record<string, string>; secrets?: Record<string, string>; files?: Record<string, string> };
}

function envFile(dir: string, name: string, vars: Record<string, string | number>): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, Object.entries(vars).map(([k, v]) => `${k}=${v}`).join("\n") + "\n");
  return f;
}

/** Host ports in `docker-compose config` output (short strings or long maps; ranges expanded). */
function publishedPorts(configYaml: string): number[] {
  const doc = parseYaml(configYaml) as { services?: Record<string, { ports?: unknown[] }> };
  const out: number[] = [];
  const add = (text: string) => {
    const m = /^(\d+)(?:-(\d+))?$/.exec(text);
    if (!m) return;
    for (let p = Number(m[1]); p <= Number(m[2] ?? m[1]); p++) out.push(p);
  };
  for (const svc of Object.values(doc.services ?? {}))
    for (const p of svc.ports ?? []) {
      if (typeof p === "string") {
        const parts = p.split("/")[0]!.split(":");
        if (parts.length >= 2) add(parts[parts.length - 2]!);
      } else if (p && typeof p === "object" && "published" in p) add(String((p as { published: unknown }).published));
    }
  return out.sort((a, b) => a - b);
}

function writePlan(repo: string, plan: InitPlan): void {
  fs.mkdirSync(path.dirname(path.join(repo, plan.infraToml.path)), { recursive: true });
  fs.writeFileSync(path.join(repo, plan.infraToml.path), plan.infraToml.text);
  if (plan.compose?.changed) {
    if (!plan.compose.backupExists) fs.writeFileSync(path.join(repo, plan.compose.backupPath), plan.compose.before);
    fs.writeFileSync(path.join(repo, plan.compose.path), plan.compose.text);
  }
}

if (HAVE_COMPOSE)
  for (const name of initCases()) {
    test(`${name}: sbx validate and docker-compose config accept what init writes; slot 1 moves every host port`, async () => {
      const repo = fixtureRepo(name);
      const plan = planInit(gitInitReader(repo), { dirName: name, schemaRef: schemaRef({ configDir: repo, schemaFile: path.join(ROOT, "schemas", "infra.schema.json") }) });
      writePlan(repo, plan);
      git(repo, "add", "-A");
      git(repo, "commit", "-qm", "sbx init");
      const wt = addWorktree(repo, "sandbox");
      const infra = parseToml(plan.infraToml.text) as unknown as Infra;
      for (const [dest, src] of Object.entries(infra.sandbox?.files ?? {})) {
        fs.mkdirSync(path.dirname(path.join(wt, dest)), { recursive: true });
        fs.copyFileSync(path.join(repo, src), path.join(wt, dest));
      }
      const home = newHome();
      // validate sees what plan sees: it passes exactly when init leaves no error behind.
      const remaining = plan.remaining.filter((d) => d.severity === "error");
      const v = await sbx(["-C", wt, "validate"], { cwd: wt, home });
      assert.is(v.code, remaining.length ? 1 : 0, v.stdout + v.stderr);
      if (!remaining.length) assert.match(v.stdout, `✓ ${plan.infraToml.path} (infra)`);
      for (const d of remaining) assert.match(v.stderr, `${d.range!.file}:${d.range!.start.line}:${d.range!.start.col}`);

      const secrets: Record<string, string> = {};
      for (const k of Object.keys(infra.sandbox?.secrets ?? {})) secrets[k] = `dummy-${k.toLowerCase()}`;
      const env = { ...(infra.sandbox?.env ?? {}), ...secrets };
      const ports = Object.entries(infra.sandbox?.ports ?? {}).map(([k, p]) => ({ name: k, base: typeof p === "number" ? p : p.base, stride: typeof p === "number" ? 1 : (p.stride ?? 1) }));

      if (HAVE_ENGINE) {
        const remainingErrors = plan.remaining.filter((d) => d.severity === "error");
        const p = await sbx(["-C", wt, "plan"], { cwd: wt, home, env: secrets, timeoutMs: 120_000 });
        assert.is(p.code, remainingErrors.length ? 1 : 0, `sbx plan: ${p.stdout}\n${p.stderr}`);
        for (const d of remainingErrors) assert.match(p.stderr, `${d.range!.file}:${d.range!.start.line}:${d.range!.start.col}`);
      }
      if (!plan.compose) return;

      const composeAbs = path.join(wt, plan.compose.path);
      const original = path.join(path.dirname(composeAbs), `.orig.${path.basename(composeAbs)}`);
      fs.writeFileSync(original, plan.compose.before);
      // The main checkout: variables the original file already used, none of the ones init created.
      const created = new Set(plan.compose.changes.map((c) => c.variable));
      const mainVars: Record<string, string | number> = { ...env };
      for (const p of ports) if (!created.has(p.name)) mainVars[p.name] = p.base;
      const mainEnv = envFile(wt, ".env.main", mainVars);
      const before = composeConfig(wt, `${infra.project.name}-main`, mainEnv, original);
      assert.is(before.status, 0, `the fixture itself must be valid: ${before.stderr}`);
      const after = composeConfig(wt, `${infra.project.name}-main`, mainEnv, composeAbs);
      assert.is(after.status, 0, after.stderr);
      assert.is(after.stdout, before.stdout, "with the new variables unset, the rewritten file resolves exactly as the original");

      const slot1: Record<string, string | number> = { ...env };
      for (const p of ports) slot1[p.name] = p.base + p.stride;
      const s1 = composeConfig(wt, `${infra.project.name}-slot-1`, envFile(wt, ".env.slot1", slot1), composeAbs);
      assert.is(s1.status, 0, s1.stderr);
      const mainPorts = publishedPorts(before.stdout);
      const slotPorts = publishedPorts(s1.stdout);
      const ranges = scanCompose(plan.compose.text, plan.compose.path).services.flatMap((s) => s.ports.flatMap((u) => (u.host.kind === "range" ? Array.from({ length: u.host.to - u.host.from + 1 }, (_, i) => (u.host as { from: number }).from + i) : [])));
      const moved = new Set(ports.map((p) => p.base + p.stride));
      assert.ok(slotPorts.length >= ranges.length);
      for (const p of slotPorts) assert.ok(moved.has(p) || ranges.includes(p), `slot 1 publishes ${p}, which is neither base+stride of a declared port nor a reported range`);
      for (const p of slotPorts) if (!ranges.includes(p)) assert.not.ok(mainPorts.includes(p), `slot 1 would bind ${p}, which the main checkout binds`);
      assert.is(slotPorts.length, mainPorts.length, "every published port is still published");
    });
  }

test.run();
