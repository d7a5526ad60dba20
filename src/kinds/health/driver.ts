// Polls every check under one shared deadline, printing ✓/○/✗ with what each looked at
// and its last answer. A gate owns nothing, so read is always ok and delete does nothing.

import { describeProbe } from "../../apply/target/probe.js";
import type { Probe } from "../../apply/target/types.js";
import { DriverError, type Driver, type DriverContext, type Stoppable } from "../driver.js";
import type { Resource } from "../spec.js";
import type { HealthAttrs, HealthCheck } from "./kind.js";

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function probeOf(c: HealthCheck, ctx: DriverContext): Probe {
  if (c.type === "exec") return { type: "exec", command: c.command, cwd: ctx.onTarget.worktree };
  return c;
}

async function gate(ctx: DriverContext, r: Resource<HealthAttrs>): Promise<{ output: Record<string, unknown> }> {
  const { checks } = r.attrs;
  if (ctx.noWait) {
    ctx.log("Health gate: skipped (--no-wait)");
    return { output: { skipped_at: new Date().toISOString() } };
  }
  const timeout = ctx.healthTimeout ?? r.attrs.timeout;
  const timeoutMs = timeout * 1000;
  const deadline = Date.now() + timeoutMs;
  const state = new Map<string, { ok: boolean; last: string }>();
  for (const c of checks) state.set(c.name, { ok: false, last: "not run yet" });
  ctx.log(`Health gate: waiting up to ${timeout}s for ${checks.map((c) => `${c.name} (${describeProbe(probeOf(c, ctx))})`).join(", ")}`);
  let lastNote = Date.now();
  // Checks run in order; one whose `after` dependency has not passed waits (kinfra's cascade).
  for (;;) {
    for (const c of checks) {
      const s = state.get(c.name)!;
      if (s.ok || c.after?.some((n) => !state.get(n)?.ok)) continue;
      const res = await ctx.target.probe(probeOf(c, ctx), Math.min(5000, Math.max(500, deadline - Date.now())));
      if (res.ok) {
        s.ok = true;
        ctx.log(`  ✓ ${c.name} ready`);
      } else s.last = res.error;
    }
    if (checks.every((c) => state.get(c.name)!.ok) || Date.now() >= deadline) break;
    if (Date.now() - lastNote >= 10_000) {
      const waiting = checks.filter((c) => !state.get(c.name)!.ok);
      ctx.log(`Health gate: still waiting (${Math.round((Date.now() - (deadline - timeoutMs)) / 1000)}s elapsed): ${waiting.map((c) => `${c.name}: ${ctx.redactor.redact(state.get(c.name)!.last)}`).join("; ")}`);
      lastNote = Date.now();
    }
    await sleep(Math.min(r.attrs.interval * 1000, Math.max(0, deadline - Date.now())));
  }
  const lines: string[] = [];
  for (const c of checks) {
    const s = state.get(c.name)!;
    if (s.ok) continue;
    const blocked = c.after?.filter((n) => !state.get(n)?.ok) ?? [];
    if (blocked.length) lines.push(`  ○ ${c.name} skipped: waits for ${blocked.join(", ")}`);
    else lines.push(`  ✗ ${c.name} failed: ${describeProbe(probeOf(c, ctx))}\n    → ${ctx.redactor.redact(s.last)}`);
  }
  const passed = !lines.some((l) => l.startsWith("  ✗"));
  for (const l of lines) ctx.log(l);
  ctx.log(`Health gate: ${passed ? "PASSED" : "FAILED"}`);
  if (!passed) throw new DriverError(`Health gate failed after ${timeout}s`, lines, "health");
  return { output: { passed_at: new Date().toISOString() } };
}

export const healthDriver: Driver<HealthAttrs> & Stoppable<HealthAttrs> = {
  type: "health",
  async read() {
    return { status: "ok" };
  },
  create: gate,
  update: gate,
  async delete() {
    return {};
  },
  // `sbx start` waits for the gate again, after what it checks has started.
  async stop(_ctx, prior) {
    return { output: prior.output };
  },
  start: (ctx, prior) => gate(ctx, { address: prior.address, type: prior.type, attrs: prior.attrs, dependsOn: prior.dependsOn }),
};
