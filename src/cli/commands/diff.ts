// `sbx diff --base REF`: what a change to the configuration changes in what sbx generates,
// with no running sandbox and no host state (for pull-request review).

import { diffAgainstBase, projectPaths } from "../../apply/index.js";
import { hasChanges } from "../../plan/model.js";
import { cwdOf, inDirectory, type GlobalOptions } from "../common.js";
import { Exit, finish } from "../output.js";
import { printPlan } from "./plan.js";

export interface DiffFlags {
  base: string;
  json?: boolean;
  markdown?: boolean;
  concise?: boolean;
  slot?: string;
}

export async function diffCommand(g: GlobalOptions, flags: DiffFlags): Promise<void> {
  inDirectory(() => projectPaths(cwdOf(g), process.env));
  const r = await diffAgainstBase({ cwd: cwdOf(g), base: flags.base, sets: g.set ?? [], env: process.env, slot: flags.slot });
  if (!r.plan) return finish(r.diags, r.texts);
  const title = flags.markdown ? `sbx diff: \`${r.base}\` → this change (\`${r.plan.instance.project}\`, ${r.plan.instance.backend}, slot ${r.plan.slot.number})` : `Changes from ${r.base} to the working tree (project ${r.plan.instance.project}, backend ${r.plan.instance.backend}, slot ${r.plan.slot.number})`;
  printPlan(r.plan, { ...flags, title, marker: "sbx:diff", noChanges: "No changes: both revisions generate the same resources and artefacts." });
  finish(r.diags.filter((d) => d.severity === "error"), r.texts);
  // Terraform's -detailed-exitcode: 0 nothing changes, 2 something does.
  if (hasChanges(r.plan)) throw new Exit(2);
}
