// sbx command line: thin wiring of commands to the pipeline.

import { Command, CommanderError } from "commander";
import { supervise } from "../apply/supervise.js";
import { SBX_VERSION } from "../apply/session.js";
import { err, Exit } from "./output.js";
import type { GlobalOptions } from "./common.js";
import { applyCommand } from "./commands/apply.js";
import { destroyCommand } from "./commands/destroy.js";
import { planCommand } from "./commands/plan.js";
import { compileCommand, explainCommand, validateCommand } from "./commands/config.js";
import { envCommand, extendTtlCommand, gcCommand, listCommand, logsCommand, statusCommand } from "./commands/inspect.js";
import { showCommand } from "./commands/show.js";

function collect(v: string, prev: string[] = []): string[] {
  return [...prev, v];
}

export async function main(argv: string[]): Promise<number> {
  if (argv[2] === "__supervise") {
    supervise(argv.slice(3));
    return -1;
  }
  // Terraform spells it -out; accept both.
  argv = argv.map((a) => (a === "-out" ? "--out" : a.startsWith("-out=") ? `--out=${a.slice(5)}` : a));
  const program = new Command("sbx")
    .description("Declarative sandboxes per git worktree: plan, apply, destroy.")
    .version(SBX_VERSION)
    .option("-C, --dir <dir>", "run as if started in DIR")
    .option("--set <option=value>", "override an option at force priority (repeatable)", collect)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  const g = (): GlobalOptions => program.opts<GlobalOptions>();
  const lock = (c: Command) => c.option("--lock-timeout <duration>", "wait for a held lock (e.g. 30s)");

  lock(program.command("plan").description("show what apply would change"))
    .option("--json", "print the plan as JSON")
    .option("--markdown", "print the plan as a Markdown PR comment")
    .option("--out <file>", "save the plan for `sbx apply FILE`")
    .option("--detailed-exitcode", "exit 0 for no changes, 2 for changes, 1 for errors")
    .option("--destroy", "plan a destroy")
    .option("--refresh-secrets", "re-resolve every secret reference")
    .action(async (flags) => planCommand(g(), flags));
  lock(program.command("apply [planfile]").description("converge the sandbox to the configuration"))
    .option("--auto-approve", "do not ask for confirmation")
    .option("--parallelism <n>", "operations at once", "10")
    .option("--refresh-secrets", "re-resolve every secret reference")
    .option("--json", "print the plan as JSON")
    .action(async (planfile, flags) => applyCommand(g(), planfile, flags));
  lock(program.command("destroy").description("remove everything this sandbox owns, and only that"))
    .option("--auto-approve", "do not ask for confirmation")
    .option("--force", "also delete copied files edited outside sbx")
    .option("--json", "print the plan as JSON")
    .action(async (flags) => destroyCommand(g(), flags));
  program.command("status").description("show this sandbox's slot, ports and resources").option("--json").action(async (flags) => statusCommand(g(), flags));
  program.command("list").description("list every sandbox on this host").option("--json").action((flags) => listCommand(flags));
  program.command("env").description("print the non-secret env (eval \"$(sbx env)\")").action(() => envCommand(g()));
  program
    .command("logs [service]")
    .description("print service logs")
    .option("-f, --follow", "keep printing new lines")
    .option("-n, --tail <n>", "lines per service", "100")
    .action(async (service, flags) => logsCommand(g(), service, flags));
  program.command("validate").description("check every configuration file").action(() => validateCommand(g()));
  program.command("explain <option>").description("show an option's type, value and every definition").action((o) => explainCommand(g(), o));
  program
    .command("compile")
    .description("print the resolved config and desired graph (no host state)")
    .option("--json", "JSON output (the default)")
    .option("--out <dir>", "write every generated artefact into DIR")
    .option("--slot <n>", "slot to compile for", "1")
    .action((flags) => compileCommand(g(), flags));
  program.command("show <planfile>").description("render a saved plan").option("--json").option("--markdown").action((f, flags) => showCommand(f, flags));
  program.command("gc").description("release slots whose worktree is gone").action(async () => gcCommand());
  program.command("extend-ttl <duration>").description("push this sandbox's expiry out").action(async (d) => extendTtlCommand(g(), d));

  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof Exit) return e.code;
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    err(`sbx: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\nThis is a bug in sbx; please report it.`);
    return 1;
  }
}

const code = await main(process.argv);
if (code >= 0) process.exitCode = code;
