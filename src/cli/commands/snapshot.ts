// `sbx snapshot`, `sbx snapshots list|show`, `sbx restore`: checkpoints of a sandbox
// (worktree changes, provisioned files, compose volumes) and new sandboxes made from them.

import { listSnapshots, restoreSnapshot, showSnapshot, snapshotInstance, type SnapshotManifest } from "../../apply/index.js";
import { error, hasErrors, warning } from "../../compile/diagnostics.js";
import { countFlag, durationFlag, home, instance, interruptible, runOptions, type GlobalOptions, type LockFlags } from "../common.js";
import { err, finish, out, styleFor } from "../output.js";
import { printPlan } from "./plan.js";
import { printUrls } from "./apply.js";

const size = (n: number) => (n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 ** 2).toFixed(1)} MiB`);

function describe(m: SnapshotManifest): string[] {
  const of = (k: string) => m.parts.filter((p) => p.kind === k);
  const lines = [
    `Snapshot ${m.id}${m.name ? ` (${m.name})` : ""}`,
    `  Taken:     ${m.created_at} from ${m.instance} (project ${m.project}, ${m.backend}${m.placement ? ` at ${m.placement}` : ""})`,
    `  Worktree:  ${m.worktree} at ${m.base_commit.slice(0, 12)}${m.branch ? ` (${m.branch})` : ""}`,
  ];
  for (const p of m.parts) lines.push(`  ${p.kind.padEnd(10)} ${p.name.padEnd(24)} ${size(p.size).padStart(10)}  sha256 ${p.sha256.slice(0, 16)}…  ${p.file}`);
  if (!m.parts.length) lines.push("  (no changes, no provisioned files, no volumes)");
  lines.push(`  ${of("diff").length ? "tracked changes" : "no tracked changes"}, ${of("untracked").length ? of("untracked")[0]!.name : "no untracked files"}, ${of("file").length} provisioned file(s), ${of("volume").length} volume(s)`);
  return lines;
}

export async function snapshotCommand(g: GlobalOptions, flags: LockFlags & { name?: string; json?: boolean }): Promise<void> {
  // With --json, stdout holds the manifest alone; progress goes to stderr.
  const { inst, problems } = instance(runOptions(g, "sbx snapshot", flags.json ? { log: (line) => err(line) } : {}));
  if (!inst) return finish(problems.diags.length ? problems.diags : [error("No sandbox here to snapshot", { code: "usage", detail: "Run `sbx apply` first." })], problems.texts);
  const r = await snapshotInstance(inst, { name: flags.name, lockTimeoutMs: durationFlag("--lock-timeout", flags.lockTimeout, 0) });
  if (!r.manifest) return finish(r.diags);
  if (flags.json) out(JSON.stringify(r.manifest, null, 2));
  else out(describe(r.manifest).join("\n"));
  finish(r.diags);
}

export function snapshotsListCommand(flags: { json?: boolean }): void {
  const all = listSnapshots(home());
  if (flags.json) {
    out(JSON.stringify(all.map((s) => s.manifest ?? { id: s.id, problem: s.problem }), null, 2));
    return;
  }
  if (!all.length) {
    out("No snapshots.");
    return;
  }
  out(`${"ID".padEnd(40)} ${"NAME".padEnd(16)} ${"TAKEN".padEnd(24)} ${"PARTS".padEnd(5)} ${"SIZE".padStart(10)}  WORKTREE`);
  for (const s of all) {
    const m = s.manifest;
    if (!m) out(`${s.id.padEnd(40)} ${"-".padEnd(16)} ${"-".padEnd(24)} ${"-".padEnd(5)} ${"-".padStart(10)}  unreadable: ${s.problem}`);
    else out(`${m.id.padEnd(40)} ${(m.name ?? "-").padEnd(16)} ${m.created_at.padEnd(24)} ${String(m.parts.length).padEnd(5)} ${size(m.parts.reduce((n, p) => n + p.size, 0)).padStart(10)}  ${m.worktree}`);
  }
}

export function snapshotsShowCommand(ref: string, flags: { json?: boolean }): void {
  const r = showSnapshot(home(), ref);
  if (!r.manifest) return finish(r.diags);
  if (flags.json) out(JSON.stringify(r.manifest, null, 2));
  else out([...describe(r.manifest), `  Integrity: every part matches its sha256 (${r.dir})`].join("\n"));
}

export async function restoreCommand(g: GlobalOptions, ref: string, flags: LockFlags & { into?: string; json?: boolean; concise?: boolean; parallelism?: string }): Promise<void> {
  const ctrlC = interruptible();
  try {
    const r = await restoreSnapshot(runOptions(g, "sbx restore"), {
      ref,
      ...(flags.into !== undefined ? { into: flags.into } : {}),
      show: (plan) => printPlan(plan, { json: flags.json, concise: flags.concise }),
      // The user asked for a new sandbox: restore applies without a second question.
      approve: async () => true,
      stopRequested: ctrlC.stopRequested,
      lockTimeoutMs: durationFlag("--lock-timeout", flags.lockTimeout, 0),
      parallelism: countFlag("--parallelism", flags.parallelism, 10),
    });
    if (!r.apply?.plan || hasErrors(r.diags)) {
      if (r.dir) r.diags.push(warning(`The restored worktree is at ${r.dir}`, { code: "snapshot", detail: `Fix what is reported above and run \`sbx apply\` there, or remove it: git -C ${r.manifest?.main ?? "<main>"} worktree remove --force ${r.dir} (after \`sbx destroy\` there).` }));
      return finish(r.diags);
    }
    finish(r.diags);
    out(`\n${styleFor(process.stdout).bold(`Restored snapshot ${r.manifest!.id} into ${r.dir}`)}: ${r.manifest!.parts.filter((p) => p.kind === "diff" || p.kind === "untracked").length ? "worktree changes applied" : "no worktree changes"}, ${r.volumes.length} volume(s) restored.`);
    printUrls(r.apply.plan);
  } finally {
    ctrlC.dispose();
  }
}
