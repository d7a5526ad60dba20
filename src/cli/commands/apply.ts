// `sbx apply [PLANFILE]`: plan, confirm, claim the slot, converge, report.

import { runEngine, type EngineResult } from "../../apply/engine.js";
import { DriverError } from "../../apply/drivers/types.js";
import { claimSlot, NoSlotError, setClaimStatus } from "../../apply/registry.js";
import { appendEvent, ensureStateDir, planSession, type Session } from "../../apply/session.js";
import { portSpecs, slotRange } from "../../compile/ports.js";
import { hasChanges, type Plan } from "../../plan/model.js";
import { confirm, home, lockInstance, open, parseDuration, type CommonFlags, type GlobalOptions } from "../common.js";
import { err, Exit, out, styleFor } from "../output.js";
import { printPlan, readPlanFile, PlanFileError } from "./plan.js";

export interface ApplyFlags extends CommonFlags {
  autoApprove?: boolean;
  parallelism?: string;
  json?: boolean;
}

function staleReason(saved: Plan, fresh: Plan): string | undefined {
  if (saved.instance.id !== fresh.instance.id) return "it was made for another sandbox";
  const a = saved.prior_state;
  const b = fresh.prior_state;
  if (JSON.stringify(a) !== JSON.stringify(b)) return "the state was changed by another operation after the plan was created";
  if (saved.config_hash !== fresh.config_hash) return "the configuration files changed after the plan was created";
  if (JSON.stringify(saved.secret_fingerprints) !== JSON.stringify(fresh.secret_fingerprints)) return "a secret's value changed after the plan was created";
  if (saved.slot.number !== fresh.slot.number) return `slot ${saved.slot.number} is no longer available`;
  return undefined;
}

export function reportFailures(s: Session, result: EngineResult): number {
  const st = styleFor(process.stderr);
  const provision = result.failures.filter((f) => f.error instanceof DriverError && f.error.kind === "provision");
  const health = result.failures.filter((f) => f.error instanceof DriverError && f.error.kind === "health");
  const other = result.failures.filter((f) => !provision.includes(f) && !health.includes(f));
  if (provision.length) {
    const lines = ["", st.red("✗ Provisioning failed:"), ""];
    for (const f of provision) for (const l of (f.error as DriverError).lines) lines.push(`  ${l}`, "");
    lines.push("Sandbox not started. After fixing, run:", `  cd ${s.paths.worktree} && sbx apply`);
    err(lines.join("\n"));
  }
  for (const f of other) err(`\n${st.red("Error:")} ${f.address}: ${f.error.message}`);
  for (const f of health) err(`\n${st.red("Error:")} ${f.error.message}\n${(f.error as DriverError).lines.join("\n")}\n\nThe sandbox is running but not healthy. Check \`sbx logs\`, fix, and run \`sbx apply\` again.`);
  if (result.skipped.length) err(`\nNot attempted because something they depend on failed: ${result.skipped.join(", ")}`);
  if (other.length || provision.length) {
    if (!provision.length) err(`\nFix the problem and run \`sbx apply\` again; it continues from where this run stopped.`);
    return 1;
  }
  return health.length ? 3 : 0;
}

