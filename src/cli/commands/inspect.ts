// Read-only commands over host state: status, list, env, logs, gc, extend-ttl.

import * as fs from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { readSecretsFile } from "../../apply/secrets/file.js";
import { globalRedactor } from "../../apply/secrets/redact.js";
import { composeCommand } from "../../apply/drivers/compose.js";
import { driverFor } from "../../apply/drivers/index.js";
import { extendClaim, findClaim, readRegistry, releaseStale } from "../../apply/registry.js";
import { desiredGraph } from "../../apply/session.js";
import { home, open, parseDuration, type GlobalOptions } from "../common.js";
import { err, Exit, out } from "../output.js";

export async function statusCommand(g: GlobalOptions, flags: { json?: boolean }): Promise<void> {
  const s = open(g, "sbx status");
  const claim = findClaim(readRegistry(home()).registry, s.id);
  const { state } = s.store.load();
  const rows: { address: string; status: string; detail: string }[] = [];
  for (const r of Object.values(state.resources).sort((a, b) => (a.address < b.address ? -1 : 1))) {
    const o = await driverFor(r.type).read(s.ctx, r);
    let detail = "";
    if (r.type === "process") {
      detail = o.status === "ok" ? `pid ${String(r.output.pid)}` : "";
      if (typeof r.attrs.port === "number") detail += `${detail ? "  " : ""}http://localhost:${r.attrs.port}`;
    }
    const status = r.type === "process" ? (o.status === "ok" ? "running" : "stopped") : o.status === "ok" ? "ok" : o.status === "missing" ? `missing (${o.reason})` : `drifted (${o.reason})`;
    rows.push({ address: r.address, status, detail });
  }
  if (flags.json) {
    out(JSON.stringify({ instance: s.id, project: s.project, worktree: s.paths.worktree, slot: claim ?? null, resources: rows }, null, 2));
    return;
  }
  out(`Sandbox ${s.id} (project ${s.project})`);
  out(`  Worktree: ${s.paths.worktree}`);
  if (!claim) {
    out("  Slot: none (run `sbx apply`)");
    return;
  }
  out(`  Slot: ${claim.slot} (${claim.status}, claimed ${claim.claimed_at}${claim.expires_at ? `, expires ${claim.expires_at}` : ""})`);
  out(`  Ports: ${Object.entries(claim.ports).map(([k, v]) => `${k}=${v}`).join(" ") || "none"}`);
  const w = Math.max(0, ...rows.map((r) => r.address.length));
  for (const r of rows) out(`  ${r.address.padEnd(w)}  ${r.status}${r.detail ? `  ${r.detail}` : ""}`);
}

export function listCommand(flags: { json?: boolean }): void {
  const { registry, warning } = readRegistry(home());
  if (warning) err(`warning: ${warning}`);
  const claims = Object.values(registry.slots).sort((a, b) => a.slot - b.slot);
  if (flags.json) {
    out(JSON.stringify(claims, null, 2));
    return;
  }
  if (!claims.length) {
    out("No sandboxes.");
    return;
  }
  out(`${"SLOT".padEnd(5)} ${"INSTANCE".padEnd(28)} ${"STATUS".padEnd(12)} WORKTREE`);
  for (const c of claims) out(`${String(c.slot).padEnd(5)} ${c.instance.padEnd(28)} ${c.status.padEnd(12)} ${c.worktree}`);
}

export function envCommand(g: GlobalOptions): void {
  const s = open(g, "sbx env");
  const claim = findClaim(readRegistry(home()).registry, s.id);
  if (!claim) {
    err(`error: No sandbox for ${s.paths.worktree}. Run \`sbx apply\` first.`);
    throw new Exit(1);
  }
  const { resources } = desiredGraph(s, claim.slot);
  const env = resources.find((r) => r.address === "file.env_sandbox");
  out(String(env?.attrs.content ?? ""));
}

export async function logsCommand(g: GlobalOptions, service: string | undefined, flags: { follow?: boolean; tail?: string }): Promise<void> {
  const s = open(g, "sbx logs");
  const stack = s.store.exists() ? s.store.load().state.resources["compose.stack"] : undefined;
  if (stack) {
    // Compose services log to Docker; stream them through the redactor.
    const a = stack.attrs as { project: string; copy: string; override: string; env_files: string[] };
    const secrets = a.env_files[1] ? readSecretsFile(a.env_files[1]) : undefined;
    if (secrets) globalRedactor.add(...secrets.values());
    const cmd = await composeCommand(process.env);
    const env = { ...process.env };
    delete env.COMPOSE_PROJECT_NAME;
    const args = [...cmd.slice(1), "-p", a.project, "-f", a.copy, "-f", a.override, "--env-file", a.env_files[0]!, "logs", "--no-color", "--tail", String(flags.tail ?? 100), ...(flags.follow ? ["--follow"] : []), ...(service ? [service] : [])];
    const child = execa(cmd[0]!, args, { env, extendEnv: false, reject: false, all: true, buffer: false, stdin: "ignore" });
    for await (const line of child.iterable({ from: "all" })) out(String(line));
    const r = await child;
    if (r.exitCode !== 0) throw new Exit(1);
    return;
  }
  const dir = path.join(s.stateDir, "logs");
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".log")) : [];
  const chosen = service ? files.filter((f) => f === `${service}.log`) : files;
  if (!chosen.length) {
    err(service ? `error: No logs for service \`${service}'. Services with logs: ${files.map((f) => f.replace(/\.log$/, "")).join(", ") || "none"}.` : "error: No logs yet. Run `sbx apply` first.");
    throw new Exit(1);
  }
  const n = Number(flags.tail ?? 100);
  const sizes = new Map<string, number>();
  for (const f of chosen.sort()) {
    const text = fs.readFileSync(path.join(dir, f), "utf8");
    sizes.set(f, Buffer.byteLength(text));
    const prefix = chosen.length > 1 ? `${f.replace(/\.log$/, "")} | ` : "";
    for (const l of text.trimEnd().split("\n").slice(-n)) if (l) out(prefix + l);
  }
  if (!flags.follow) return;
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    for (const f of chosen) {
      const p = path.join(dir, f);
      const size = fs.existsSync(p) ? fs.statSync(p).size : 0;
      const prev = sizes.get(f) ?? 0;
      if (size > prev) {
        const fd = fs.openSync(p, "r");
        const buf = Buffer.alloc(size - prev);
        fs.readSync(fd, buf, 0, buf.length, prev);
        fs.closeSync(fd);
        const prefix = chosen.length > 1 ? `${f.replace(/\.log$/, "")} | ` : "";
        for (const l of buf.toString("utf8").split("\n")) if (l) out(prefix + l);
      }
      sizes.set(f, size);
    }
  }
}

export async function gcCommand(): Promise<void> {
  const gone = await releaseStale(home(), "sbx gc", (p) => fs.existsSync(p));
  for (const c of gone) out(`Released slot ${c.slot} (${c.instance}): worktree ${c.worktree} no longer exists`);
  if (!gone.length) out("Nothing to collect.");
}

export async function extendTtlCommand(g: GlobalOptions, duration: string): Promise<void> {
  const s = open(g, "sbx extend-ttl");
  const c = await extendClaim(home(), s.id, parseDuration(duration, 0), "sbx extend-ttl");
  if (!c) {
    err(`error: No sandbox for ${s.paths.worktree}. Run \`sbx apply\` first.`);
    throw new Exit(1);
  }
  out(`Sandbox ${s.id} now expires at ${c.expires_at}.`);
}
