// Runs the real nix-instantiate for tests, each call under a timeout. Skips loudly when Nix
// is missing, and fails instead when SBX_REQUIRE_NIX=1.

import { spawnSync } from "node:child_process";

const TIMEOUT_MS = 60_000;

export interface NixRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: readonly string[]): NixRun {
  const r = spawnSync("nix-instantiate", [...args], {
    encoding: "utf8",
    timeout: TIMEOUT_MS,
    killSignal: "SIGKILL",
    // Read-only evaluation with no user or system configuration leaking in.
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", NIX_PATH: "", NIX_CONFIG: "" },
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ETIMEDOUT") throw new Error(`nix-instantiate ${args.join(" ")} timed out after ${TIMEOUT_MS} ms`);
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function probe(): string | undefined {
  try {
    const r = run(["--version"]);
    return r.status === 0 ? r.stdout.trim() : undefined;
  } catch {
    return undefined;
  }
}

export const NIX_VERSION = probe();

/** True when Nix tests can run; otherwise prints why (or throws under SBX_REQUIRE_NIX=1). */
export function nixOrSkip(what: string): boolean {
  if (NIX_VERSION) return true;
  if (process.env.SBX_REQUIRE_NIX === "1") throw new Error(`SBX_REQUIRE_NIX=1 but nix-instantiate is not on PATH (needed by ${what})`);
  console.warn(`\n!!! SKIPPING ${what}: nix-instantiate not found (install Debian nix-bin, or set SBX_REQUIRE_NIX=1 to make this fatal) !!!\n`);
  return false;
}

/** `nix-instantiate --parse FILE`. */
export function nixParse(file: string): NixRun {
  return run(["--parse", file]);
}

/** `nix-instantiate --eval --strict --json` of a file or, with `expr`, of an expression. */
export function nixEvalJson(opts: { file?: string; expr?: string; argstr?: Record<string, string> }): NixRun {
  const args = ["--eval", "--strict", "--json"];
  for (const [k, v] of Object.entries(opts.argstr ?? {})) args.push("--argstr", k, v);
  if (opts.expr !== undefined) args.push("-E", opts.expr);
  else if (opts.file !== undefined) args.push(opts.file);
  else throw new Error("nixEvalJson needs file or expr");
  return run(args);
}

/** Parse stdout of a successful evaluation, or fail with Nix's stderr. */
export function jsonOf(r: NixRun): unknown {
  if (r.status !== 0) throw new Error(`nix-instantiate failed (${r.status}):\n${r.stderr}`);
  return JSON.parse(r.stdout) as unknown;
}
