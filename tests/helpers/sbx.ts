// Test helpers: run the shipped CLI bundle as a user would, in real git repositories
// and worktrees, with a private SBX_HOME, and wait on real ports with a deadline.

import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const SBX = path.join(ROOT, "dist", "sbx.mjs");

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The child's env: a clean colour setting so output (and golden files) are stable. */
function childEnv(home: string, extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, SBX_HOME: home, NO_COLOR: "1", ...extra };
  delete env.FORCE_COLOR;
  return env;
}

export function tmpdir(prefix = "sbx-test-"): string {
  return fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
}

export function newHome(): string {
  return tmpdir("sbx-home-");
}

/** Run `sbx ARGS` with a hard deadline (uvu has no per-test timeout). */
export function sbx(args: string[], opts: { cwd: string; home: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SBX, ...args], {
      cwd: opts.cwd,
      env: childEnv(opts.home, opts.env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`sbx ${args.join(" ")} timed out\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, opts.timeoutMs ?? 60_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Start `sbx ARGS` and hand back the child (for crash tests). */
export function sbxSpawn(args: string[], opts: { cwd: string; home: string; env?: NodeJS.ProcessEnv }): ChildProcess {
  return spawn(process.execPath, [SBX, ...args], {
    cwd: opts.cwd,
    env: childEnv(opts.home, opts.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** A real git repository holding `files`, committed. */
export function makeRepo(files: Record<string, string>): string {
  return initRepo(tmpdir("sbx-repo-"), files);
}

/** `git init` in the (existing, empty) `dir`, then `files` written and committed on main. */
export function initRepo(dir: string, files: Record<string, string>): string {
  git(dir, "init", "-q", "-b", "main");
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "init");
  return dir;
}

export function addWorktree(repo: string, name: string): string {
  const wt = path.join(path.dirname(repo), `${path.basename(repo)}-${name}`);
  git(repo, "worktree", "add", "-q", "-b", name, wt);
  return wt;
}

export const SERVER_JS = `
import http from "node:http";
const port = Number(process.env.PORT);
const delay = Number(process.env.START_DELAY_MS ?? 0);
if (process.env.ECHO_VAR) console.log("echo: " + process.env[process.env.ECHO_VAR]);
setTimeout(() => {
  http.createServer((req, res) => {
    if (req.url === "/env") return res.end(JSON.stringify(process.env));
    res.end(JSON.stringify({ ok: true, name: process.env.NAME ?? "svc" }));
  }).listen(port, "127.0.0.1", () => console.log("listening on " + port));
}, delay);
process.on("SIGTERM", () => process.exit(0));
`;

export function httpGet(url: string, timeoutMs = 3000): Promise<{ status: number; body: string }> {
  return fetch(url, { signal: AbortSignal.timeout(timeoutMs) }).then(async (r) => ({ status: r.status, body: await r.text() }));
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** Poll `fn` until it returns true or the deadline passes. */
export async function waitFor(fn: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The instance id sbx gives `project` in worktree `dir` (name + hash of the real path), to match only this test's processes. */
export function instanceIdOf(project: string, dir: string): string {
  return `${project.toLowerCase().replace(/[^a-z0-9_-]/g, "-")}-${createHash("sha256").update(fs.realpathSync(dir)).digest("hex").slice(0, 8)}`;
}

/** Pids whose environment carries an sbx owner marker for `instancePrefix`. */
export function ownedPids(instancePrefix = ""): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const env = fs.readFileSync(`/proc/${d}/environ`, "utf8");
      if (env.split("\0").some((e) => e.startsWith(`SBX_OWNER=${instancePrefix}`))) out.push(Number(d));
    } catch {
      continue; // process exited while we looked
    }
  }
  return out;
}

export function readRegistry(home: string): { slots: Record<string, { slot: number; instance: string; worktree: string; ports: Record<string, number> }> } {
  const p = path.join(home, "registry.json");
  return fs.existsSync(p) ? JSON.parse(fs.readFileSync(p, "utf8")) : { slots: {} };
}

/** Every file under dir (recursively). */
export function walk(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

/** An infra.toml for N node services on ports based at `base`. */
export function serviceProject(opts: { name: string; base: number; services?: string[]; extra?: string; stride?: number }): Record<string, string> {
  const services = opts.services ?? ["api"];
  let toml = `[project]\nname = "${opts.name}"\n\n[sandbox]\nbackend = "process"\n\n[sandbox.ports]\n`;
  services.forEach((s, i) => (toml += `${s.toUpperCase()}_PORT = { base = ${opts.base + i}, stride = ${opts.stride ?? 10} }\n`));
  toml += opts.extra ?? "";
  for (const s of services) toml += `\n[services.${s}]\ncommand = "node server.mjs"\nport = "${s.toUpperCase()}_PORT"\nenv = { NAME = "${s}" }\nready = { type = "http", path = "/" }\n`;
  return { "infra.toml": toml, "server.mjs": SERVER_JS };
}
