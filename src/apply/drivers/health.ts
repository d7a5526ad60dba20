// health.gate: every check polled every `interval` seconds under one shared deadline.

import { runProbe, sleep, type Probe } from "../probe.js";
import { DriverError, type Driver, type DriverContext, type ResourceInput } from "./types.js";

type Check = Probe & { name: string; after?: string[] };

async function gate(ctx: DriverContext, r: ResourceInput): Promise<Record<string, unknown>> {
  const checks = (r.attrs.checks ?? []) as Check[];
  const timeout = Number(r.attrs.timeout ?? 60) * 1000;
  const interval = Number(r.attrs.interval ?? 2) * 1000;
  const deadline = Date.now() + timeout;
  const state = new Map<string, { ok: boolean; skipped: boolean; last: string }>();
  for (const c of checks) state.set(c.name, { ok: false, skipped: false, last: "not run" });
  // Checks run in order; one whose `after` dependency failed is skipped (kinfra's cascade).
  for (;;) {
    for (const c of checks) {
      const s = state.get(c.name)!;
      if (s.ok) continue;
      if (c.after?.some((n) => !state.get(n)?.ok)) continue;
      const res = await runProbe(c, Math.min(5000, Math.max(500, deadline - Date.now())));
      if (res.ok) s.ok = true;
      else s.last = res.error;
    }
    if (checks.every((c) => state.get(c.name)!.ok) || Date.now() >= deadline) break;
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
  }
  for (const c of checks) {
    const s = state.get(c.name)!;
    if (!s.ok && c.after?.some((n) => !state.get(n)?.ok)) s.skipped = true;
  }
  const lines = checks.map((c) => {
    const s = state.get(c.name)!;
    return s.ok ? `  ✓ ${c.name} ready` : s.skipped ? `  ○ ${c.name} skipped` : `  ✗ ${c.name} failed\n    → ${ctx.redactor.redact(s.last)}`;
  });
  const passed = checks.every((c) => state.get(c.name)!.ok || state.get(c.name)!.skipped);
  for (const l of lines) ctx.log(l);
  ctx.log(`Health gate: ${passed ? "PASSED" : "FAILED"}`);
  if (!passed) throw new DriverError(`Health gate failed after ${Math.round(timeout / 1000)}s`, lines, "health");
  return { passed_at: new Date().toISOString() };
}

export const healthDriver = {
  type: "health",
  async read() {
    return { status: "ok" };
  },
  create: gate,
  update: gate,
  async delete() {
    /* a gate owns nothing */
  },
} satisfies Driver;
