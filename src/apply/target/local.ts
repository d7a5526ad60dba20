// The local target: this machine's commands, files, ports and processes.

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { execa } from "execa";
import writeFileAtomic from "write-file-atomic";
import { DriverError } from "../../kinds/driver.js";
import { commandOf, groupMembers, portListeners, procStat, withMarker } from "./proc.js";
import { runProbe } from "./probe.js";
import type { FileStat, ProcessControl, RunOptions, RunResult, Target } from "./types.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Turn an OS refusal to start a program into a message a user can act on. */
function spawnProblem(what: string, e: unknown): DriverError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "E2BIG")
    return new DriverError(
      `Cannot start ${what}: its environment and arguments are larger than the system allows (E2BIG). Reduce the number or size of variables in [sandbox.env] and [services.*.env].`,
    );
  return new DriverError(`Cannot start ${what}: ${(e as Error).message}`);
}

function isFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** Directories known to exist (this process made or saw them): creating them again costs a syscall per file. */
const knownDirs = new Set<string>();

function ensureDir(dir: string): void {
  if (knownDirs.has(dir)) return;
  fs.mkdirSync(dir, { recursive: true });
  knownDirs.add(dir);
}

function statOf(p: string): FileStat | undefined {
  let st: fs.Stats | undefined;
  try {
    // No exception for a missing path: plans stat many paths that are not there yet.
    st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st) return undefined;
  } catch (e) {
    if (["ENOENT", "ENOTDIR"].includes((e as NodeJS.ErrnoException).code ?? "")) return undefined;
    throw e;
  }
  const kind = st.isSymbolicLink() ? "symlink" : st.isFile() ? "file" : st.isDirectory() ? "dir" : "other";
  return { kind, mode: st.mode & 0o7777, size: st.size };
}

const processes: ProcessControl = {
  spawnDetached(argv, opts) {
    let child;
    try {
      child = spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: opts.env, detached: true, stdio: "ignore" });
    } catch (e) {
      throw spawnProblem(opts.what ?? argv[0]!, e);
    }
    if (child.pid === undefined) throw new DriverError(`Cannot start ${opts.what ?? argv[0]}.`);
    child.on("error", () => undefined); // reported through the missing pid's start time
    child.unref();
    return child.pid;
  },
  startTime(pid) {
    const s = procStat(pid);
    return s && s.state !== "Z" ? s.startTime : undefined;
  },
  pgidOf(pid) {
    return procStat(pid)?.pgid;
  },
  withMarker,
  async stopGroup(pgid, graceMs) {
    const signal = (s: NodeJS.Signals) => {
      try {
        process.kill(-pgid, s);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
      }
    };
    signal("SIGTERM");
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      if (!groupMembers(pgid).length) return;
      await sleep(50);
    }
    signal("SIGKILL");
    const hard = Date.now() + 2000;
    while (Date.now() < hard && groupMembers(pgid).length) await sleep(20);
  },
  commandOf,
};

export const localTarget: Target = {
  name: "local",
  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    try {
      const r = await execa(argv[0]!, argv.slice(1), {
        cwd: opts.cwd,
        env: opts.env,
        extendEnv: !opts.env,
        input: opts.input,
        stdin: opts.input === undefined ? "ignore" : undefined,
        reject: false,
        all: true,
        timeout: opts.timeoutMs,
      });
      const notFound = (r as { code?: string }).code === "ENOENT";
      return {
        exitCode: r.exitCode ?? (notFound ? 127 : 1),
        stdout: String(r.stdout ?? ""),
        stderr: String(r.stderr ?? ""),
        all: String(r.all ?? ""),
        timedOut: !!r.timedOut,
        notFound,
      };
    } catch (e) {
      throw spawnProblem(argv[0]!, e);
    }
  },
  async runBytes(argv, opts = {}) {
    const r = await execa(argv[0]!, argv.slice(1), { cwd: opts.cwd, input: opts.input, stdin: opts.input === undefined ? "ignore" : undefined, reject: false, timeout: opts.timeoutMs, encoding: "buffer", stripFinalNewline: false, maxBuffer: 2 ** 31 - 1 });
    if ((r as { code?: string }).code === "ENOENT") throw new DriverError(`Cannot start ${argv[0]}: not installed.`);
    return { exitCode: r.exitCode ?? 1, stdout: Buffer.from(r.stdout as Uint8Array), stderr: Buffer.from(r.stderr as Uint8Array).toString("utf8"), timedOut: !!r.timedOut };
  },
  async *lines(argv: string[], opts: RunOptions = {}): AsyncIterable<string> {
    const child = execa(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: opts.env, extendEnv: !opts.env, reject: false, all: true, buffer: false, stdin: "ignore" });
    for await (const line of child.iterable({ from: "all" })) yield String(line);
    const r = await child;
    if (r.exitCode !== 0) throw new DriverError(`${argv.join(" ")} exited ${r.exitCode}`);
  },
  async readFile(p) {
    try {
      return fs.readFileSync(p);
    } catch (e) {
      if (["ENOENT", "ENOTDIR"].includes((e as NodeJS.ErrnoException).code ?? "")) return undefined;
      if ((e as NodeJS.ErrnoException).code === "EISDIR") throw new DriverError(`${p} is a directory, not a file.`);
      throw e;
    }
  },
  async writeFile(p, data, mode) {
    ensureDir(path.dirname(p));
    const st = statOf(p);
    if (st?.kind === "dir") throw new DriverError(`${p} is a directory; sbx writes a file there. Move the directory away or change the destination.`);
    // Atomic (never half a file), but not fsync'd: every file a kind writes is checked by
    // hash on the next plan, so one lost to a crash shows as drift and is written again.
    // State, journal and registry, which nothing could re-derive, are fsync'd (apply/atomic.ts).
    writeFileAtomic.sync(p, data, { fsync: false, mode });
  },
  async appendFile(p, data) {
    ensureDir(path.dirname(p));
    fs.appendFileSync(p, data, { mode: 0o600 });
  },
  async remove(p, opts) {
    fs.rmSync(p, { force: true, recursive: !!opts?.recursive });
    // A removed directory may be one we knew: forget what lies under it.
    for (const d of knownDirs) if (d === p || d.startsWith(`${p}/`)) knownDirs.delete(d);
  },
  async stat(p) {
    return statOf(p);
  },
  async realpath(p) {
    try {
      // The native call is one syscall; the JS one lstats every component of the path.
      return fs.realpathSync.native(p);
    } catch {
      return undefined; // no such path: the caller decides what that means
    }
  },
  async readDir(p) {
    try {
      return fs.readdirSync(p).sort();
    } catch (e) {
      if (["ENOENT", "ENOTDIR", "EACCES"].includes((e as NodeJS.ErrnoException).code ?? "")) return undefined;
      throw e;
    }
  },
  async mkdir(p, mode) {
    fs.mkdirSync(p, { recursive: true, mode });
  },
  isPortFree: (port) => isFree(port, "127.0.0.1"),
  async portListeners(port) {
    return portListeners(port);
  },
  probe: runProbe,
  processes,
};
