// Human plan, Terraform-style, rendered from plan JSON only.

import type { Action } from "../action.js";
import { PLAN_FORMAT_VERSION, type Plan, type ResourceChange } from "../model.js";
import { renderBody } from "./values.js";

export interface Style {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

export const PLAIN: Style = { green: (s) => s, red: (s) => s, yellow: (s) => s, bold: (s) => s, dim: (s) => s };

const GUTTER: Record<Action, string> = { create: "  +", delete: "  -", update: "  ~", replace: "-/+", read: " <=", "no-op": "   " };
const HEADER: Record<Action, string> = {
  create: "will be created",
  delete: "will be destroyed",
  update: "will be updated in-place",
  replace: "must be replaced",
  read: "will be read during apply",
  "no-op": "is up to date",
};
const LEGEND: [Action, string][] = [
  ["create", "  + create"],
  ["update", "  ~ update in-place"],
  ["delete", "  - destroy"],
  ["replace", "-/+ destroy and then create replacement"],
];

function blockTitle(c: ResourceChange): string {
  const m = /^([a-z_]+)(?:\.(.+)|\[(".*")\])$/.exec(c.address);
  const name = m ? (m[2] ?? JSON.parse(m[3]!)) : c.address;
  return `${c.type} ${JSON.stringify(name)}`;
}

function colourFor(a: Action, st: Style): (s: string) => string {
  return a === "create" ? st.green : a === "delete" ? st.red : a === "replace" ? st.red : a === "update" ? st.yellow : (s: string) => s;
}

export function summaryLine(plan: Plan): string {
  const s = plan.summary;
  if (plan.mode === "destroy") return `Plan: 0 to add, 0 to change, 0 to replace, ${s.destroy} to destroy.`;
  return `Plan: ${s.add} to add, ${s.change} to change, ${s.replace} to replace, ${s.destroy} to destroy.`;
}

export function renderChange(c: ResourceChange, st: Style = PLAIN): string[] {
  const lines: string[] = [];
  lines.push(st.bold(`  # ${c.address} ${HEADER[c.action]}`));
  for (const r of c.reasons) lines.push(`  # (${r})`);
  const col = colourFor(c.action, st);
  lines.push(`${col(GUTTER[c.action])} resource ${blockTitle(c)} {`);
  const body = renderBody(c.action === "create" ? null : c.before, c.action === "delete" ? null : c.after, 6, {
    sensitive: c.sensitive,
    replacePaths: c.replace_paths,
  });
  const paint = (l: string) => l.replace(/^(\s*)([+~-]) /, (_m, sp: string, sym: string) => `${sp}${sym === "+" ? st.green(sym) : sym === "-" ? st.red(sym) : st.yellow(sym)} `);
  for (const l of body) lines.push(paint(l));
  if (c.drift) {
    // What is there now, against what apply will make it.
    lines.push("", "      # (drift: as found now -> as sbx will make it)");
    for (const l of renderBody(c.drift.observed, c.drift.expected, 6, { sensitive: c.sensitive, replacePaths: [] })) if (!/unchanged attribute/.test(l)) lines.push(paint(l));
  }
  lines.push("    }");
  return lines;
}

export function renderPlanText(plan: Plan, st: Style = PLAIN): string {
  const out: string[] = [];
  if (plan.format_version.split(".")[0] !== PLAN_FORMAT_VERSION.split(".")[0])
    out.push(`Warning: this plan has format ${plan.format_version}; this sbx renders ${PLAN_FORMAT_VERSION}. Output may be incomplete.`, "");
  const changes = plan.resource_changes.filter((c) => c.action !== "no-op");
  const slotNote = plan.slot.status === "to-claim" ? ` (slot ${plan.slot.number} will be claimed)` : plan.slot.status === "held" ? ` (slot ${plan.slot.number})` : "";
  // A destroy plan of a sandbox that never applied has no backend: say nothing rather than "backend ".
  out.push(`Sandbox ${plan.instance.id}: project ${plan.instance.project}${plan.instance.backend ? `, backend ${plan.instance.backend}` : ""}${slotNote}`);
  for (const p of plan.profiles) out.push(`Profile ${p.id}@${p.version} (${p.hash}) from ${p.file}`);
  out.push("");
  if (!changes.length) {
    if (plan.mode === "destroy") out.push(st.bold("No changes. No objects need to be destroyed."));
    else {
      out.push(st.bold("No changes. Your sandbox matches the configuration."));
      out.push("");
      out.push("sbx compared the running sandbox with your configuration and found no differences, so no changes are needed.");
    }
  } else {
    out.push("Resource actions are indicated with the following symbols:");
    for (const [a, text] of LEGEND) if (changes.some((c) => c.action === a)) out.push(colourFor(a, st)(text));
    out.push("");
    out.push("sbx will perform the following actions:");
    out.push("");
    for (const c of changes) out.push(...renderChange(c, st), "");
    out.push(st.bold(summaryLine(plan)));
  }
  return out.join("\n") + "\n";
}
