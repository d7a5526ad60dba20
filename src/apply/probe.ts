// Readiness probes shared by process readiness and the health gate: tcp, http, exec.

import * as http from "node:http";
import * as net from "node:net";
import { execa } from "execa";

export interface Probe {
  type: "tcp" | "http" | "exec" | "none";
  host?: string;
  port?: number;
  path?: string;
  status?: number[];
  json_min_length?: number;
  command?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

export type ProbeResult = { ok: true } | { ok: false; error: string };

function tcp(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (r: ProbeResult) => {
      sock.destroy();
      resolve(r);
    };
    sock.setTimeout(timeoutMs, () => done({ ok: false, error: `connect to ${host}:${port} timed out` }));
    sock.once("connect", () => done({ ok: true }));
    sock.once("error", (e) => done({ ok: false, error: `connect to ${host}:${port}: ${(e as NodeJS.ErrnoException).code ?? e.message}` }));
  });
}

function httpGet(p: Probe, timeoutMs: number): Promise<ProbeResult> {
  const host = p.host ?? "127.0.0.1";
  const url = `http://${host}:${p.port}${p.path ?? "/"}`;
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const expect = p.status ?? [200];
        if (!expect.includes(res.statusCode ?? 0)) return resolve({ ok: false, error: `GET ${url} returned ${res.statusCode}, expected ${expect.join(" or ")}` });
        if (p.json_min_length !== undefined) {
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            return resolve({ ok: false, error: `GET ${url} did not return JSON` });
          }
          const list = Array.isArray(body) ? body : body && typeof body === "object" ? Object.values(body).find(Array.isArray) : undefined;
          if (!Array.isArray(list)) return resolve({ ok: false, error: `GET ${url} returned no JSON list` });
          if (list.length < p.json_min_length) return resolve({ ok: false, error: `GET ${url} listed ${list.length}, expected at least ${p.json_min_length}` });
        }
        resolve({ ok: true });
      });
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (e) => resolve({ ok: false, error: `GET ${url}: ${(e as NodeJS.ErrnoException).code ?? e.message}` }));
  });
}

export async function runProbe(p: Probe, timeoutMs = 5000): Promise<ProbeResult> {
  switch (p.type) {
    case "none":
      return { ok: true };
    case "tcp":
      return tcp(p.host ?? "127.0.0.1", p.port ?? 0, timeoutMs);
    case "http":
      return httpGet(p, timeoutMs);
    case "exec": {
      const r = await execa("/bin/sh", ["-c", p.command ?? "true"], { reject: false, timeout: timeoutMs, cwd: p.cwd, env: p.env, stdin: "ignore" });
      if (r.exitCode === 0) return { ok: true };
      return { ok: false, error: `\`${p.command}' exited ${r.exitCode ?? (r.timedOut ? "(timed out)" : "?")}${r.stderr ? `: ${String(r.stderr).split("\n").slice(-1)[0]}` : ""}` };
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
