// Child Node processes running TypeScript from src/ (through tsx), each under a hard
// deadline: for tests where separate processes must race (slot claims, locks).

import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./sbx.js";

/** `import ... from` specifier for a module under src/, usable from a child's code. */
export const srcModule = (rel: string): string => JSON.stringify(pathToFileURL(path.join(ROOT, "src", rel)).href);

export interface TsChild {
  child: ChildProcess;
  /** Resolves when the child exits (killed at the deadline: rejects). */
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
  /** Resolves once the child has printed `text` on stdout. */
  printed(text: string): Promise<void>;
}

/** Run ES module `code` in `node --import tsx`; SIGKILLed after `deadlineMs`. */
export function runTs(code: string, deadlineMs = 60_000): TsChild {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout!.on("data", (c: Buffer) => {
    stdout += c.toString();
    for (const w of waiters.splice(0))
      if (stdout.includes(w.text)) w.resolve();
      else waiters.push(w);
  });
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve, reject) => {
    const deadline = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`child did not finish within ${deadlineMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, deadlineMs);
    child.on("exit", (code, signal) => {
      clearTimeout(deadline);
      resolve({ code, signal, stdout, stderr });
    });
  });
  const printed = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (stdout.includes(text)) return resolve();
      waiters.push({ text, resolve });
      done.then((r) => reject(new Error(`child exited (${r.code ?? r.signal}) before printing ${JSON.stringify(text)}\n${r.stderr}`)), reject);
    });
  return { child, done, printed };
}
