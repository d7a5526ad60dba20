// Commands of the establishment service: the profile catalog, TTL expiry, recreate and
// reachability. Each parses flags, calls its workflow and prints.

import { expiredInstances, expireInstances, profileCatalog, recreateProject, showProfile, statusOf, type CatalogEntry, type Reachability } from "../../apply/index.js";
import { error, hasErrors } from "../../compile/diagnostics.js";
import { approver, checkHostConfig, countFlag, durationFlag, home, inDirectory, instance, interruptible, project, runOptions, withProfile, type GlobalOptions, type LockFlags, type ProfileFlags } from "../common.js";
import { err, Exit, finish, out, printDiagnostics, styleFor } from "../output.js";
import { printUrls } from "./apply.js";
import { printPlan } from "./plan.js";

function cwdOf(g: GlobalOptions): string {
  return runOptions(g, "sbx profiles").cwd;
}

function cell(text: string | undefined, width: number): string {
  return (text ?? "-").padEnd(width);
}

export function profilesListCommand(g: GlobalOptions, flags: { json?: boolean }): void {
  const catalog = inDirectory(() => profileCatalog(cwdOf(g), process.env));
  if (flags.json) {
    out(JSON.stringify({ profiles: catalog.entries, search_path: catalog.dirs.map((d) => ({ dir: d.dir, source: d.source, exists: d.exists })) }, null, 2));
    return;
  }
  if (!catalog.entries.length) {
    out(`No profiles found. Searched: ${catalog.dirs.map((d) => d.shown).join(", ")}.`);
    return;
  }
  const rows = catalog.entries;
  const w = (f: (e: CatalogEntry) => string | undefined, title: string) => Math.max(title.length, ...rows.map((r) => (f(r) ?? "-").length));
  const cols: [string, (e: CatalogEntry) => string | undefined][] = [
    ["NAME", (e) => e.name],
    ["ID", (e) => e.id],
    ["VERSION", (e) => e.version],
    ["BACKEND", (e) => e.backend],
    ["PLACEMENT", (e) => e.placement ?? "local"],
    ["TTL", (e) => e.ttl],
  ];
  const widths = cols.map(([t, f]) => w(f, t));
  out(`${cols.map(([t], i) => t.padEnd(widths[i]!)).join("  ")}  FILE`);
  for (const r of rows) out(`${cols.map(([, f], i) => cell(f(r), widths[i]!)).join("  ")}  ${r.file}${r.problems.length ? "  (has errors: sbx profiles show " + r.name + ")" : ""}`);
}

export function profilesShowCommand(g: GlobalOptions, name: string, flags: { json?: boolean }): void {
  const r = inDirectory(() => showProfile(cwdOf(g), process.env, name));
  if (!r.entry) return finish(r.diags);
  const e = r.entry;
  if (flags.json) {
    out(JSON.stringify({ ...e, text: r.text ?? null }, null, 2));
    return;
  }
  out(`Profile ${e.id}@${e.version} (name ${e.name})`);
  out(`  From:      ${e.file} (${e.source})`);
  for (const s of e.shadows) out(`  Hides:     ${s}`);
  if (e.description) out(`  About:     ${e.description}`);
  out(`  Backend:   ${e.backend ?? "(from the project, else process/compose)"}`);
  out(`  Placement: ${e.placement ?? "local"}`);
  out(`  TTL:       ${e.ttl ?? "none"}`);
  if (e.extends.length) out(`  Extends:   ${e.extends.join(", ")}`);
  if (e.inputs.length) {
    out("  Inputs:");
    for (const i of e.inputs) out(`    ${i.name}${i.required ? " (required)" : ` = ${JSON.stringify(i.default)}`}${i.description ? `  ${i.description}` : ""}`);
  }
  if (e.instructions) out(`  Setup:     ${e.instructions}`);
  out(`\nUse it: sbx apply --profile ${e.name}${e.inputs.filter((i) => i.required).map((i) => ` --input ${i.name}=...`).join("")}`);
  if (r.text !== undefined) out(`\n${r.text.trimEnd()}`);
  if (e.problems.length) printDiagnostics(e.problems, r.text !== undefined ? new Map([[e.file, r.text]]) : undefined);
}

