// sbx command line: parses arguments and hands each command to its workflow.

import * as path from "node:path";
import { Command, CommanderError } from "commander";
import { exitCodeFor } from "../compile/diagnostics.js";
import { SBX_VERSION } from "../version.js";
import { disableColour, err, Exit, out, printDiagnostics, watchClosedPipes } from "./output.js";
import { enterDirectory } from "./directory.js";
import { addExamples } from "./examples.js";
import type { GlobalOptions } from "./common.js";

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

/** Set once a command runs: only then is there anything (events) to finish. */
let ranCommand = false;

/**
 * Every command's module is imported when that command runs, so `sbx --version` and
 * `--help` load only the argument parser (start-up is measured in bench/).
 */
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
      ranCommand = true;
      if (cmd.opts<{ color?: boolean }>().color === false) disableColour();
      enterDirectory(cmd.opts<GlobalOptions>().dir);
    });
  const g = (): GlobalOptions => program.opts<GlobalOptions>();
  const lock = (c: Command) => c.option("--lock-timeout <duration>", "wait this long for a held lock (e.g. 30s)");

  const target = (c: Command) => c.option("--target <address>", "only this resource and what it needs (repeatable)", collect);
  const fromProfile = (c: Command) =>
    c.option("--profile <name>", "add this profile (with no infra.toml: make the sandbox from it alone)").option("--input <name=value>", "a value for an input the profile declares (repeatable)", collect);
  fromProfile(target(lock(program.command("plan").description("show what apply would change"))))
    .option("--json", "print the plan as JSON")
    .option("--markdown", "print the plan as a Markdown PR comment")
    .option("--concise", "one line per resource, grouped by action")
    .option("--out <file>", "save the plan for `sbx apply FILE`")
    .option("--detailed-exitcode", "exit 0 for no changes, 2 for changes, 1 for errors")
    .option("--destroy", "plan a destroy")
    .option("--refresh-secrets", "re-resolve every secret reference")
    .action(async (flags) => (await import("./commands/plan.js")).planCommand(g(), flags));
  fromProfile(target(lock(program.command("apply [planfile]").description("converge the sandbox to the configuration"))))
    .option("--auto-approve", "do not ask for confirmation")
    .option("--concise", "show the plan one line per resource")
    .option("--parallelism <n>", "operations at once (default 10)")
    .option("--refresh-secrets", "re-resolve every secret reference")
    .option("--slot <n>", "claim this slot at first apply (0: the standard ports)")
    .option("--build", "rebuild the images of services with a build: section (compose up --build)")
    .option("--no-wait", "do not wait for the health gate")
    .option("--timeout <seconds>", "how long the health gate waits (120, or 2m)")
    .option("--json", "print the plan as JSON")
    .action(async (planfile, flags) => (await import("./commands/apply.js")).applyCommand(g(), planfile, flags));
  target(lock(program.command("destroy").description("remove everything this sandbox owns, and only that")))
    .option("--auto-approve", "do not ask for confirmation")
    .option("--concise", "show the plan one line per resource")
    .option("--force", "also delete (or restore over) copied files edited outside sbx")
    .option("--parallelism <n>", "operations at once (default 10)")
    .option("--json", "print the plan as JSON")
    .action(async (flags) => (await import("./commands/destroy.js")).destroyCommand(g(), flags));
  lock(program.command("stop").description("stop this sandbox, keeping its slot, volumes and files (sbx start resumes)")).action(async (flags) => (await import("./commands/lifecycle.js")).stopCommand(g(), flags));
  lock(program.command("start").description("start a stopped sandbox again, then wait for its health gate"))
    .option("--no-wait", "do not wait for the health gate")
    .option("--timeout <seconds>", "how long the health gate waits (120, or 2m)")
    .action(async (flags) => (await import("./commands/lifecycle.js")).startCommand(g(), flags));
  const worktree = program.command("worktree").description("a git worktree per feature, each with its own running sandbox");
  lock(worktree.command("add <feature>").description("git worktree add ../<prefix>-<feature> -b <feature>, then apply the sandbox there"))
    .option("--base <ref>", "start the new branch at REF (default: HEAD)")
    .option("--build", "rebuild images (compose up --build)")
    .option("--no-wait", "do not wait for the health gate")
    .option("--timeout <seconds>", "how long the health gate waits (120, or 2m)")
    .option("--parallelism <n>", "operations at once (default 10)")
    .action(async (feature, flags) => (await import("./commands/worktree.js")).worktreeAddCommand(g(), feature, flags));
  worktree.command("list").description("each worktree of this repository with its slot, ports, status and TTL").option("--json", "print the list as JSON").action(async (flags) => (await import("./commands/worktree.js")).worktreeListCommand(g(), flags));
  lock(worktree.command("done <feature>").description("destroy the worktree's sandbox, then remove the worktree (refused with uncommitted or unpushed work)"))
    .option("--force", "remove even with uncommitted changes or unpushed commits")
    .action(async (name, flags) => (await import("./commands/worktree.js")).worktreeDoneCommand(g(), name, flags));
  program.command("status").description("show this sandbox's slot, ports and resources").option("--json", "print the status as JSON").action(async (flags) => (await import("./commands/inspect.js")).statusCommand(g(), flags));
  program.command("list").description("list every sandbox on this host").option("--json", "print the list as JSON").action(async (flags) => (await import("./commands/inspect.js")).listCommand(flags));
  program
    .command("env")
    .description('print the non-secret env: eval "$(sbx env)"')
    .option("--format <format>", "shell (export lines, the default), dotenv or json")
    .action(async (flags) => (await import("./commands/inspect.js")).envCommand(g(), flags));
  program
    .command("logs [service]")
    .description("print service logs (secrets masked)")
    .option("-f, --follow", "keep printing new lines")
    .option("-n, --tail <n>", "lines per service (default 100)")
    .action(async (service, flags) => (await import("./commands/inspect.js")).logsCommand(g(), service, flags));
  program
    .command("ssh [args...]")
    .description("ssh into the agent's microVM, in /workspace (args after -- go to ssh: sbx ssh -- -L 8080:localhost:8080)")
    .action(async (args: string[] | undefined) => (await import("./commands/ssh.js")).sshCommand(g(), args ?? []));
  program
    .command("exec <command...>")
    .description("run a command in the agent's microVM, in /workspace: sbx exec -- CMD [ARGS...]")
    .action(async (cmd: string[]) => (await import("./commands/ssh.js")).execCommand(g(), cmd));
  program
    .command("init")
    .description("propose infra.toml for this repository (and parameterize the compose file's host ports)")
    .option("--dry-run", "show the proposal; write nothing")
    .option("--check", "list what stops this repository from running one sandbox per worktree (exit 1 when anything does)")
    .option("--yes", "write without asking")
    .option("--auto", "the same as --yes (kinfra's spelling)")
    .option("--health-endpoint <path>", "the HTTP path that answers 200 when the app is ready")
    .action(async (flags) => (await import("./commands/init.js")).initCommand(g(), flags));
  program.command("validate").description("check the configuration: everything plan checks without host state").action(async () => (await import("./commands/config.js")).validateCommand(g()));
  program.command("explain <option>").description("show an option's type, value and every definition").action(async (o) => (await import("./commands/config.js")).explainCommand(g(), o));
  program
    .command("compile")
    .description("print the resolved config and desired graph (no host state)")
    .option("--json", "JSON output (the default)")
    .option("--out <dir>", "write every generated artefact into DIR")
    .option("--slot <n>", "slot to compile for (default: the first valid slot)")
    .action(async (flags) => (await import("./commands/config.js")).compileCommand(g(), flags));
  program
    .command("diff")
    .description("what a change to the configuration changes in every generated artefact (no host state; exit 2 when something changes)")
    .requiredOption("--base <git-ref>", "the revision to compare with (e.g. origin/main)")
    .option("--json", "print the difference as plan JSON")
    .option("--markdown", "print it as a Markdown PR comment")
    .option("--concise", "one line per resource")
    .option("--slot <n>", "slot to compile both revisions for (default: the first valid slot)")
    .action(async (flags) => (await import("./commands/diff.js")).diffCommand(g(), flags));
  program.command("show <planfile>").description("render a saved plan").option("--json", "print it as JSON").option("--markdown", "print it as a Markdown PR comment").option("--concise", "one line per resource").action(async (f, flags) => (await import("./commands/plan.js")).showCommand(f, flags));
  program.command("gc").description("destroy the sandboxes whose worktree is gone, and release their slots").option("--json", "no plans, only the summary").action(async (flags) => (await import("./commands/inspect.js")).gcCommand(g(), flags));
  const snap = async () => import("./commands/snapshot.js");
  lock(program.command("snapshot").description("checkpoint this sandbox: uncommitted changes, provisioned files, compose volumes"))
    .option("--name <label>", "a name to restore it by")
    .option("--json", "print the snapshot's manifest as JSON")
    .action(async (flags) => (await snap()).snapshotCommand(g(), flags));
  const snapshots = program.command("snapshots").description("the snapshots in $SBX_HOME/snapshots");
  snapshots.command("list").description("every snapshot").option("--json", "print them as JSON").action(async (flags) => (await snap()).snapshotsListCommand(flags));
  snapshots.command("show <snapshot>").description("a snapshot's parts, each checked against its sha256").option("--json", "print the manifest as JSON").action(async (ref, flags) => (await snap()).snapshotsShowCommand(ref, flags));
  lock(program.command("restore <snapshot>").description("a new sandbox from a snapshot: a new worktree with its changes, its volumes, then apply"))
    .option("--into <dir>", "where the new worktree goes (default: next to the main repository)")
    .option("--json", "print the plan as JSON")
    .option("--concise", "show the plan one line per resource")
    .option("--parallelism <n>", "operations at once (default 10)")
    .action(async (ref, flags) => (await snap()).restoreCommand(g(), ref, flags));
  lock(program.command("extend-ttl <duration>").description("set this sandbox's expiry to now + DURATION (e.g. 2h)")).action(async (d, flags) => (await import("./commands/inspect.js")).extendTtlCommand(g(), d, flags));
  program
    .command("expire")
    .description("list the sandboxes on this host whose TTL has passed; --apply destroys them")
    .option("--apply", "destroy them (from state; never one with time left)")
    .option("--json", "print the list (or what was done) as JSON")
    .action(async (flags) => (await import("./commands/service.js")).expireCommand(g(), flags));
  fromProfile(lock(program.command("recreate").description("destroy this sandbox and apply it again on the same slot")))
    .option("--auto-approve", "do not ask for confirmation")
    .option("--concise", "show the plans one line per resource")
    .option("--parallelism <n>", "operations at once (default 10)")
    .option("--json", "print the plans as JSON")
    .action(async (flags) => (await import("./commands/service.js")).recreateCommand(g(), flags));
  program.command("reachability").description("how to reach this sandbox: URLs, ports, env names, TTL (.sbx/sandbox.json)").option("--json", "print it as JSON").action(async (flags) => (await import("./commands/service.js")).reachabilityCommand(g(), flags));
  const profiles = program.command("profiles").description("the profiles found for this project, this user and this host");
  profiles.command("list").description("every profile on the search path, with id, version, backend, placement and TTL").option("--json", "print them as JSON").action(async (flags) => (await import("./commands/service.js")).profilesListCommand(g(), flags));
  profiles.command("show <name>").description("one profile (by name or id), where it comes from and its inputs").option("--json", "print it as JSON").action(async (name, flags) => (await import("./commands/service.js")).profilesShowCommand(g(), name, flags));
  program
    .command("serve")
    .description("a local HTTP API for agents: list, get, create, destroy, extend-ttl (bearer token in $SBX_HOME/api-token)")
    .option("--listen <host:port>", "where to listen (default 127.0.0.1:7878, or serve.listen in $SBX_HOME/config.toml)")
    .option("--reap-interval <duration>", "destroy expired sandboxes this often (default 1m; 0 turns it off)")
    .action(async (flags) => (await import("./commands/serve.js")).serveCommand(g(), flags));
  program
    .command("completion <shell>")
    .description("print a completion script for bash, zsh or fish")
    .action(async (shell) => (await import("./commands/completion.js")).completionCommand(program, shell));
  addExamples(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  if (argv[2] === "__supervise") {
    (await import("../apply/index.js")).supervise(argv.slice(3));
    return -1;
  }
  // Relative paths in the environment mean the directory sbx was started in, even after -C.
  for (const k of ["SBX_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME"]) if (process.env[k]) process.env[k] = path.resolve(process.env[k]!);
  try {
    await buildProgram().parseAsync(normaliseArgv(argv));
    return 0;
  } catch (e) {
    return await failureCode(e);
  } finally {
    // Events still being POSTed get a bounded wait; the rest go to the outbox.
    if (ranCommand) await (await import("../apply/index.js")).drainEvents();
  }
}

/** The exit status of a command that threw: a user's mistake is a diagnostic, anything else a bug. */
async function failureCode(e: unknown): Promise<number> {
  if (e instanceof Exit) return e.code;
  if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
  const known = (await import("../apply/index.js")).knownFailure(e);
  if (known) {
    printDiagnostics([known]);
    return exitCodeFor([known]);
  }
  err(`sbx: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\nThis is a bug in sbx; please report it.`);
  return 1;
}

// A closed stdout (`sbx status | head -1`) ends the command quietly.
watchClosedPipes();

const code = await main(process.argv);
if (code >= 0) process.exitCode = code;
