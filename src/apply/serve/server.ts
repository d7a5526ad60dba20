// `sbx serve`: a small HTTP API over the same workflows and locks as the command line,
// called in-process. Bearer token on every /v1 request; JSON in and out; secrets masked.

import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { exitCodeFor, type Diagnostic } from "../../compile/diagnostics.js";
import { timeLeft } from "../../compile/duration.js";
import { NoSuchDirectory } from "../context.js";
import { knownFailure } from "../failures.js";
import { instanceFor, openProject, type RunOptions } from "../project.js";
import { globalRedactor } from "../secrets/redact.js";
import { applyProject } from "../workflows/apply.js";
import { destroyInstance, knownInstances } from "../workflows/destroy.js";
import { expireInstances } from "../workflows/expire.js";
import { extendTtl, listInstances, statusOf } from "../workflows/inspect.js";
import { profileNameFor } from "../workflows/profiles.js";
import { openApiDocument } from "./openapi.js";
import { bearerMatches } from "./token.js";

export interface ServeOptions {
  home: string;
  env: NodeJS.ProcessEnv;
  token: string;
  /** One line per request and per reaped sandbox. */
  log(line: string): void;
  /** Lock waits of API calls (a create waits for a running apply of the same sandbox). */
  lockTimeoutMs?: number;
}

const MAX_BODY = 64 * 1024;

class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail?: string,
    readonly diagnostics: Diagnostic[] = [],
  ) {
    super(message);
  }
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = globalRedactor.redact(JSON.stringify(body, null, 2)) + "\n";
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text), "cache-control": "no-store", ...headers });
  res.end(text);
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new HttpProblem(413, "Request body too large", `At most ${MAX_BODY} bytes.`);
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  let v: unknown;
  try {
    v = text.trim() ? JSON.parse(text) : {};
  } catch {
    throw new HttpProblem(400, "The body is not JSON", "Send a JSON object with content-type application/json.");
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new HttpProblem(400, "The body is not a JSON object");
  return v as Record<string, unknown>;
}

/** The HTTP status for diagnostics that stopped a workflow. */
function statusFor(diags: readonly Diagnostic[]): number {
  const codes = new Set(diags.filter((d) => d.severity === "error").map((d) => d.code ?? "config"));
  if (codes.has("lock-held") || codes.has("slot") || codes.has("port")) return 409;
  if ([...codes].every((c) => c === "config" || c === "usage" || c === "secret" || c === "plan-stale")) return 422;
  return 500;
}

function fail(diags: Diagnostic[], title: string): never {
  throw new HttpProblem(statusFor(diags), title, diags.find((d) => d.severity === "error")?.summary, diags);
}

function stringMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined) return {};
  if (!v || typeof v !== "object" || Array.isArray(v) || Object.values(v).some((x) => typeof x !== "string")) throw new HttpProblem(400, `\`${field}' must be an object of strings`);
  return v as Record<string, string>;
}

const CREATE_FIELDS = ["dir", "profile", "inputs", "ttl", "set"];