export async function expireCommand(g: GlobalOptions, flags: { apply?: boolean; json?: boolean }): Promise<void> {
  const h = home();
  const expired = expiredInstances(h);
  if (!flags.apply) {
    if (flags.json) out(JSON.stringify({ expired }, null, 2));
    else if (!expired.length) out("No expired sandboxes.");
    else {
      const when = (e: (typeof expired)[number]) => `${e.expires_at} (${e.overdue} ago)`;
      const wi = Math.max(8, ...expired.map((e) => e.id.length));
      const we = Math.max(7, ...expired.map((e) => when(e).length));
      out(`${"INSTANCE".padEnd(wi)}  ${"SLOT".padEnd(4)}  ${"EXPIRED".padEnd(we)}  WORKTREE`);
      for (const e of expired) out(`${e.id.padEnd(wi)}  ${String(e.slot ?? "-").padEnd(4)}  ${when(e).padEnd(we)}  ${e.worktree}`);
      out("\nRun `sbx expire --apply` to destroy them.");
    }
    return;
  }
  checkHostConfig();
  const done = await expireInstances(runOptions(g, "sbx expire"), {
    show: (plan) => (flags.json ? undefined : printPlan(plan, {})),
    approve: async () => true,
    lockTimeoutMs: 0,
    parallelism: 10,
  });
  const bold = styleFor(process.stdout).bold;
  const report = done.map((c) => ({
    instance: c.instance,
    worktree: c.worktree,
    slot: c.slot ?? null,
    outcome: c.outcome.skipped ? "skipped" : hasErrors(c.outcome.diags) ? "failed" : "destroyed",
    ...(c.outcome.skipped ? { reason: c.outcome.skipped } : {}),
  }));
  if (flags.json) out(JSON.stringify({ expired: report }, null, 2));
  else {
    for (const r of report)
      out(
        bold(
          r.outcome === "skipped"
            ? `Kept ${r.instance}: ${r.reason}.`
            : r.outcome === "failed"
              ? `Could not destroy expired ${r.instance}: see the errors above.`
              : `Destroyed expired ${r.instance} (${r.worktree})${r.slot !== null ? `; released slot ${r.slot}` : ""}.`,
        ),
      );
    if (!done.length) out("No expired sandboxes.");
  }
  finish(done.flatMap((c) => c.outcome.diags));
}

export interface RecreateFlags extends LockFlags, ProfileFlags {
  autoApprove?: boolean;
  parallelism?: string;
  json?: boolean;
  concise?: boolean;
}

export async function recreateCommand(g: GlobalOptions, flags: RecreateFlags): Promise<void> {
  checkHostConfig();
  const p = project(withProfile(runOptions(g, "sbx recreate"), flags));
  const ctrlC = interruptible();
  try {
    const o = await recreateProject(p, {
      show: (plan) => printPlan(plan, { json: flags.json, concise: flags.concise }),
      approve: approver(!!flags.autoApprove),
      stopRequested: ctrlC.stopRequested,
      parallelism: countFlag("--parallelism", flags.parallelism, 10),
      lockTimeoutMs: durationFlag("--lock-timeout", flags.lockTimeout, 0),
    });
    if (o.cancelled) {
      err("Recreate cancelled.");
      throw new Exit(1);
    }
    finish(o.diags, o.texts);
    const removed = o.destroyed?.result?.done.length ?? 0;
    const added = o.result?.done.filter((d) => d.action === "create").length ?? 0;
    out(`\n${styleFor(process.stdout).bold(`Recreate complete! Resources: ${removed} destroyed, ${added} created, on slot ${o.plan?.slot.number ?? "?"}.`)}`);
    if (o.plan) printUrls(o.plan);
  } finally {
    ctrlC.dispose();
  }
}

/** A person's view of .sbx/sandbox.json. */
export function printReachability(r: Reachability & { time_left: string | null }): void {
  out(`Sandbox ${r.instance} (project ${r.project}, ${r.backend} on ${r.placement})`);
  out(`  Worktree: ${r.worktree}`);
  out(`  Slot:     ${r.slot ?? "none"} (${r.status})`);
  out(`  TTL:      ${r.ttl ?? "none"}${r.expires_at ? `; expires ${r.expires_at} (${r.time_left === "expired" ? "expired: sbx expire --apply destroys it" : `${r.time_left} left`})` : ""}`);
  const w = Math.max(0, ...r.urls.map((u) => u.name.length));
  if (r.urls.length) out(`  URLs:\n${r.urls.map((u) => `    ${u.name.padEnd(w)}  ${u.url}`).join("\n")}`);
  out(`  Ports:    ${Object.entries(r.ports).map(([k, v]) => `${k}=${v}`).join(" ") || "none"}`);
  out(`  Env:      ${r.env.join(" ") || "none"}  (values: eval "$(sbx env)")`);
  if (r.secrets.length) out(`  Secrets:  ${r.secrets.join(" ")}  (in ${r.env_files.secrets ?? "the secrets file"}; values never shown)`);
  out(`  SSH:      ${r.ssh ?? "none (runs on this machine)"}`);
}

export async function reachabilityCommand(g: GlobalOptions, flags: { json?: boolean }): Promise<void> {
  const { inst, problems } = instance(runOptions(g, "sbx reachability"));
  if (!inst) return finish(problems.diags.length ? problems.diags : [error("No sandbox here", { code: "usage", detail: "Run `sbx apply` first." })], problems.texts);
  const { report, diags } = await statusOf(inst);
  if (!report) return finish(diags);
  if (!report.reachability) return finish([error("No sandbox here", { code: "usage", detail: "This worktree's sandbox holds no slot. Run `sbx apply` first." })]);
  if (flags.json) out(JSON.stringify(report.reachability, null, 2));
  else printReachability(report.reachability);
}
