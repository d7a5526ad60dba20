// The lock of a dead holder is taken over by exactly one waiter at a time: several real
// processes race for it at once, and their critical sections never overlap.

import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ROOT, tmpdir, waitFor } from "../helpers/sbx.js";

/** A pid that surely belongs to no running process: one that just exited. */
function deadPid(): number {
  const out = execFileSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(out);
}

const ROUNDS = 5;
const WAITERS = 6;

/** Each round: wait for the start file, take the lock, hold it briefly, log, release. */
const WAITER = (lockTs: string) => `
import * as fs from "node:fs";
import { acquireLock } from ${JSON.stringify(lockTs)};
const [base, dir, log] = process.argv.slice(2);
for (let round = 0; round < ${ROUNDS}; round++) {
  while (!fs.existsSync(dir + "/go-" + round)) await new Promise((r) => setTimeout(r, 2));
  const warnings = [];
  const release = await acquireLock(base, { what: "test lock", command: "race", timeoutMs: 20000, warn: (m) => warnings.push(m) });
  fs.appendFileSync(log, \`\${round} enter \${process.pid}\\n\`);
  await new Promise((r) => setTimeout(r, 60));
  // While held, the info file names this holder (a racing waiter must not have removed it).
  let holder = "none";
  try { holder = String(JSON.parse(fs.readFileSync(base + ".lock.info", "utf8")).pid); } catch {}
  fs.appendFileSync(log, \`\${round} leave \${process.pid} \${holder}\\n\`);
  release();
  if (warnings.length) { console.error(warnings.join("\\n")); process.exit(2); }
}
`;

/** The state a holder killed with SIGKILL leaves: its lock directory and info file. */
function deadHolder(base: string): void {
  fs.mkdirSync(`${base}.lock`);
  fs.writeFileSync(`${base}.lock.info`, JSON.stringify({ pid: deadPid(), host: os.hostname(), command: "sbx apply", since: new Date().toISOString() }));
}

test("waiters racing on a dead holder's lock take it one at a time, and all get it", async () => {
  const dir = tmpdir("sbx-lock-");
  const base = path.join(dir, "locks", "inst");
  fs.mkdirSync(path.dirname(base), { recursive: true });
  const script = path.join(dir, "waiter.mts");
  fs.writeFileSync(script, WAITER(path.join(ROOT, "src", "apply", "lock.ts")));
  const log = path.join(dir, "log");
  fs.writeFileSync(log, "");
  const children = Array.from({ length: WAITERS }, () => spawn(process.execPath, ["--import", "tsx", script, base, dir, log], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] }));
  const stderr: string[] = children.map(() => "");
  children.forEach((c, i) => c.stderr!.on("data", (d: Buffer) => (stderr[i] += d.toString())));
  const codes = children.map((c) => new Promise<number>((resolve) => c.on("exit", (code) => resolve(code ?? -1))));
  const lines = () => fs.readFileSync(log, "utf8").split("\n").filter(Boolean);
  try {
    // Let every waiter load and poll for the start signal; then start each round together.
    await new Promise((r) => setTimeout(r, 2500));
    for (let round = 0; round < ROUNDS; round++) {
      await waitFor(() => !fs.existsSync(`${base}.lock`), 10_000, "the previous round released the lock");
      deadHolder(base);
      fs.writeFileSync(path.join(dir, `go-${round}`), "");
      await waitFor(() => lines().length >= 2 * WAITERS * (round + 1), 20_000, `round ${round} done\n${stderr.join("\n")}`);
    }
    const done = await Promise.race([Promise.all(codes), new Promise<never>((_, reject) => setTimeout(() => reject(new Error("waiters did not exit")), 20_000).unref())]);
    assert.equal(done, Array(WAITERS).fill(0), stderr.join("\n"));
  } finally {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
  }
  const events = lines().map((l) => l.split(" "));
  assert.is(events.length, 2 * WAITERS * ROUNDS, "every waiter entered and left once per round");
  // Strictly alternating enter/leave by the same pid: never two holders at once.
  for (let i = 0; i < events.length; i += 2) {
    const [enter, leave] = [events[i]!, events[i + 1]!];
    assert.is(enter[1], "enter");
    assert.is(leave[1], "leave");
    assert.is(leave[2], enter[2], "the one that entered left before anyone else entered");
    assert.is(leave[3], enter[2], "while it held the lock, the info file named it");
  }
  await waitFor(() => !fs.existsSync(`${base}.lock`), 5_000, "lock released at the end");
  assert.not.ok(fs.existsSync(`${base}.lock.takeover`), "no takeover mutex left behind");
});

test.run();
