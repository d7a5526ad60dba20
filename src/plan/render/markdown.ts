// Plan as a GitHub PR comment: the summary above the fold, the diff in <details>. Under
// GitHub's 65,536-character limit always: else addresses per action, else counts only.

import { planErrors, type Plan } from "../model.js";
import { fencedLine } from "./lines.js";
import { ACTION_ORDER, changeLines, placementLines, summaryLine } from "./text.js";

export const GITHUB_COMMENT_LIMIT = 65536;

const LABEL: Record<string, string> = { delete: "Destroy", replace: "Replace", update: "Update", create: "Create", read: "Read" };

export interface MarkdownOptions {
  title?: string;
  limit?: number;
  /** An invisible first line that finds this comment again (`<!-- sbx:diff -->`). */
  marker?: string;
}

export function renderPlanMarkdown(plan: Plan, opts: MarkdownOptions = {}): string {
  const limit = opts.limit ?? GITHUB_COMMENT_LIMIT;
  const changes = plan.resource_changes.filter((c) => c.action !== "no-op");
  const headParts = [plan.instance.backend, plan.slot.status !== "none" ? `slot ${plan.slot.number}` : ""].filter(Boolean);
  const title = opts.title ?? `sbx plan for \`${plan.instance.project}\`${headParts.length ? ` (${headParts.join(", ")})` : ""}`;
  const where = placementLines(plan);
  const head = [`<!-- ${opts.marker ?? "sbx:plan"} -->`, `### ${title}`, "", `**${changes.length ? summaryLine(plan) : "No changes."}**`, "", ...(where.length ? [...where.map((l, i) => (i === 0 ? l : `- ${l.trim()}`)), ""] : [])];
  const errors = planErrors(plan).map((e) => `- :x: ${e.summary}${e.detail ? `: ${e.detail.split("\n")[0]}` : ""}`);
  const warnings = plan.diagnostics.filter((d) => d.severity === "warning").map((d) => `- :warning: ${d.summary}`);
  const notes = [...errors, ...warnings];
  const byAction: string[] = [];
  for (const a of ACTION_ORDER) {
    const xs = changes.filter((c) => c.action === a).map((c) => `\`${c.address}\``);
    if (xs.length) byAction.push(`- **${LABEL[a]}** (${xs.length}): ${xs.join(", ")}`);
  }
  const finish = (parts: string[]) => parts.join("\n").replace(/\n+$/, "") + "\n";
  if (!changes.length) return finish([...head, ...notes]);
  const body: string[] = [];
  for (const c of changes) body.push(...changeLines(c).map(fencedLine), "");
  // A fence longer than any run of backticks in the content, so file content cannot end it.
  let longest = 0;
  for (const l of body) for (const m of l.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  const fence = "`".repeat(Math.max(3, longest + 1));
  const full = finish([...head, ...notes, ...byAction, "", "<details><summary>Show plan</summary>", "", `${fence}diff`, ...body, fence, "", "</details>"]);
  if (full.length <= limit) return full;
  const note = `_The full plan is ${full.length} characters, over GitHub's limit of ${limit}; run \`sbx plan\` locally to see it._`;
  const listed = finish([...head, ...notes, ...byAction, "", note]);
  if (listed.length <= limit) return listed;
  const counts = ACTION_ORDER.map((a) => [a, changes.filter((c) => c.action === a).length] as const).filter(([, n]) => n > 0).map(([a, n]) => `- **${LABEL[a]}**: ${n}`);
  return finish([...head, ...notes.slice(0, 20), ...counts, "", note]);
}
