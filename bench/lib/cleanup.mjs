// Everything the bench creates registers how to undo it here; the undo steps run in
// reverse order on success, on failure and on SIGINT/SIGTERM/SIGHUP.

import * as fs from "node:fs";
import * as path from "node:path";
import { abortMeasuring, killCurrent } from "./proc.mjs";

const tasks = [];

/** Register an undo step; returns a function that drops it (when the thing is already gone). */
export function onCleanup(name, fn) {
  const task = { name, fn };
  tasks.push(task);
  return () => {
    const i = tasks.indexOf(task);
    if (i >= 0) tasks.splice(i, 1);
  };
}

let running;

/**
 * Run every registered step, newest first; a failing step is reported and the rest still
 * run. Single flight: a second caller (signal handler and main flow) gets the same promise.
 */
export function cleanupAll() {
  running ??= runAll();
  return running;
}

async function runAll() {
  let failures = 0;
  while (tasks.length) {
    const t = tasks.pop();
    try {
      await t.fn();
    } catch (e) {
      failures++;
      console.error(`bench: clean-up "${t.name}" failed: ${e.message}`);
    }
  }
  return failures;
}

export function installSignalHandlers() {
  let caught = false;
  for (const [sig, num] of [["SIGINT", 2], ["SIGTERM", 15], ["SIGHUP", 1]]) {
    process.on(sig, () => {
      if (caught) return console.error(`bench: ${sig} again; still cleaning up (SIGKILL to abandon it)`);
      caught = true;
      console.error(`\nbench: ${sig}, cleaning up…`);
      // Stop measuring first: no new step may start, the running one dies with its group.
      abortMeasuring();
      killCurrent();
      cleanupAll().finally(() => process.exit(128 + num));
    });
  }
}

/**
 * Last resort for the process backend: kill every process whose working directory is
 * under `root` (a temp dir this bench made), e.g. a service an interrupted apply started.
 */
export function killProcessesUnder(root) {
  const killed = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d) || Number(d) === process.pid) continue;
    let cwd;
    try {
      cwd = fs.readlinkSync(`/proc/${d}/cwd`);
    } catch (e) {
      if (["ENOENT", "EACCES", "ESRCH"].includes(e.code)) continue; // gone, or not ours to read
      throw e;
    }
    if (cwd === root || cwd.startsWith(root + path.sep)) {
      try {
        process.kill(Number(d), "SIGKILL");
        killed.push(Number(d));
      } catch (e) {
        if (e.code !== "ESRCH") throw e;
      }
    }
  }
  return killed;
}
