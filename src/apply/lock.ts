// Exclusive locks (proper-lockfile) with an info sidecar saying who holds them;
// a lock whose holder has died is taken over instead of waiting for staleness.

import * as fs from "node:fs";
import * as os from "node:os";
import lockfile from "proper-lockfile";

export interface LockInfo {
  pid: number;
  host: string;
  command: string;
  since: string;
}

export class LockHeldError extends Error {
  constructor(
    readonly what: string,
    readonly info: LockInfo | undefined,
  ) {
    super(
      `${what} is locked` +
        (info ? ` by pid ${info.pid} on ${info.host} (${info.command}) since ${info.since}` : "") +
        `. Wait for it to finish, or pass --lock-timeout=30s to wait.`,
    );
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readInfo(p: string): LockInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(p, "utf8")) as LockInfo;
  } catch {
    return undefined;
  }
}

/**
 * Take over a lock whose holder died. Renaming the info file is the atomic step: of two
 * waiters that both saw the dead holder, only one renames it; the other retries as usual.
 */
function takeOver(lockPath: string, infoPath: string, dead: LockInfo): boolean {
  const claimed = `${infoPath}.takeover-${process.pid}`;
  try {
    fs.renameSync(infoPath, claimed);
  } catch {
    return false; // another waiter took it over first
  }
  const info = readInfo(claimed);
  if (!info || info.pid !== dead.pid || info.since !== dead.since) {
    // Not the dead holder's any more: a new holder wrote it meanwhile. Put it back.
    fs.renameSync(claimed, infoPath);
    return false;
  }
  fs.rmSync(claimed, { force: true });
  fs.rmSync(lockPath, { recursive: true, force: true });
  return true;
}

/** Acquire `base`.lock; wait up to timeoutMs; returns the release function. */
export async function acquireLock(base: string, opts: { what: string; command: string; timeoutMs: number; warn?: (message: string) => void }): Promise<() => void> {
  fs.mkdirSync(base.replace(/\/[^/]*$/, ""), { recursive: true });
  const lockPath = `${base}.lock`;
  const infoPath = `${base}.lock.info`;
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    try {
      const release = lockfile.lockSync(base, {
        realpath: false,
        lockfilePath: lockPath,
        stale: 30_000,
        // The lock's heartbeat failed (clock jump, lost filesystem): say so, never silently.
        onCompromised: (e: Error) => opts.warn?.(`${opts.what}: the lock could not be kept (${e.message}); another sbx may now run at the same time.`),
      });
      const info: LockInfo = { pid: process.pid, host: os.hostname(), command: opts.command, since: new Date().toISOString() };
      fs.writeFileSync(infoPath, JSON.stringify(info));
      return () => {
        try {
          fs.rmSync(infoPath, { force: true });
          release();
        } catch (e) {
          // Released twice (exit handler plus normal path) is harmless; anything else is a bug.
          if ((e as NodeJS.ErrnoException).code !== "ERELEASED") throw e;
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ELOCKED") throw e;
      const info = readInfo(infoPath);
      if (info && info.host === os.hostname() && !alive(info.pid)) {
        // The holder died (SIGKILL, power loss): take the lock over.
        takeOver(lockPath, infoPath, info);
        continue;
      }
      // A lock dir without info: its holder is between taking the lock and writing who it is,
      // or died there; proper-lockfile's staleness (30 s without a heartbeat) frees the latter.
      if (Date.now() >= deadline) throw new LockHeldError(opts.what, info);
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 50));
    }
  }
}

