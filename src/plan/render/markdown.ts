// Plan as a GitHub PR comment: summary above the fold, the diff in <details>, and a
// fallback to the summary alone under GitHub's 65,536-character limit.

import { planErrors, type Plan } from "../model.js";
import { renderChange, summaryLine } from "./text.js";

export const GITHUB_COMMENT_LIMIT = 65536;

function headNote(plan: Plan): string {
  const parts = [plan.instance.backend, plan.slot.status !== "none" ? `slot ${plan.slot.number}` : ""].filter(Boolean);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

export function renderPlanMarkdown(plan: Plan, limit = GITHUB_COMMENT_LIMIT): string {
  const changes = plan.resource_changes.filter((c) => c.action !== "no-op");
  const head = [
    `### sbx plan for \`${plan.instance.project}\`${headNote(plan)}`,
    "",
    `**${changes.length ? summaryLine(plan) : "No changes."}**`,
    "",
  ];
  const byAction = (a: string) => changes.filter((c) => c.action === a).map((c) => `\`${c.address}\``);
  const list: string[] = [];
  for (const [a, label] of [["delete", "Destroy"], ["replace", "Replace"], ["update", "Update"], ["create", "Create"]] as const) {
    const xs = byAction(a);
    if (xs.length) list.push(`- **${label}**: ${xs.join(", ")}`);
  }
  for (const e of planErrors(plan)) list.push(`- :x: ${e.summary}${e.detail ? `: ${e.detail.split("\n")[0]}` : ""}`);
  if (!changes.length) return [...head, ...list].join("\n") + "\n";
  // `+`/`-` in column 0 so GitHub colours the diff fence.
  const body: string[] = [];
  for (const c of changes) {
    for (const l of renderChange(c)) {
      const m = /^(\s*)([+~-]|-\/\+)(\s.*)?$/.exec(l);
      body.push(m ? `${m[2] === "~" ? "!" : m[2]![0]}${m[1]}${m[3] ?? ""}` : ` ${l}`);
    }
    body.push("");
  }
  const full = [...head, ...list, "", "<details><summary>Show plan</summary>", "", "```diff", ...body, "```", "", "</details>"].join("\n") + "\n";
  if (full.length <= limit) return full;
  return [...head, ...list, "", `_The full plan is ${full.length} characters, over GitHub's limit; run \`sbx plan\` locally to see it._`].join("\n") + "\n";
}
