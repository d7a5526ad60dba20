// Readiness probes run from this host: tcp connect, http GET, exec.

import * as http from "node:http";
import * as net from "node:net";
import { execa } from "execa";
import type { Probe, ProbeResult } from "./types.js";

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

function jsonListProblem(url: string, text: string, min: number): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `GET ${url} did not return JSON`;
  }
  const list = Array.isArray(body) ? body : body && typeof body === "object" ? Object.values(body).find(Array.isArray) : undefined;
  if (!Array.isArray(list)) return `GET ${url} returned no JSON list`;
  if (list.length < min) return `GET ${url} listed ${list.length}, expected at least ${min}`;
  return undefined;
}

/** The start of a response body on one line, to show what the service last said. */
function answer(body: Buffer): string {
  const text = body.toString("utf8").replace(/\s+/g, " ").trim();
  if (!text) return " with an empty body";
  return ` with body ${JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}…` : text)}`;
}

function httpGet(p: Extract<Probe, { type: "http" }>, timeoutMs: number): Promise<ProbeResult> {
  const url = `http://${p.host ?? "127.0.0.1"}:${p.port}${p.path ?? "/"}`;
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const expect = p.status ?? [200];
        if (!expect.includes(res.statusCode ?? 0)) return resolve({ ok: false, error: `GET ${url} returned ${res.statusCode}${answer(Buffer.concat(chunks))}, expected ${expect.join(" or ")}` });
        const problem = p.json_min_length === undefined ? undefined : jsonListProblem(url, Buffer.concat(chunks).toString("utf8"), p.json_min_length);
        resolve(problem ? { ok: false, error: problem } : { ok: true });
      });
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (e) => resolve({ ok: false, error: `GET ${url}: ${(e as NodeJS.ErrnoException).code ?? e.message}` }));
  });
}

export async function runProbe(p: Probe, timeoutMs: number): Promise<ProbeResult> {
  switch (p.type) {
    case "none":
      return { ok: true };
    case "tcp":
      return tcp(p.host ?? "127.0.0.1", p.port, timeoutMs);
    case "http":
      return httpGet(p, timeoutMs);
    case "exec": {
      const r = await execa("/bin/sh", ["-c", p.command], { reject: false, timeout: timeoutMs, cwd: p.cwd, env: p.env, extendEnv: !p.env, stdin: "ignore" });
      if (r.exitCode === 0) return { ok: true };
      const last = String(r.stderr ?? "").trim().split("\n").slice(-1)[0];
      return { ok: false, error: `\`${p.command}' exited ${r.exitCode ?? (r.timedOut ? "(timed out)" : "?")}${last ? `: ${last}` : ""}` };
    }
  }
}

/** What a probe looks at, for progress lines ("waiting for http://127.0.0.1:8001/health"). */
export function describeProbe(p: Probe): string {
  switch (p.type) {
    case "none":
      return "nothing";
    case "tcp":
      return `tcp ${p.host ?? "127.0.0.1"}:${p.port}`;
    case "http":
      return `http://${p.host ?? "127.0.0.1"}:${p.port}${p.path ?? "/"}`;
    case "exec":
      return `\`${p.command}'`;
  }
}
