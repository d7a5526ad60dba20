// Shared CLI plumbing: global options, run options for the workflows, prompts, Ctrl-C.

import * as fs from "node:fs";
import * as readline from "node:readline/promises";
import { claimOf, findInstance, loadHostConfig, NoSuchDirectory, openProject, profileNameFor, projectPaths, sbxHome, type Instance, type Project, type RunOptions } from "../apply/index.js";
import { parseInputFlag } from "../compile/profiles.js";
import { parseDuration } from "../compile/duration.js";
import { error } from "../compile/diagnostics.js";
import type { Plan } from "../plan/model.js";
import { err, Exit, finish, out, printDiagnostics } from "./output.js";
import { liveProgress } from "./live.js";

export interface GlobalOptions {
  dir?: string;
  set?: string[];
}

export interface LockFlags {
  lockTimeout?: string;
}

/** `--profile NAME` and `--input NAME=VALUE` (apply, plan, recreate). */
export interface ProfileFlags {
  profile?: string;
  input?: string[];
}

/** Run options carrying --profile and --input; a malformed --input stops with a usage error. */
export function withProfile(opts: RunOptions, flags: ProfileFlags): RunOptions {
  if (!flags.profile && !flags.input?.length) return opts;
  const inputs: Record<string, string> = {};
  const diags = [];
  for (const text of flags.input ?? []) {
    const r = parseInputFlag(text);
    if (r.diag) diags.push(r.diag);
    else inputs[r.name!] = r.value!;
  }
  if (diags.length) finish(diags);
  const profile = flags.profile ? inDirectory(() => profileNameFor(opts.cwd, opts.env, flags.profile!)) : undefined;
  return { ...opts, ...(profile ? { profile } : {}), ...(flags.input?.length ? { inputs } : {}) };
}

/** Stop when $SBX_HOME/config.toml is broken (commands that emit events or serve). */
export function checkHostConfig(): void {
  const { diags, texts } = loadHostConfig(home(), process.env);
  if (diags.length) finish(diags, texts);
}

/** The directory the command runs in: `-C DIR` has already been entered (see enterDirectory). */
export function cwdOf(_g: GlobalOptions): string {
  return process.cwd();
}

/**
 * `-C DIR`: run as if started in DIR, as git -C and make -C do, so relative paths given
 * to any command (a plan file, compile --out) are relative to DIR too.
 */
export { enterDirectory } from "./directory.js";

export function home(): string {
  return sbxHome(process.env);
}

export function runOptions(g: GlobalOptions, command: string, extra: Partial<RunOptions> = {}): RunOptions {
  const progress = liveProgress();
  return { cwd: cwdOf(g), env: process.env, home: home(), sets: g.set ?? [], command, log: (line) => out(line), ...(progress ? { progress } : {}), ...extra };
}

/** Parse a duration flag, or stop with a usage error. */
export function durationFlag(name: string, text: string | undefined, fallbackMs: number): number {
  if (text === undefined) return fallbackMs;
  const ms = parseDuration(text);
  if (ms === undefined) finish([error(`Invalid ${name} \`${text}'`, { code: "usage", detail: "Use a number and a unit: 30s, 5m, 2h, 1d." })]);
  return ms!;
}

/** Parse a positive whole-number flag, or stop with a usage error. */
export function countFlag(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1) finish([error(`Invalid ${name} \`${text}'`, { code: "usage", detail: `${name} takes a whole number of 1 or more.` })]);
  return Number(text);
}

/** Run `fn`, turning a missing -C directory into a plain error. */
export function inDirectory<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof NoSuchDirectory) finish([error(e.message, { code: "usage", detail: "Check the path given to -C." })]);
    throw e;
  }
}

/** `inDirectory` for a workflow that resolves later (validate and compile load schemas). */
export async function inDirectoryAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof NoSuchDirectory) finish([error(e.message, { code: "usage", detail: "Check the path given to -C." })]);
    throw e;
  }
}

/** The project of the directory, or stop with its diagnostics. */
export function project(opts: RunOptions): Project {
  const { project: p, diags, texts } = inDirectory(() => openProject(opts));
  if (!p) {
    finish(diags.length ? diags : [error("Cannot load the configuration", { code: "config" })], texts);
    throw new Exit(1);
  }
  return p;
}

/**
 * The instance of the directory for commands that need no configuration (destroy,
 * status): the project when its configuration loads, else what host state knows.
 */
export function instance(opts: RunOptions): { inst?: Instance; project?: Project; problems: ReturnType<typeof openProject> } {
  const loaded = inDirectory(() => openProject(opts));
  if (loaded.project) {
    // No state under the configured name, but some under an older one (the project was
    // renamed after apply): that sandbox is this worktree's, and must stay reachable.
    const p = loaded.project;
    const older = p.store.exists() || claimOf(opts.home, p.id) ? undefined : findInstance(opts, p.paths.worktree);
    return { inst: older ?? p, project: p, problems: loaded };
  }
  const { worktree } = projectPaths(opts.cwd, opts.env);
  return { inst: findInstance(opts, worktree), problems: loaded };
}

export async function confirm(question: string, autoApprove: boolean): Promise<boolean> {
  if (autoApprove) return true;
  if (!process.stdin.isTTY) {
    finish([error("Refusing to change anything without confirmation", { code: "usage", detail: "stdin is not a terminal. Pass --auto-approve." })]);
  }
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question(`${question}\n  Only 'yes' will be accepted to approve.\n\n  Enter a value: `);
    return answer.trim() === "yes";
  } catch (e) {
    // Ctrl-C or Ctrl-D at the prompt: the answer is no.
    if ((e as Error).name === "AbortError") {
      out("");
      return false;
    }
    throw e;
  } finally {
    rl.close();
  }
}

/** Ctrl-C: the first stops starting new operations; the second exits at once. */
export function interruptible(): { stopRequested: () => boolean; dispose: () => void } {
  let stop = false;
  const onInt = () => {
    if (stop) {
      err("");
      printDiagnostics([error("Two interrupts received", { code: "interrupted", detail: "Exited immediately. The state journal records every operation that was begun; run `sbx apply` to converge." })]);
      process.exit(130);
    }
    stop = true;
    err("\nInterrupt received. Stopping after the operations in flight...");
  };
  process.on("SIGINT", onInt);
  process.on("SIGTERM", onInt);
  return {
    stopRequested: () => stop,
    dispose: () => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onInt);
    },
  };
}

export function approver(autoApprove: boolean): (plan: Plan, question: string) => Promise<boolean> {
  return (_plan, question) => confirm(question, autoApprove);
}
