// Runs one command the way the bench measures it: in its own process group, under a
// deadline, output to a log file, wall time from spawn to exit, and peak RSS from GNU time.
//
// Why GNU time for memory: `/usr/bin/time -f %M` reports ru_maxrss from wait4(), the
// kernel's own high-water mark. It is exact however short the process lives, and it
// covers the children the command waited for (the kernel keeps the largest single
// process of the tree, not a sum). Polling /proc/<pid>/status VmHWM misses processes
// that live less than one polling period (`sbx --version` lives ~100 ms) and anything
// that peaks between two samples, so the bench does not fall back to it: without GNU
// time the memory columns say "n/a" (Debian: apt-get install time).

import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";

/** Path of GNU time, or undefined when it is not installed (busybox `time` has no -f). */
export const GNU_TIME = (() => {
  for (const p of ["/usr/bin/time"]) {
    if (!fs.existsSync(p)) continue;
    const r = spawnSync(p, ["--version"], { encoding: "utf8", timeout: 5000 });
    if (`${r.stdout}${r.stderr}`.includes("GNU")) return p;
  }
  return undefined;
})();

/** The child being measured right now, so a signal handler can kill its whole group. */
let current;

/** Set once the bench is interrupted: from then on only clean-up steps may run. */
let aborted = false;

export function abortMeasuring() {
  aborted = true;
}

export function killCurrent() {
  if (!current?.pid) return;
  try {
    process.kill(-current.pid, "SIGKILL");
  } catch (e) {
    if (e.code !== "ESRCH") throw e;
  }
}

export class CommandError extends Error {
  constructor(message, result) {
    super(message);
    this.result = result;
  }
}

/** The last lines of a log file, for error messages. */
export function tail(file, lines = 15) {
  try {
    return fs.readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch (e) {
    return `(no log: ${e.message})`;
  }
}

/**
 * Run `cmd args` once. Resolves {ms, rssKb, code, log}; rejects on a timeout (after
 * killing the process group) and, unless allowFail, on a non-zero exit.
 */
export function measure({ cmd, args, cwd, env, log, timeoutMs, allowFail = false, cleanup = false }) {
  if (aborted && !cleanup) return Promise.reject(new CommandError(`interrupted before ${cmd} ${args.join(" ")}`, undefined));
  const rssFile = `${log}.rss`;
  const [file, argv] = GNU_TIME ? [GNU_TIME, ["-o", rssFile, "-f", "%M", cmd, ...args]] : [cmd, args];
  const fd = fs.openSync(log, "w");
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(file, argv, { cwd, env, stdio: ["ignore", fd, fd], detached: true });
    fs.closeSync(fd);
    current = child;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killCurrent();
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      current = undefined;
      reject(new CommandError(`${cmd} ${args.join(" ")}: ${e.message}`, undefined));
    });
    child.on("exit", (code, signal) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      clearTimeout(timer);
      current = undefined;
      let rssKb;
      if (GNU_TIME && fs.existsSync(rssFile)) {
        const last = fs.readFileSync(rssFile, "utf8").trim().split("\n").pop();
        rssKb = /^\d+$/.test(last ?? "") ? Number(last) : undefined;
      }
      const result = { ms, rssKb, code: code ?? -1, log };
      const what = `${cmd} ${args.join(" ")} (in ${cwd})`;
      if (timedOut) return reject(new CommandError(`${what} timed out after ${timeoutMs} ms; killed.\n${tail(log)}`, result));
      if (signal) return reject(new CommandError(`${what} died of ${signal}.\n${tail(log)}`, result));
      if (code !== 0 && !allowFail) return reject(new CommandError(`${what} exited ${code}.\n${tail(log)}`, result));
      resolve(result);
    });
  });
}

/** A quick helper command (git, docker, terraform init) with a deadline; returns stdout. */
export function run(cmd, args, { cwd, env, timeoutMs = 120_000, allowFail = false } = {}) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw new Error(`${cmd} ${args.join(" ")}: ${r.error.message}`);
  if (r.status !== 0 && !allowFail) throw new Error(`${cmd} ${args.join(" ")} exited ${r.status}: ${(r.stderr || r.stdout).trim().split("\n").slice(-10).join("\n")}`);
  return r.stdout;
}

/** Whether `cmd` runs at all (e.g. `terraform version`). */
export function available(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 20_000 });
  return !r.error && r.status === 0;
}
