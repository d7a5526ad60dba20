// Plan as a GitHub PR comment: summary above the fold, the diff in <details>, and a
// fallback to the summary alone under GitHub's 65,536-character limit.

import { planErrors, type Plan } from "../model.js";
import { renderChange, summaryLine } from "./text.js";

export const GITHUB_COMMENT_LIMIT = 65536;

export function renderPlanMarkdown(plan: Plan, limit = GITHUB_COMMENT_LIMIT): string {
  const changes = plan.resource_changes.filter((c) => c.action !== "no-op");
  const head = [
    `### sbx plan for \`${plan.instance.project}\` (${plan.instance.backend}${plan.slot.status !== "none" ? `, slot ${plan.slot.number}` : ""})`,
    "",
    `**${changes.length ? summaryLine(plan) : "No changes."}**`,
    "",
  ];
  const byAction = (a: string) => changes.filter((c) => c.action === a).map((c) => `\`${c.address}\``);
  const named: string[] = [];
  const counted: string[] = [];
  for (const [a, label] of [["delete", "Destroy"], ["replace", "Replace"], ["update", "Update"], ["create", "Create"]] as const) {
    const xs = byAction(a);
    if (xs.length) named.push(`- **${label}**: ${xs.join(", ")}`);
    if (xs.length) counted.push(`- **${label}**: ${xs.length} resource${xs.length === 1 ? "" : "s"}`);
  }
  const errors = planErrors(plan).map((e) => `- :x: ${e.summary}${e.detail ? `: ${e.detail.split("\n")[0]}` : ""}`);
  const list = [...named, ...errors];
  if (!changes.length) return [...head, ...list].join("\n") + "\n";
  // The symbol moves to column 0 so GitHub colours the diff fence; every other character
  // keeps the column the text renderer gave it. (`-/+` lines already start with their symbol.)
  const body: string[] = [];
  for (const c of changes) {
    for (const l of renderChange(c)) {
      const m = /^( +)([+~-])( |$)/.exec(l);
      body.push(m ? `${m[2] === "~" ? "!" : m[2]}${(m[1]! + " " + l.slice(m[1]!.length + 1)).slice(1)}` : l);
    }
    body.push("");
  }
  const full = [...head, ...list, "", "<details><summary>Show plan</summary>", "", "```diff", ...body, "```", "", "</details>"].join("\n") + "\n";
  if (full.length <= limit) return full;
  const note = `_The full plan is ${full.length} characters, over GitHub's limit; run \`sbx plan\` locally to see it._`;
  const short = [...head, ...list, "", note].join("\n") + "\n";
  if (short.length <= limit) return short;
  // Even the addresses are too many: counts only.
  return [...head, ...counted, ...errors, "", note].join("\n") + "\n";
}
