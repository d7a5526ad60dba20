// Runs kubectl (or a stand-in) as a child process: stdin in, output out, always under a timeout.

import { spawn } from "node:child_process";

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The timeout fired and the child was killed. */
  timedOut: boolean;
}

export interface RunOptions {
  input?: string;
  timeoutMs?: number;
}

/** The seam every kubectl call goes through; tests pass a recording stand-in. */
export type KubectlRunner = (argv: readonly string[], opts?: RunOptions) => Promise<RunResult>;

export interface ProcessRunnerOptions {
  /** Program to run; default `kubectl` from PATH. */
  bin?: string;
  /** Used when a call gives none. */
  defaultTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

/** A runner that spawns `bin`; SIGTERM at the timeout, SIGKILL 2 s later. */
export function processRunner(o: ProcessRunnerOptions = {}): KubectlRunner {
  const bin = o.bin ?? "kubectl";
  return (argv, opts = {}) =>
    new Promise((resolve) => {
      const child = spawn(bin, [...argv], { stdio: ["pipe", "pipe", "pipe"], env: o.env ?? process.env });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      let timedOut = false;
      let killer: NodeJS.Timeout | undefined;
      let done = false;
      let stdinError = "";
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGTERM");
        killer = setTimeout(() => child.kill("SIGKILL"), 2000);
      }, opts.timeoutMs ?? o.defaultTimeoutMs ?? 60_000);
      child.stdout.on("data", (c: Buffer) => out.push(c));
      child.stderr.on("data", (c: Buffer) => err.push(c));
      const finish = (exitCode: number, extra = "") => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (killer) clearTimeout(killer);
        const tail = exitCode !== 0 && stdinError ? `\n(stdin: ${stdinError})` : "";
        resolve({ exitCode, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") + extra + tail, timedOut });
      };
      child.on("error", (e) => finish(127, `${bin}: ${e.message}`));
      child.on("close", (code, signal) => finish(code ?? (signal ? 128 : 1)));
      // A child that exits without reading stdin fails the write (EPIPE); reported with a failed exit.
      child.stdin.on("error", (e) => (stdinError = e.message));
      child.stdin.end(opts.input ?? "");
    });
}

/** The command line every driver call goes through: a Target's `run` (local today; the seam tests and remote targets plug into). */
export interface RunsCommands {
  run(argv: string[], opts?: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number }): Promise<{ exitCode: number; stdout: string; stderr: string; timedOut: boolean; notFound: boolean }>;
}

/**
 * A runner over a driver's target: `kubectl` found on the target's PATH (so a test puts its
 * recording stand-in there, and a live run the real client). A missing kubectl says how to get one.
 */
export function targetRunner(target: RunsCommands, env: NodeJS.ProcessEnv, bin = "kubectl"): KubectlRunner {
  return async (argv, opts = {}) => {
    const r = await target.run([bin, ...argv], { env, timeoutMs: opts.timeoutMs ?? 60_000, ...(opts.input !== undefined ? { input: opts.input } : {}) });
    if (r.notFound) return { exitCode: 127, stdout: "", stderr: `${bin} is not installed or not on PATH. Install kubectl (Debian: apt-get install kubernetes-client) and make sure \`kubectl --context <context> get ns\` works.`, timedOut: false };
    return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut };
  };
}
