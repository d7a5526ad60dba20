// `sbx diff --base REF`: what a change to the configuration changes in what sbx generates.
// Both revisions compile for the same slot with no host state; the base revision is read
// with `git archive` into a temporary directory, so the user's checkout is never touched.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { execa } from "execa";
import { backendOf } from "../../compile/backends/index.js";
import { error, hasErrors, warning, type Diagnostic } from "../../compile/diagnostics.js";
import { portSpecs, portsForSlot } from "../../compile/ports.js";
import { KINDS } from "../../kinds/index.js";
import { diffResources } from "../../plan/diff.js";
import { PLAN_FORMAT_VERSION, summarise, type Plan } from "../../plan/model.js";
import { SBX_VERSION } from "../../version.js";
import { projectPaths } from "../context.js";
import { compileAt } from "./compile.js";

export interface DiffOutcome {
  plan?: Plan;
  diags: Diagnostic[];
  texts: Map<string, string>;
  /** What the base revision was, as git names it. */
  base?: string;
}

async function git(cwd: string, args: string[]): Promise<{ ok: boolean; out: string; err: string }> {
  const r = await execa("git", args, { cwd, reject: false, stdin: "ignore", encoding: "buffer" });
  return { ok: r.exitCode === 0, out: Buffer.from(r.stdout as Uint8Array).toString("utf8"), err: Buffer.from(r.stderr as Uint8Array).toString("utf8").trim() };
}

/** Extract the tree of `ref` into a fresh temporary directory. */
async function extract(worktree: string, ref: string): Promise<{ dir?: string; diag?: Diagnostic; commit?: string }> {
  const commit = await git(worktree, ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  if (!commit.ok) return { diag: error(`Unknown git revision \`${ref}'`, { code: "usage", detail: `git cannot resolve ${ref} in ${worktree}. Fetch it first (git fetch origin), or name a branch, tag or commit.` }) };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sbx-diff-base-"));
  const archive = await execa("git", ["archive", "--format=tar", commit.out.trim()], { cwd: worktree, encoding: "buffer", reject: false, stdin: "ignore", maxBuffer: 1 << 30 });
  if (archive.exitCode !== 0) return { diag: error(`Cannot read revision \`${ref}'`, { code: "usage", detail: Buffer.from(archive.stderr as Uint8Array).toString("utf8").trim() }) };
  const untar = await execa("tar", ["-x", "-C", dir], { input: Buffer.from(archive.stdout as Uint8Array), reject: false });
  if (untar.exitCode !== 0) return { diag: error(`Cannot unpack revision \`${ref}'`, { code: "usage", detail: String(untar.stderr) }) };
  return { dir, commit: commit.out.trim().slice(0, 12) };
}

export async function diffAgainstBase(opts: { cwd: string; base: string; sets: readonly string[]; env: NodeJS.ProcessEnv; slot?: string }): Promise<DiffOutcome> {
  const paths = projectPaths(opts.cwd, opts.env);
  const head = compileAt(opts.cwd, opts.sets, opts.env, opts.slot);
  if (!head.config || !head.built || hasErrors(head.diags)) return { diags: head.diags, texts: head.texts };
  const base = await extract(paths.worktree, opts.base);
  if (!base.dir) return { diags: [base.diag!], texts: head.texts };
  try {
    const rel = path.relative(paths.worktree, paths.cwd);
    const baseCwd = path.join(base.dir, rel);
    const diags: Diagnostic[] = [...head.diags];
    let prior: { address: string; type: string; attrs: Record<string, unknown>; dependsOn: string[] }[] = [];
    let baseProfiles: { id: string; version: string }[] = [];
    if (fs.existsSync(baseCwd)) {
      // The same slot on both sides, so ports only differ when the configuration does.
      const old = compileAt(baseCwd, opts.sets, opts.env, String(head.slot));
      if (old.built && !hasErrors(old.diags)) {
        prior = old.built.resources.map((r) => ({ address: r.address, type: r.type, attrs: r.attrs as Record<string, unknown>, dependsOn: r.dependsOn }));
        baseProfiles = old.config!.profiles;
      } else if (old.config) diags.push(warning(`The configuration at ${opts.base} does not compile`, { detail: "Everything is shown as new. Its errors: " + old.diags.filter((d) => d.severity === "error").map((d) => d.summary).join("; ") }));
      else diags.push(warning(`No sbx configuration at ${opts.base}`, { detail: "Everything is shown as new." }));
    } else diags.push(warning(`${rel || "."} does not exist at ${opts.base}`, { detail: "Everything is shown as new." }));
    const changes = diffResources({ desired: head.built.resources, prior, observed: new Map(), mode: "apply", specs: KINDS });
    for (const p of head.config.profiles) {
      const was = baseProfiles.find((b) => b.id === p.id);
      if (was && was.version !== p.version) for (const c of changes) if (c.action !== "no-op") c.reasons.push(`profile ${p.id}@${was.version} → ${p.id}@${p.version}`);
    }
    const plan: Plan = {
      format_version: PLAN_FORMAT_VERSION,
      sbx_version: SBX_VERSION,
      mode: "apply",
      instance: { id: "<instance.id>", project: head.config.infra.project?.name ?? "", worktree: "<worktree>", backend: backendOf(head.config) },
      slot: { number: head.slot, status: "none" },
      ports: portsForSlot(portSpecs(head.config.infra), head.slot),
      profiles: head.config.profiles.map((p) => ({ id: p.id, version: p.version, hash: p.hash, file: p.file })),
      config_hash: "",
      sets: [],
      targets: [],
      prior_state: null,
      secret_fingerprints: {},
      resource_changes: changes,
      summary: summarise(changes),
      outputs: { urls: head.built.urls },
      diagnostics: diags.filter((d) => d.severity === "warning"),
    };
    return { plan, diags, texts: head.texts, base: `${opts.base} (${base.commit})` };
  } finally {
    fs.rmSync(base.dir, { recursive: true, force: true });
  }
}