export async function applyCommand(g: GlobalOptions, planFile: string | undefined, flags: ApplyFlags): Promise<void> {
  const s = open(g, "sbx apply", flags);
  const release = await lockInstance(s, "sbx apply", flags);
  try {
    let saved: Plan | undefined;
    if (planFile) {
      try {
        saved = readPlanFile(planFile);
      } catch (e) {
        if (e instanceof PlanFileError) {
          err(`error: ${e.message}`);
          throw new Exit(1);
        }
        throw e;
      }
    }
    let { plan, state } = await planSession(s, "apply", saved?.slot.number);
    if (saved) {
      const why = staleReason(saved, plan);
      if (why) {
        err(`error: Saved plan is stale\n\n  The plan in ${planFile} can no longer be applied because ${why}.\n  Run \`sbx plan -out ${planFile}\` again.`);
        throw new Exit(4);
      }
      plan = { ...plan, resource_changes: saved.resource_changes, summary: saved.summary };
    } else printPlan(plan, { json: flags.json });
    if (plan.errors.length) {
      if (saved) for (const e of plan.errors) err(`Error: ${e}`);
      throw new Exit(1);
    }
    if (!hasChanges(plan)) {
      if (saved) out("No changes. Your sandbox matches the configuration.");
      if (plan.slot.status === "held") await setClaimStatus(home(), s.id, "running", "sbx apply");
      printUrls(s, plan);
      return;
    }
    if (!saved && !(await confirm("\nDo you want to perform these actions?", !!flags.autoApprove))) {
      err("Apply cancelled.");
      throw new Exit(1);
    }
    ensureStateDir(s);
    if (plan.slot.status === "to-claim") {
      let claimed;
      try {
        const ttl = s.config.infra.sandbox?.ttl;
        claimed = await claimSlot({
          home: home(),
          instance: s.id,
          project: s.project,
          worktree: s.paths.worktree,
          specs: portSpecs(s.config.infra),
          range: slotRange(s.config.infra),
          ttlMs: ttl ? parseDuration(ttl, 0) : undefined,
          command: "sbx apply",
        });
      } catch (e) {
        if (e instanceof NoSlotError) {
          err(`error: ${e.message}. Destroy sandboxes you no longer need (sbx list; sbx destroy) or run sbx gc.`);
          throw new Exit(1);
        }
        throw e;
      }
      for (const line of claimed.skipped) out(line);
      if (claimed.claim.slot !== plan.slot.number) {
        if (saved) {
          err(`error: Saved plan is stale: slot ${plan.slot.number} was claimed by another sandbox meanwhile. Run sbx plan again.`);
          throw new Exit(4);
        }
        out(`Slot ${plan.slot.number} was taken meanwhile; using slot ${claimed.claim.slot}.`);
        ({ plan, state } = await planSession(s, "apply", claimed.claim.slot));
      }
      out(`Claimed slot ${claimed.claim.slot}.`);
    }
    appendEvent(home(), { event: "apply-started", instance: s.id, slot: plan.slot.number });
    s.store.append({ op: "meta", instance: { id: s.id, project: s.project, worktree: s.paths.worktree, backend: plan.instance.backend, slot: plan.slot.number } });
    state.instance = { id: s.id, project: s.project, worktree: s.paths.worktree, backend: plan.instance.backend, slot: plan.slot.number };
    (state.instance as Record<string, unknown>).profiles = plan.profiles.map((p) => ({ id: p.id, version: p.version, hash: p.hash }));
    out("");
    const result = await runEngine({ changes: plan.resource_changes, store: s.store, state, ctx: s.ctx, parallelism: Number(flags.parallelism ?? 10) || 10 });
    s.store.commit(state);
    const code = reportFailures(s, result);
    appendEvent(home(), { event: code === 0 ? "apply-complete" : "apply-failed", instance: s.id, failures: result.failures.map((f) => f.address) });
    if (code !== 0) throw new Exit(code);
    await setClaimStatus(home(), s.id, "running", "sbx apply");
    const n = (a: string) => result.done.filter((d) => d.action === a).length;
    out(`\n${styleFor(process.stdout).bold(`Apply complete! Resources: ${n("create")} added, ${n("update")} changed, ${n("replace")} replaced, ${n("delete")} destroyed.`)}`);
    printUrls(s, plan);
  } finally {
    release();
  }
}

function printUrls(s: Session, plan: Plan): void {
  const services = s.config.infra.services ?? {};
  const lines: string[] = [];
  for (const [name, svc] of Object.entries(services)) {
    if (!svc?.port || plan.ports[svc.port] === undefined) continue;
    const proto = svc.ready?.type === "tcp" ? "tcp" : "http";
    lines.push(`  ${name.padEnd(12)} ${proto}://localhost:${plan.ports[svc.port]}`);
  }
  if (!lines.length && Object.keys(plan.ports).length) for (const [k, v] of Object.entries(plan.ports)) lines.push(`  ${k.padEnd(20)} ${v}`);
  if (lines.length) out(`\nSandbox ${s.id} on slot ${plan.slot.number}:\n${lines.join("\n")}`);
}
