// Shared CLI plumbing: global options, opening a session, locking, confirming.

import * as path from "node:path";
import * as readline from "node:readline/promises";
import { acquireLock, LockHeldError } from "../apply/lock.js";
import { sbxHome } from "../apply/host.js";
import { desiredGraph, openSession, type Session } from "../apply/session.js";
import { hasErrors } from "../compile/diagnostics.js";
import { err, Exit, out, printDiagnostics } from "./output.js";

export interface GlobalOptions {
  dir?: string;
  set?: string[];
}

export interface CommonFlags {
  force?: boolean;
  refreshSecrets?: boolean;
  lockTimeout?: string;
}

export function cwdOf(g: GlobalOptions): string {
  return path.resolve(g.dir ?? process.cwd());
}

export function home(): string {
  return sbxHome(process.env);
}

export function parseDuration(text: string | undefined, fallbackMs: number): number {
  if (!text) return fallbackMs;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  if (!m) {
    err(`error: invalid duration \`${text}'. Use a number and a unit: 30s, 5m, 2h, 1d.`);
    throw new Exit(1);
  }
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit]!;
}

export function open(g: GlobalOptions, command: string, flags: CommonFlags = {}): Session {
  const { session, diags, texts } = openSession({
    cwd: cwdOf(g),
    env: process.env,
    home: home(),
    sets: g.set ?? [],
    command,
    force: !!flags.force,
    refreshSecrets: !!flags.refreshSecrets,
    log: (line) => out(line),
  });
  if (!session || hasErrors(diags)) {
    printDiagnostics(diags, texts);
    throw new Exit(1);
  }
  // Slot-independent graph errors (interpolation, secret syntax) surface before any host state is touched.
  const graph = desiredGraph(session, 1);
  const all = [...diags, ...graph.diags.filter((d) => !/^Slot \d+ gives ports/.test(d.summary))];
  if (all.length) printDiagnostics(all, session.config.texts);
  if (hasErrors(all)) throw new Exit(1);
  return session;
}

export async function lockInstance(s: Session, command: string, flags: CommonFlags): Promise<() => void> {
  try {
    return await acquireLock(path.join(home(), "locks", s.id), {
      what: `Sandbox ${s.id}`,
      command,
      timeoutMs: parseDuration(flags.lockTimeout, 0),
    });
  } catch (e) {
    if (e instanceof LockHeldError) {
      err(`error: ${e.message}`);
      throw new Exit(4);
    }
    throw e;
  }
}

export async function confirm(question: string, autoApprove: boolean): Promise<boolean> {
  if (autoApprove) return true;
  if (!process.stdin.isTTY) {
    err("error: refusing to change anything without confirmation: stdin is not a terminal. Pass --auto-approve.");
    throw new Exit(1);
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  const answer = await rl.question(`${question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: `);
  rl.close();
  return answer.trim() === "yes";
}
