// sbx command line: parses arguments and hands each command to its workflow.

import * as path from "node:path";
import { Command, CommanderError } from "commander";
import { knownFailure, supervise } from "../apply/index.js";
import { exitCodeFor } from "../compile/diagnostics.js";
import { SBX_VERSION } from "../version.js";
import { disableColour, err, Exit, out, printDiagnostics, watchClosedPipes } from "./output.js";
import { enterDirectory, type GlobalOptions } from "./common.js";
import { applyCommand } from "./commands/apply.js";
import { initCommand } from "./commands/init.js";
import { startCommand, stopCommand } from "./commands/lifecycle.js";
import { worktreeAddCommand, worktreeDoneCommand, worktreeListCommand } from "./commands/worktree.js";
import { destroyCommand } from "./commands/destroy.js";
import { diffCommand } from "./commands/diff.js";
import { planCommand, showCommand } from "./commands/plan.js";
import { compileCommand, explainCommand, validateCommand } from "./commands/config.js";
import { execCommand, sshCommand } from "./commands/ssh.js";
import { restoreCommand, snapshotCommand, snapshotsListCommand, snapshotsShowCommand } from "./commands/snapshot.js";
import { envCommand, extendTtlCommand, gcCommand, listCommand, logsCommand, statusCommand } from "./commands/inspect.js";

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

/** Terraform spells some flags with one dash; accept those spellings too. */
function normaliseArgv(argv: string[]): string[] {
  return argv.map((a) => {
    if (a === "-out") return "--out";
    if (a.startsWith("-out=")) return `--out=${a.slice(5)}`;
    if (a === "-no-color") return "--no-color";
    if (a === "-auto-approve") return "--auto-approve";
    if (a === "-detailed-exitcode") return "--detailed-exitcode";
    return a;
  });
}

