// Configuration commands that touch no host state: validate, explain, compile.

import { claimOf, compileProject, firstSlot, instanceId, loadProjectConfig, validateProject, writeArtefacts } from "../../apply/index.js";
import { error, hasErrors } from "../../compile/diagnostics.js";
import { explainOption } from "../../compile/explain.js";
import { stableStringify } from "../../plan/render/json.js";
import { cwdOf, home, inDirectory, inDirectoryAsync, type GlobalOptions } from "../common.js";
import { finish, out, printDiagnostics } from "../output.js";

export async function validateCommand(g: GlobalOptions): Promise<void> {
  const r = await inDirectoryAsync(() => validateProject(cwdOf(g), g.set ?? [], process.env));
  if (hasErrors(r.diags) || !r.files.length) return finish(r.diags.length ? r.diags : [error("Nothing to validate", { code: "config" })], r.texts);
  if (r.diags.length) printDiagnostics(r.diags, r.texts);
  for (const f of r.files) out(`✓ ${f.file} (${f.role})`);
  out(`${r.files.length} file${r.files.length === 1 ? "" : "s"} valid.`);
}

export function explainCommand(g: GlobalOptions, option: string): void {
  const r = inDirectory(() => loadProjectConfig(cwdOf(g), g.set ?? [], process.env));
  if (!r.config || hasErrors(r.diags)) return finish(r.diags, r.texts);
  const id = instanceId(r.config.infra.project?.name ?? "", r.worktree);
  const claimed = claimOf(home(), id)?.slot;
  const e = explainOption(r.config, option, claimed !== undefined ? { slot: claimed } : { slot: firstSlot(r.config), claimed: false });
  if (e.lines.length) out(e.lines.join("\n"));
  finish(e.diags);
}

export interface CompileFlags {
  json?: boolean;
  out?: string;
  slot?: string;
}

export async function compileCommand(g: GlobalOptions, flags: CompileFlags): Promise<void> {
  const c = await inDirectoryAsync(() => compileProject(cwdOf(g), g.set ?? [], process.env, flags.slot));
  if (hasErrors(c.diags) || !c.doc) return finish(c.diags, c.texts);
  if (c.diags.length) printDiagnostics(c.diags, c.texts);
  if (!flags.out) {
    out(stableStringify(c.doc));
    return;
  }
  try {
    writeArtefacts(flags.out, c.artefacts, (rel) => out(`wrote ${flags.out}/${rel}`));
  } catch (e) {
    finish([error(`Cannot write to ${flags.out}`, { code: "usage", detail: `${(e as Error).message}. Choose a directory sbx may create or write into.` })]);
  }
}
