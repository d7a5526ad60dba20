// Human plan, Terraform-style, rendered from plan JSON only (through the diff tree).

import type { Action } from "../action.js";
import { PLAN_FORMAT_VERSION, type Plan, type ResourceChange } from "../model.js";
import { entryLines, plainLine, type Line, type Sym } from "./lines.js";
import { diffChange, diffDrift } from "./tree.js";

export interface Style {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

export const PLAIN: Style = { green: (s) => s, red: (s) => s, yellow: (s) => s, bold: (s) => s, dim: (s) => s };

export interface RenderOptions {
  /** Replaces the "Sandbox ...:" heading (sbx diff names the revisions). */
  title?: string;
  /** Replaces the "No changes" sentence (sbx diff compares configurations, not a running sandbox). */
  noChanges?: string;
}

const GUTTER: Record<Action, { at: number; sym: Sym }> = {
  create: { at: 2, sym: "+" },
  delete: { at: 2, sym: "-" },
  update: { at: 2, sym: "~" },
  replace: { at: 0, sym: "-/+" },
  read: { at: 1, sym: "<=" },
  "no-op": { at: 2, sym: " " },
};
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
/** Destroys first, then replacements, updates and creations (Terraform's concise order). */
export const ACTION_ORDER: Action[] = ["delete", "replace", "update", "create", "read"];

export function blockTitle(c: ResourceChange): string {
  // The address starts with its type (`k8s.deployment.web`, `copy["a b"]`); the rest is the name.
  const rest = c.address.startsWith(c.type) ? c.address.slice(c.type.length) : undefined;
  if (rest === "") return c.type; // a singleton such as `k8s.namespace`
  const m = rest === undefined ? undefined : /^(?:\.(.+)|\[(".*")\])$/.exec(rest);
  const name = m ? (m[1] ?? (JSON.parse(m[2]!) as string)) : c.address;
  return `${c.type} ${JSON.stringify(name)}`;
}

export function summaryLine(plan: Plan): string {
  const s = plan.summary;
  if (plan.mode === "destroy") return `Plan: 0 to add, 0 to change, 0 to replace, ${s.destroy} to destroy.`;
  return `Plan: ${s.add} to add, ${s.change} to change, ${s.replace} to replace, ${s.destroy} to destroy.`;
}

/** The lines of one resource change: heading comments, the block, the drift block. */
export function changeLines(c: ResourceChange): Line[] {
  const lines: Line[] = [{ at: 0, sym: " ", text: `# ${c.address} ${HEADER[c.action]}${c.discovered ? " (found by owner label, not in state)" : ""}` }];
  for (const r of c.reasons) lines.push({ at: 0, sym: " ", text: `# (${r})` });
  const g = GUTTER[c.action];
  lines.push({ at: g.at, sym: g.sym, text: `resource ${blockTitle(c)} {` });
  const tree = diffChange(c);
  lines.push(...entryLines(tree.entries, 6, { quoteKeys: false, hide: c.action !== "create" && c.action !== "delete" }));
  const drift = diffDrift(c);
  if (drift) {
    lines.push({ at: 6, sym: " ", text: "" }, { at: 6, sym: " ", text: "# (drift: as found now -> as sbx will make it)" });
    lines.push(...entryLines(drift.entries, 6, { quoteKeys: false, hide: true }));
  }
  lines.push({ at: 2, sym: " ", text: "}" });
  return lines;
}

function paint(l: Line, st: Style): string {
  const text = plainLine(l);
  if (l.sym === " ") return l.at === 0 && l.text.startsWith("# ") && !l.text.startsWith("# (") ? st.bold(text) : text;
  const colour = l.sym === "+" ? st.green : l.sym === "-" || l.sym === "-/+" ? st.red : st.yellow;
  return `${" ".repeat(l.at)}${colour(l.sym)}${text.slice(l.at + l.sym.length)}`;
}

/** One change as terminal lines (coloured with `st`). */
export function renderChange(c: ResourceChange, st: Style = PLAIN): string[] {
  return changeLines(c).map((l) => paint(l, st));
}

function heading(plan: Plan, opts: RenderOptions): string[] {
  const out: string[] = [];
  if (plan.format_version.split(".")[0] !== PLAN_FORMAT_VERSION.split(".")[0])
    out.push(`Warning: this plan has format ${plan.format_version}; this sbx renders ${PLAN_FORMAT_VERSION}. Output may be incomplete.`, "");
  const slotNote = plan.slot.status === "to-claim" ? ` (slot ${plan.slot.number} will be claimed)` : plan.slot.status === "held" ? ` (slot ${plan.slot.number})` : "";
  // A destroy plan of a sandbox that never applied has no backend: say nothing rather than "backend ".
  out.push(opts.title ?? `Sandbox ${plan.instance.id}: project ${plan.instance.project}${plan.instance.backend ? `, backend ${plan.instance.backend}` : ""}${slotNote}`);
  for (const p of plan.profiles) out.push(`Profile ${p.id}@${p.version} (${p.hash}) from ${p.file}${p.built_from !== undefined ? `; this sandbox was built from ${p.id}@${p.built_from}` : ""}`);
  out.push(...placementLines(plan));
  out.push("");
  return out;
}

/** Where the sandbox runs and, when a route chose it, every candidate with what probing found. */
export function placementLines(plan: Plan): string[] {
  const pl = plan.placement;
  if (!pl) return [];
  const r = pl.route;
  if (!r) return [`Placement: ${pl.target}`];
  const out = [`Placement: ${pl.target} (route ${r.strategy} of profile ${r.profile}: ${r.chosen}, ${r.reason})`];
  const w = Math.max(0, ...r.candidates.map((c) => c.name.length));
  for (const c of r.candidates) {
    const facts = [c.backend, c.self_hosted ? "self-hosted" : "metered", ...(c.cost !== undefined ? [`cost ${c.cost}`] : []), ...(c.latency_ms !== undefined ? [`${c.latency_ms} ms`] : [])].join(", ");
    const mark = c.status === "chosen" ? "✓ chosen " : c.status === "available" ? "· passed " : "✗ skipped";
    out.push(`  ${mark} ${c.name.padEnd(w)}  ${c.placement} (${facts})${c.status === "skipped" && c.reason ? `: ${c.reason}` : ""}`);
  }
  return out;
}

export function renderPlanText(plan: Plan, st: Style = PLAIN, opts: RenderOptions = {}): string {
  const out = heading(plan, opts);
  const changes = plan.resource_changes.filter((c) => c.action !== "no-op");
  if (!changes.length) {
    if (plan.mode === "destroy") out.push(st.bold("No changes. No objects need to be destroyed."));
    else if (opts.noChanges) out.push(st.bold(opts.noChanges));
    else out.push(st.bold("No changes. Your sandbox matches the configuration."), "", "sbx compared the running sandbox with your configuration and found no differences, so no changes are needed.");
    return out.join("\n") + "\n";
  }
  out.push("Resource actions are indicated with the following symbols:");
  for (const [a, text] of LEGEND) if (changes.some((c) => c.action === a)) out.push(text);
  out.push("", "sbx will perform the following actions:", "");
  for (const c of changes) out.push(...renderChange(c, st), "");
  out.push(st.bold(summaryLine(plan)));
  return out.join("\n") + "\n";
}

/** `--concise`: one line per resource, grouped by action, destroys first. */
export function renderPlanConcise(plan: Plan, st: Style = PLAIN, opts: RenderOptions = {}): string {
  const out = heading(plan, opts);
  const changes = plan.resource_changes.filter((c) => c.action !== "no-op");
  if (!changes.length) return [...out, st.bold(plan.mode === "destroy" ? "No changes. No objects need to be destroyed." : (opts.noChanges ?? "No changes. Your sandbox matches the configuration."))].join("\n") + "\n";
  for (const a of ACTION_ORDER) {
    const group = changes.filter((c) => c.action === a);
    if (!group.length) continue;
    const g = GUTTER[a];
    for (const c of group) out.push(paint({ at: g.at, sym: g.sym, text: `${c.address}${c.reasons.length ? `  (${c.reasons.join("; ")})` : ""}` }, st));
  }
  out.push("", st.bold(summaryLine(plan)));
  return out.join("\n") + "\n";
}