export function buildProgram(): Command {
  const program = new Command("sbx")
    .description("Declarative sandboxes per git worktree: plan, apply, destroy.")
    .version(SBX_VERSION)
    .option("-C, --dir <dir>", "run as if started in DIR")
    .option("--set <option=value>", "override an option at force priority (repeatable)", collect)
    .option("--no-color", "no colour in output (also NO_COLOR=1)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => out(s), writeErr: (s) => err(s) })
    .hook("preAction", (cmd) => {
      if (cmd.opts<{ color?: boolean }>().color === false) disableColour();
      enterDirectory(cmd.opts<GlobalOptions>().dir);
    });
  const g = (): GlobalOptions => program.opts<GlobalOptions>();
  const lock = (c: Command) => c.option("--lock-timeout <duration>", "wait this long for a held lock (e.g. 30s)");

  const target = (c: Command) => c.option("--target <address>", "only this resource and what it needs (repeatable)", collect);
  target(lock(program.command("plan").description("show what apply would change")))
    .option("--json", "print the plan as JSON")
    .option("--markdown", "print the plan as a Markdown PR comment")
    .option("--concise", "one line per resource, grouped by action")
    .option("--out <file>", "save the plan for `sbx apply FILE`")
    .option("--detailed-exitcode", "exit 0 for no changes, 2 for changes, 1 for errors")
    .option("--destroy", "plan a destroy")
    .option("--refresh-secrets", "re-resolve every secret reference")
    .action(async (flags) => planCommand(g(), flags));
  target(lock(program.command("apply [planfile]").description("converge the sandbox to the configuration")))
    .option("--auto-approve", "do not ask for confirmation")
    .option("--concise", "show the plan one line per resource")
    .option("--parallelism <n>", "operations at once (default 10)")
    .option("--refresh-secrets", "re-resolve every secret reference")
    .option("--slot <n>", "claim this slot at first apply (0: the standard ports)")
    .option("--build", "rebuild the images of services with a build: section (compose up --build)")
    .option("--no-wait", "do not wait for the health gate")
    .option("--timeout <seconds>", "how long the health gate waits (120, or 2m)")
    .option("--json", "print the plan as JSON")
    .action(async (planfile, flags) => applyCommand(g(), planfile, flags));
  target(lock(program.command("destroy").description("remove everything this sandbox owns, and only that")))
    .option("--auto-approve", "do not ask for confirmation")
    .option("--concise", "show the plan one line per resource")
    .option("--force", "also delete (or restore over) copied files edited outside sbx")
    .option("--parallelism <n>", "operations at once (default 10)")
    .option("--json", "print the plan as JSON")
    .action(async (flags) => destroyCommand(g(), flags));
  lock(program.command("stop").description("stop this sandbox, keeping its slot, volumes and files (sbx start resumes)")).action(async (flags) => stopCommand(g(), flags));
  lock(program.command("start").description("start a stopped sandbox again, then wait for its health gate"))
    .option("--no-wait", "do not wait for the health gate")
    .option("--timeout <seconds>", "how long the health gate waits (120, or 2m)")
    .action(async (flags) => startCommand(g(), flags));
  const worktree = program.command("worktree").description("a git worktree per feature, each with its own running sandbox");
  lock(worktree.command("add <feature>").description("git worktree add ../<prefix>-<feature> -b <feature>, then apply the sandbox there"))
    .option("--base <ref>", "start the new branch at REF (default: HEAD)")
    .option("--build", "rebuild images (compose up --build)")
    .option("--no-wait", "do not wait for the health gate")
    .option("--timeout <seconds>", "how long the health gate waits (120, or 2m)")
    .option("--parallelism <n>", "operations at once (default 10)")
    .action(async (feature, flags) => worktreeAddCommand(g(), feature, flags));
  worktree.command("list").description("each worktree of this repository with its slot, ports, status and TTL").option("--json", "print the list as JSON").action(async (flags) => worktreeListCommand(g(), flags));
  lock(worktree.command("done <feature>").description("destroy the worktree's sandbox, then remove the worktree (refused with uncommitted or unpushed work)"))
    .option("--force", "remove even with uncommitted changes or unpushed commits")
    .action(async (name, flags) => worktreeDoneCommand(g(), name, flags));
  program.command("status").description("show this sandbox's slot, ports and resources").option("--json", "print the status as JSON").action(async (flags) => statusCommand(g(), flags));
  program.command("list").description("list every sandbox on this host").option("--json", "print the list as JSON").action((flags) => listCommand(flags));
  program
    .command("env")
    .description('print the non-secret env: eval "$(sbx env)"')
    .option("--format <format>", "shell (export lines, the default), dotenv or json")
    .action((flags) => envCommand(g(), flags));
  program
    .command("logs [service]")
    .description("print service logs (secrets masked)")
    .option("-f, --follow", "keep printing new lines")
    .option("-n, --tail <n>", "lines per service (default 100)")
    .action(async (service, flags) => logsCommand(g(), service, flags));
  program
    .command("ssh [args...]")
    .description("ssh into the agent's microVM, in /workspace (args after -- go to ssh: sbx ssh -- -L 8080:localhost:8080)")
    .action(async (args: string[] | undefined) => sshCommand(g(), args ?? []));
  program
    .command("exec <command...>")
    .description("run a command in the agent's microVM, in /workspace: sbx exec -- CMD [ARGS...]")
    .action(async (cmd: string[]) => execCommand(g(), cmd));
  program
    .command("init")
    .description("propose infra.toml for this repository (and parameterize the compose file's host ports)")
    .option("--dry-run", "show the proposal; write nothing")
    .option("--check", "list what stops this repository from running one sandbox per worktree (exit 1 when anything does)")
    .option("--yes", "write without asking")
    .option("--auto", "the same as --yes (kinfra's spelling)")
    .option("--health-endpoint <path>", "the HTTP path that answers 200 when the app is ready")
    .action(async (flags) => initCommand(g(), flags));
  program.command("validate").description("check the configuration: everything plan checks without host state").action(async () => validateCommand(g()));
  program.command("explain <option>").description("show an option's type, value and every definition").action((o) => explainCommand(g(), o));
  program
    .command("compile")
    .description("print the resolved config and desired graph (no host state)")
    .option("--json", "JSON output (the default)")
    .option("--out <dir>", "write every generated artefact into DIR")
    .option("--slot <n>", "slot to compile for (default: the first valid slot)")
    .action(async (flags) => compileCommand(g(), flags));
  program
    .command("diff")
    .description("what a change to the configuration changes in every generated artefact (no host state; exit 2 when something changes)")
    .requiredOption("--base <git-ref>", "the revision to compare with (e.g. origin/main)")
    .option("--json", "print the difference as plan JSON")
    .option("--markdown", "print it as a Markdown PR comment")
    .option("--concise", "one line per resource")
    .option("--slot <n>", "slot to compile both revisions for (default: the first valid slot)")
    .action(async (flags) => diffCommand(g(), flags));
  program.command("show <planfile>").description("render a saved plan").option("--json", "print it as JSON").option("--markdown", "print it as a Markdown PR comment").option("--concise", "one line per resource").action((f, flags) => showCommand(f, flags));
  program.command("gc").description("destroy the sandboxes whose worktree is gone, and release their slots").option("--json", "no plans, only the summary").action(async (flags) => gcCommand(g(), flags));
  lock(program.command("snapshot").description("checkpoint this sandbox: uncommitted changes, provisioned files, compose volumes"))
    .option("--name <label>", "a name to restore it by")
    .option("--json", "print the snapshot's manifest as JSON")
    .action(async (flags) => snapshotCommand(g(), flags));
  const snapshots = program.command("snapshots").description("the snapshots in $SBX_HOME/snapshots");
  snapshots.command("list").description("every snapshot").option("--json", "print them as JSON").action((flags) => snapshotsListCommand(flags));
  snapshots.command("show <snapshot>").description("a snapshot's parts, each checked against its sha256").option("--json", "print the manifest as JSON").action((ref, flags) => snapshotsShowCommand(ref, flags));
  lock(program.command("restore <snapshot>").description("a new sandbox from a snapshot: a new worktree with its changes, its volumes, then apply"))
    .option("--into <dir>", "where the new worktree goes (default: next to the main repository)")
    .option("--json", "print the plan as JSON")
    .option("--concise", "show the plan one line per resource")
    .option("--parallelism <n>", "operations at once (default 10)")
    .action(async (ref, flags) => restoreCommand(g(), ref, flags));
  program.command("extend-ttl <duration>").description("push this sandbox's expiry out (e.g. 2h)").action(async (d) => extendTtlCommand(g(), d));
  return program;
}

export async function main(argv: string[]): Promise<number> {
  if (argv[2] === "__supervise") {
    supervise(argv.slice(3));
    return -1;
  }
  // Relative paths in the environment mean the directory sbx was started in, even after -C.
  for (const k of ["SBX_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"]) if (process.env[k]) process.env[k] = path.resolve(process.env[k]!);
  try {
    await buildProgram().parseAsync(normaliseArgv(argv));
    return 0;
  } catch (e) {
    if (e instanceof Exit) return e.code;
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    const known = knownFailure(e);
    if (known) {
      printDiagnostics([known]);
      return exitCodeFor([known]);
    }
    err(`sbx: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\nThis is a bug in sbx; please report it.`);
    return 1;
  }
}

// A closed stdout (`sbx status | head -1`) ends the command quietly.
watchClosedPipes();

const code = await main(process.argv);
if (code >= 0) process.exitCode = code;
