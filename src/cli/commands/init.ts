// `sbx init`: propose infra.toml (and `${VAR:-port}` host ports in the compose file) for
// an existing repository; write it with consent; `--check` lists what is missing.

import { createTwoFilesPatch } from "diff";
import * as readline from "node:readline/promises";
import { planInitAt, writeInit } from "../../apply/index.js";
import { error } from "../../compile/diagnostics.js";
import { cwdOf, inDirectory, type GlobalOptions } from "../common.js";
import { Exit, finish, out, printDiagnostics } from "../output.js";

export interface InitFlags {
  dryRun?: boolean;
  check?: boolean;
  yes?: boolean;
  auto?: boolean;
  healthEndpoint?: string;
}

const patch = (file: string, before: string, after: string) => createTwoFilesPatch(`a/${file}`, `b/${file}`, before, after, "", "", { context: 2 }).split("\n").slice(1).join("\n").trimEnd();

export async function initCommand(g: GlobalOptions, flags: InitFlags): Promise<void> {
  const o = inDirectory(() => planInitAt(cwdOf(g), { healthEndpoint: flags.healthEndpoint, env: process.env }));
  if ("diags" in o) return finish(o.diags);
  const { plan } = o;
  if (flags.check) {
    if (!plan.gaps.length) return out("All good — no gaps detected.");
    printDiagnostics(plan.gaps, o.textsNow);
    out(`\n${plan.gaps.length} gap${plan.gaps.length === 1 ? "" : "s"}. Run \`sbx init\` to fix what it can (--dry-run to preview).`);
    throw new Exit(1);
  }
  if (plan.diags.length) printDiagnostics(plan.diags, o.textsNow);
  const t = plan.infraToml;
  if (!t.changed && !plan.compose?.changed) return out(`${t.path}${plan.compose ? ` and ${plan.compose.path}` : ""} already hold everything init would propose; nothing to write.`);
  out(`sbx init in ${o.root}\n`);
  if (t.changed) out(t.before === undefined ? `${t.path} (new):\n\n${t.text}` : `${t.path} (adds ${t.added.join(", ")}):\n${patch(t.path, t.before, t.text)}\n`);
  const c = plan.compose;
  if (c?.changed) out(`${c.path}: host ports become variables, so each sandbox gets its own (${c.backupExists ? `the backup ${c.backupPath} from an earlier run is kept` : `original kept as ${c.backupPath}`}):\n${patch(c.path, c.before, c.text)}\n`);
  if (plan.remaining.length) {
    out("Still to do by hand once this is written:");
    printDiagnostics(plan.remaining, o.textsAfter);
  }
  if (flags.dryRun) return out("\nNo files written (dry run).");
  if (!flags.yes && !flags.auto) {
    if (!process.stdin.isTTY) finish([error("Refusing to write without consent", { code: "usage", detail: "stdin is not a terminal. Pass --yes to write these files, or --dry-run to only look." })]);
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question("\nWrite these files? [y/N] ");
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      out("Aborted; nothing written.");
      throw new Exit(1);
    }
  }
  const w = writeInit(o);
  if (w.written.length) out(`\nWrote ${w.written.join(", ")}.${c && w.written.includes(c.backupPath) ? ` ${c.backupPath} holds the original ${c.path}: keep it out of commits (or delete it once you are happy).` : ""}`);
  finish(w.diags);
  out(`Next: \`sbx validate\`, \`sbx plan\`; commit ${[t.path, ...(c?.changed ? [c.path] : [])].join(" and ")}, then \`sbx worktree add <feature>\` gives each feature its own running sandbox.`);
}
