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
 * Remove a lock that is abandoned, under a takeover mutex (an exclusive mkdir) so two
 * waiters never both remove it: the one holding the mutex looks again, and removes the
 * lock only if it is still the abandoned one it saw. A waiter that loses the race for the
 * mutex, or finds the lock changed, simply retries. Returns true when it removed the lock.
 */
function takeOver(lockPath: string, infoPath: string, stillAbandoned: () => boolean): boolean {
  const mutex = `${lockPath}.takeover`;
  try {
    fs.mkdirSync(mutex);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    // A waiter that died holding the mutex would block takeovers forever: clear it when old.
    const st = safeStat(mutex);
    if (st && Date.now() - st.mtimeMs > MUTEX_STALE_MS) fs.rmSync(mutex, { recursive: true, force: true });
    return false;
  }
  try {
    if (!stillAbandoned()) return false;
    fs.rmSync(infoPath, { force: true });
    fs.rmSync(lockPath, { recursive: true, force: true });
    return true;
  } finally {
    fs.rmSync(mutex, { recursive: true, force: true });
  }
}

const MUTEX_STALE_MS = 10_000;
/** A lock directory without its info file for this long is abandoned (holder died between the two). */
const NO_INFO_STALE_MS = 5_000;

function sameHolder(a: LockInfo | undefined, b: LockInfo): boolean {
  return !!a && a.pid === b.pid && a.since === b.since && a.host === b.host;
}

export interface LockOptions {
  what: string;
  command: string;
  timeoutMs: number;
  /** Told when the lock is lost while held (heartbeat failed): printed, never swallowed. */
  warn: (message: string) => void;
}

/** Acquire `base`.lock; wait up to timeoutMs; returns the release function. */
export async function acquireLock(base: string, opts: LockOptions): Promise<() => void> {
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
        onCompromised: (e: Error) => opts.warn(`${opts.what}: the lock could not be kept (${e.message}); another sbx may now run at the same time.`),
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
        // The holder died (SIGKILL, power loss): take the lock over, once, whoever wins.
        if (takeOver(lockPath, infoPath, () => sameHolder(readInfo(infoPath), info))) continue;
        // Another waiter is taking it over: retry (even past the deadline) to see who won.
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
        continue;
      } else if (!info) {
        // Lock dir without info: the holder is between mkdir and writing info, or died there.
        const old = (): boolean => {
          const st = safeStat(lockPath);
          return !!st && !readInfo(infoPath) && Date.now() - st.mtimeMs > NO_INFO_STALE_MS;
        };
        if (old() && takeOver(lockPath, infoPath, old)) continue;
      }
      if (Date.now() >= deadline) throw new LockHeldError(opts.what, info);
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 50));
    }
  }
}

function safeStat(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch {
    return undefined;
  }
}
