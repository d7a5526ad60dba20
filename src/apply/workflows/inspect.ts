// Read-mostly workflows over host state: status, list, env, logs, extend-ttl.

import { error, warning, type Diagnostic } from "../../compile/diagnostics.js";
import { parseDuration, timeLeft } from "../../compile/duration.js";
import { hasLogs, hasStatus, type ResourceStatus } from "../../kinds/driver.js";
import { KINDS } from "../../kinds/index.js";
import { claimOf, desiredGraph, type Instance, type Project } from "../project.js";
import { buildReachability, readReachability, updateExpiry, type Reachability } from "../reachability.js";
import { setExpiry, type SlotClaim } from "../registry.js";
import { lockInstance } from "./common.js";
import { knownInstances } from "./destroy.js";
import { loadState } from "./plan.js";

export interface StatusReport {
  instance: string;
  project: string;
  worktree: string;
  /** Where it runs when not on this machine (ssh://user@host:port), and how a route chose it. */
  placement?: string;
  route?: string;
  slot: (SlotClaim & { time_left: string | null }) | null;
  resources: (ResourceStatus & { address: string; type: string })[];
  /** How to reach it (also in .sbx/sandbox.json): URLs, ports, env names, placement, TTL. */
  reachability: (Reachability & { time_left: string | null }) | null;
}

export async function statusOf(inst: Instance): Promise<{ report?: StatusReport; diags: Diagnostic[] }> {
  const { state, diags } = loadState(inst);
  if (!state) return { diags };
  const claim = claimOf(inst.opts.home, inst.id);
  // All at once, in address order: drivers that look the same thing up share one look (one kubectl listing).
  const resources: StatusReport["resources"] = await Promise.all(
    Object.values(state.resources)
      .sort((a, b) => (a.address < b.address ? -1 : 1))
      .map(async (r) => {
        const d = KINDS.driver(r.type);
        let s: ResourceStatus;
        if (hasStatus(d)) s = await d.status(inst.ctx, r);
        else {
          const o = await d.read(inst.ctx, r);
          s = o.status === "ok" ? { state: "ok" } : { state: o.status, detail: o.reason };
        }
        return { address: r.address, type: r.type, ...s };
      }),
  );
  let reach = readReachability(inst, claim);
  if (!reach && claim) {
    // Applied by an sbx from before the reachability file: rebuild what state knows.
    const urls = resources.flatMap((r) => (r.urls ?? []).map((url) => ({ name: r.address, url })));
    const doc = buildReachability({ inst, state, claim, urls, placement: "local" });
    reach = { ...doc, time_left: doc.expires_at ? timeLeft(doc.expires_at) : null };
  }
  return {
    report: {
      instance: inst.id,
      project: inst.project,
      worktree: inst.paths.worktree,
      ...(state.instance.placement ? { placement: state.instance.placement } : {}),
      ...(state.instance.route ? { route: state.instance.route } : {}),
      slot: claim ? { ...claim, time_left: claim.expires_at ? timeLeft(claim.expires_at) : null } : null,
      resources,
      reachability: reach ?? null,
    },
    diags: [],
  };
}

export function listInstances(home: string) {
  return knownInstances(home)
    .map((i) => {
      const claim = claimOf(home, i.id);
      return { ...i, status: claim?.status ?? "no slot", ports: claim?.ports ?? {}, placement: claim?.placement ?? "local", time_left: i.expires_at ? timeLeft(i.expires_at) : null };
    })
    .sort((a, b) => (a.slot ?? 1e9) - (b.slot ?? 1e9) || (a.id < b.id ? -1 : 1));
}

/** The non-secret environment of the running sandbox. */
export function envOf(p: Project): { env?: Record<string, string>; diags: Diagnostic[] } {
  const claim = claimOf(p.opts.home, p.id);
  if (!claim) return { diags: [error(`No sandbox for ${p.paths.worktree}`, { code: "usage", detail: "Run `sbx apply` first." })] };
  return { env: desiredGraph(p, claim.slot).env, diags: [] };
}

/** POSIX shell: `export KEY='value'`, with `'` written as `'\''`, so eval runs nothing. */
export function shellExports(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`)
    .join("\n");
}

export async function* logsOf(inst: Instance, opts: { service?: string; tail: number; follow: boolean }): AsyncGenerator<string, Diagnostic[] | undefined> {
  const { state, diags } = loadState(inst);
  if (!state) return diags;
  const sources = Object.values(state.resources).flatMap((r) => {
    const d = KINDS.driver(r.type);
    return hasLogs(d) ? [{ r, d, names: d.logNames(r) }] : [];
  });
  const names = sources.flatMap((s) => s.names);
  const chosen = opts.service ? sources.filter((s) => s.names.includes(opts.service!)) : sources;
  if (!chosen.length)
    return [
      error(opts.service ? `No logs for service \`${opts.service}'` : "No logs yet", {
        code: "usage",
        detail: opts.service ? `Services with logs: ${names.join(", ") || "none"}.` : "Run `sbx apply` first.",
      }),
    ];
  const many = chosen.length > 1;
  if (opts.follow && many) {
    // Interleave: each source pushes lines as they come.
    const queue: string[] = [];
    let wake: (() => void) | undefined;
    for (const s of chosen)
      void (async () => {
        for await (const l of s.d.logs(inst.ctx, s.r, { ...opts, service: opts.service })) {
          queue.push(`${s.names.join(",")} | ${l}`);
          wake?.();
        }
      })();
    for (;;) {
      while (queue.length) yield queue.shift()!;
      await new Promise<void>((r) => (wake = r));
    }
  }
  for (const s of chosen) for await (const l of s.d.logs(inst.ctx, s.r, { ...opts, service: opts.service })) yield many && s.names.length === 1 ? `${s.names[0]} | ${l}` : l;
  return undefined;
}

/**
 * Set the expiry to now + duration (as E2B's setTimeout does: from now, not added to what
 * is left). Under the instance lock, so a concurrent `sbx expire --apply` either sees the
 * new expiry or has already destroyed the sandbox, never half of each.
 */
export async function extendTtl(inst: Instance, duration: string, opts: { lockTimeoutMs?: number } = {}): Promise<{ expiresAt?: string; diags: Diagnostic[] }> {
  const ms = parseDuration(duration);
  if (ms === undefined) return { diags: [error(`Invalid duration \`${duration}'`, { code: "usage", detail: "Use a number and a unit: 30m, 8h, 2d." })] };
  const lock = await lockInstance(inst, opts.lockTimeoutMs ?? 0);
  if ("diags" in lock) return lock;
  try {
    const claim = claimOf(inst.opts.home, inst.id);
    if (!claim) return { diags: [error(`No sandbox for ${inst.paths.worktree}`, { code: "usage", detail: "Run `sbx apply` first." })] };
    const at = await setExpiry(inst.opts.home, inst.id, new Date(Date.now() + ms).toISOString(), inst.opts, claim.host);
    const { problem } = await updateExpiry(inst, at);
    return { expiresAt: at ?? undefined, diags: problem ? [warning("Reachability file not written", { detail: problem })] : [] };
  } finally {
    lock.release();
  }
}
