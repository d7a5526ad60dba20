// `sbx ssh [-- SSH_ARGS]` and `sbx exec -- CMD...`: into the agent's microVM over its
// forwarded SSH port; the exit status is ssh's (the command's, for exec).

import { sshInto } from "../../apply/index.js";
import { error } from "../../compile/diagnostics.js";
import { instance, runOptions, type GlobalOptions } from "../common.js";
import { Exit, finish } from "../output.js";

async function into(g: GlobalOptions, command: string, req: { args: string[]; command?: string[] }): Promise<void> {
  const { inst, problems } = instance(runOptions(g, command));
  if (!inst) return finish(problems.diags.length ? problems.diags : [error("No sandbox here", { code: "usage", detail: "Run `sbx apply` first." })], problems.texts);
  const r = await sshInto(inst, req);
  finish(r.diags);
  if (r.code) throw new Exit(r.code);
}

export function sshCommand(g: GlobalOptions, args: string[]): Promise<void> {
  return into(g, "sbx ssh", { args });
}

export function execCommand(g: GlobalOptions, cmd: string[]): Promise<void> {
  return into(g, "sbx exec", { args: [], command: cmd });
}