export function createApiServer(opts: ServeOptions): http.Server {
  const runOptions = (cwd: string, command: string, log: string[], extra: Partial<RunOptions> = {}): RunOptions => ({
    cwd,
    env: opts.env,
    home: opts.home,
    sets: [],
    command: `sbx serve (${command})`,
    log: (l) => log.push(globalRedactor.redact(l)),
    ...extra,
  });
  const interaction = { show: () => undefined, approve: async () => true };
  const lockTimeoutMs = opts.lockTimeoutMs ?? 30_000;

  const findById = (id: string, log: string[], command: string) => {
    const known = knownInstances(opts.home).find((i) => i.id === id);
    if (!known) throw new HttpProblem(404, `No sandbox \`${id}'`, "GET /v1/sandboxes lists them.");
    return instanceFor(runOptions(known.worktree || opts.home, command, log), known);
  };

  const create = async (body: Record<string, unknown>) => {
    const unknown = Object.keys(body).filter((k) => !CREATE_FIELDS.includes(k));
    if (unknown.length) throw new HttpProblem(400, `Unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `\`${k}'`).join(", ")}`, `A create takes ${CREATE_FIELDS.join(", ")}.`);
    const dir = body.dir;
    if (typeof dir !== "string" || !path.isAbsolute(dir)) throw new HttpProblem(400, "`dir' must be an absolute path", "The directory (git worktree) the sandbox belongs to.");
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new HttpProblem(400, `No such directory: ${dir}`);
    if (body.profile !== undefined && typeof body.profile !== "string") throw new HttpProblem(400, "`profile' must be a string");
    if (body.ttl !== undefined && typeof body.ttl !== "string") throw new HttpProblem(400, "`ttl' must be a string such as \"2h\"");
    if (body.set !== undefined && (!Array.isArray(body.set) || body.set.some((s) => typeof s !== "string"))) throw new HttpProblem(400, "`set' must be an array of option.path=value strings");
    const inputs = stringMap(body.inputs, "inputs");
    const log: string[] = [];
    const sets = [...((body.set as string[] | undefined) ?? []), ...(body.ttl ? [`sandbox.ttl=${body.ttl as string}`] : [])];
    const profile = typeof body.profile === "string" ? profileNameFor(dir, opts.env, body.profile) : undefined;
    const ro = runOptions(dir, "create", log, { sets, ...(profile ? { profile } : {}), ...(body.inputs !== undefined ? { inputs } : {}) });
    const loaded = openProject(ro);
    if (!loaded.project) fail(loaded.diags, "The configuration does not load");
    const o = await applyProject(loaded.project, { ...interaction, parallelism: 10, lockTimeoutMs });
    if (exitCodeFor(o.diags) !== 0) fail(o.diags, "Apply failed");
    const status = await statusOf(loaded.project);
    return { status: 201, body: { sandbox: status.report?.reachability ?? null, summary: o.plan?.summary ?? null, log, diagnostics: o.diags } };
  };

  const route = async (req: http.IncomingMessage): Promise<{ status: number; body: unknown }> => {
    const url = new URL(req.url ?? "/", "http://sbx.invalid");
    const method = req.method ?? "GET";
    if (url.pathname === "/openapi.json" && method === "GET") return { status: 200, body: openApiDocument() };
    if (!url.pathname.startsWith("/v1/")) throw new HttpProblem(404, `No route ${method} ${url.pathname}`, "See GET /openapi.json.");
    if (!bearerMatches(req.headers.authorization, opts.token)) throw new HttpProblem(401, "Unauthorized", "Send Authorization: Bearer <token>, the token in $SBX_HOME/api-token.");
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent); // ["v1", "sandboxes", id?, action?]
    if (parts[1] !== "sandboxes" || parts.length > 4) throw new HttpProblem(404, `No route ${method} ${url.pathname}`, "See GET /openapi.json.");
    const [, , id, action] = parts;
    const log: string[] = [];
    if (!id) {
      if (method === "GET") return { status: 200, body: { sandboxes: listInstances(opts.home).map((r) => ({ id: r.id, project: r.project, worktree: r.worktree, slot: r.slot, status: r.status, ports: r.ports, expires_at: r.expires_at, time_left: r.time_left })) } };
      if (method === "POST") return create(await readJson(req));
    } else if (!action) {
      if (method === "GET") {
        const inst = findById(id, log, "get");
        const { report, diags } = await statusOf(inst);
        if (!report) fail(diags, "Unusable state");
        const s = report.slot;
        return {
          status: 200,
          body: { id: report.instance, project: report.project, worktree: report.worktree, slot: s?.slot ?? null, status: s?.status ?? "no slot", ports: s?.ports ?? {}, expires_at: s?.expires_at ?? null, time_left: s?.expires_at ? timeLeft(s.expires_at) : null, reachability: report.reachability, resources: report.resources },
        };
      }
      if (method === "DELETE") {
        const inst = findById(id, log, "destroy");
        const o = await destroyInstance(inst, { ...interaction, parallelism: 10, lockTimeoutMs });
        if (exitCodeFor(o.diags) !== 0) fail(o.diags, "Destroy failed");
        return { status: 200, body: { destroyed: id, released_slot: o.released ?? null, diagnostics: o.diags } };
      }
    } else if (action === "extend-ttl" && method === "POST") {
      const body = await readJson(req);
      if (typeof body.duration !== "string") throw new HttpProblem(400, "`duration' must be a string such as \"2h\"");
      const inst = findById(id, log, "extend-ttl");
      const r = await extendTtl(inst, body.duration, { lockTimeoutMs });
      if (!r.expiresAt) throw new HttpProblem(r.diags.some((d) => d.code === "lock-held") ? 409 : 400, r.diags[0]?.summary ?? "Cannot extend", r.diags[0]?.detail, r.diags);
      return { status: 200, body: { id, expires_at: r.expiresAt } };
    }
    throw new HttpProblem(405, `Method ${method} not allowed on ${url.pathname}`, "See GET /openapi.json.");
  };

  return http.createServer((req, res) => {
    const started = Date.now();
    route(req)
      .then(({ status, body }) => send(res, status, body))
      .catch((e: unknown) => {
        if (e instanceof HttpProblem) return send(res, e.status, { error: e.message, ...(e.detail ? { detail: e.detail } : {}), ...(e.diagnostics.length ? { diagnostics: e.diagnostics } : {}) }, e.status === 401 ? { "www-authenticate": 'Bearer realm="sbx"' } : {});
        if (e instanceof NoSuchDirectory) return send(res, 400, { error: e.message });
        const known = knownFailure(e);
        if (known) return send(res, statusFor([known]), { error: known.summary, detail: known.detail, diagnostics: [known] });
        opts.log(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return send(res, 500, { error: "Internal error", detail: "This is a bug in sbx; the server's output has the details." });
      })
      .finally(() => opts.log(`${req.method} ${req.url?.split("?")[0]} ${res.statusCode} ${Date.now() - started}ms`));
  });
}

/** Destroy expired sandboxes every `intervalMs`, one round at a time. Returns the stop function. */
export function startReaper(opts: ServeOptions, intervalMs: number): () => void {
  if (intervalMs <= 0) return () => undefined;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    const ro: RunOptions = { cwd: opts.home, env: opts.env, home: opts.home, sets: [], command: "sbx serve (expire)", log: () => undefined };
    expireInstances(ro, { show: () => undefined, approve: async () => true, lockTimeoutMs: 0, parallelism: 10 })
      .then((done) => {
        for (const c of done) {
          if (c.outcome.skipped) continue;
          const errors = c.outcome.diags.filter((d) => d.severity === "error");
          opts.log(errors.length ? `could not destroy expired ${c.instance}: ${errors.map((d) => d.summary).join("; ")}` : `destroyed expired ${c.instance} (slot ${c.slot ?? "-"})`);
        }
      })
      .catch((e: unknown) => opts.log(`expire round failed: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => (running = false));
  }, intervalMs);
  return () => clearInterval(timer);
}
