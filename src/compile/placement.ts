// Where a sandbox runs: one spelling per kind of place (local, ssh://, swarm://, k8s://).

import { error, type Diagnostic, type Result, type SourceRange } from "./diagnostics.js";
import type { Merged } from "./merge.js";
import { pathKey } from "./path.js";

export interface SshAddress {
  user?: string;
  host: string;
  port?: number;
}

export type Placement =
  | { kind: "local" }
  | ({ kind: "ssh" } & SshAddress)
  /** `swarm://` is the local engine's swarm; `swarm://[user@]host[:port]` a manager reached over ssh. */
  | { kind: "swarm"; manager?: SshAddress }
  /** `k8s://<context>[/<namespace>]`; no namespace means one of the sandbox's own. */
  | { kind: "k8s"; context: string; namespace?: string };

export type PlacementKind = Placement["kind"];

/** The forms, as printed in errors and docs. */
export const PLACEMENT_FORMS = ["local", "ssh://[user@]host[:port]", "swarm://[[user@]host[:port]]", "k8s://<context>[/<namespace>]"] as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HOST = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[-A-Za-z0-9]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;
const USER = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/;

/** Parse a placement string; `at` locates the errors (the option's definition). */
export function parsePlacement(text: string, at?: SourceRange): Result<Placement | undefined> {
  const fail = (summary: string, detail: string): Result<Placement | undefined> => ({
    value: undefined,
    diags: [error(summary, { detail, address: "placement", ...(at ? { range: at } : {}) })],
  });
  const t = text.trim();
  if (t === "local") return { value: { kind: "local" }, diags: [] };
  const old = /^(?:kube|kubernetes|k8s):(?!\/\/)(.*)$|^(?:kube|kubernetes):\/\/(.*)$/.exec(t);
  if (old) {
    const rest = (old[1] ?? old[2] ?? "").replace(/^\/+/, "");
    const suggestion = `k8s://${rest || "<context>"}`;
    return fail(
      "Old Kubernetes placement spelling",
      `\`${t}' is not a placement. Kubernetes placements are written one way: ${suggestion} (or k8s://<context>/<namespace>). Replace the value with \`${suggestion}'.`,
    );
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/.exec(t);
  if (!scheme) {
    const hint = t.includes("@") ? `ssh://${t}` : `k8s://${t}`;
    return fail("Unknown placement", `\`${t}' is not one of ${PLACEMENT_FORMS.join(", ")}. Did you mean \`${hint}'?`);
  }
  const [, kind, body] = scheme as unknown as [string, string, string];
  switch (kind) {
    case "ssh": {
      const a = parseSshAddress(body);
      if (typeof a === "string") return fail("Invalid ssh placement", `\`${t}': ${a}. Expected ssh://[user@]host[:port], such as ssh://dev@build-box:2222.`);
      return { value: { kind: "ssh", ...a }, diags: [] };
    }
    case "swarm": {
      if (body === "") return { value: { kind: "swarm" }, diags: [] };
      const a = parseSshAddress(body);
      if (typeof a === "string") return fail("Invalid swarm placement", `\`${t}': ${a}. Expected swarm:// (this machine's engine) or swarm://[user@]host[:port] (a manager over ssh).`);
      return { value: { kind: "swarm", manager: a }, diags: [] };
    }
    case "k8s":
      return parseK8s(t, body, fail);
    default:
      return fail("Unknown placement", `\`${t}' uses the scheme \`${kind}://', which sbx does not know. Use one of ${PLACEMENT_FORMS.join(", ")}.`);
  }
}

function parseK8s(t: string, body: string, fail: (s: string, d: string) => Result<Placement | undefined>): Result<Placement | undefined> {
  const slash = body.indexOf("/");
  const rawCtx = slash < 0 ? body : body.slice(0, slash);
  const rawNs = slash < 0 ? undefined : body.slice(slash + 1);
  let context: string;
  try {
    context = decodeURIComponent(rawCtx);
  } catch {
    return fail("Invalid Kubernetes placement", `\`${t}': the context name has a broken %-escape. Write a '/' in a context name as %2F.`);
  }
  if (context === "" || /\s/.test(context))
    return fail("Invalid Kubernetes placement", `\`${t}' names no context. Write k8s://<context>[/<namespace>], such as k8s://kind-kind/dev (see \`kubectl config get-contexts').`);
  if (rawNs === undefined || rawNs === "") return { value: { kind: "k8s", context }, diags: [] };
  if (!DNS_LABEL.test(rawNs) || rawNs.length > 63) {
    const extra = rawNs.includes("/") ? " If the context name itself contains '/', write it as %2F (k8s://arn:aws:eks:…:cluster%2Fname/<namespace>)." : "";
    return fail(
      "Invalid Kubernetes namespace",
      `\`${rawNs}' in \`${t}' is not a valid namespace: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit.${extra}`,
    );
  }
  return { value: { kind: "k8s", context, namespace: rawNs }, diags: [] };
}

/** `[user@]host[:port]`; a string result explains what is wrong. */
export function parseSshAddress(body: string): SshAddress | string {
  if (body === "") return "no host";
  if (/[/?#\s]/.test(body)) return "a path, query or space is not allowed after the host";
  const at = body.lastIndexOf("@");
  const user = at >= 0 ? body.slice(0, at) : undefined;
  const hostPort = at >= 0 ? body.slice(at + 1) : body;
  if (user !== undefined && !USER.test(user)) return `\`${user}' is not a user name`;
  const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(hostPort);
  if (!m || !HOST.test(m[1]!)) return `\`${hostPort}' is not a host name`;
  const out: SshAddress = { host: m[1]! };
  if (user !== undefined) out.user = user;
  if (m[2] !== undefined) {
    const port = Number(m[2]);
    if (port < 1 || port > 65535) return `port ${m[2]} is outside 1-65535`;
    out.port = port;
  }
  return out;
}

/** The placement written back in its one spelling (context '/' escaped as %2F). */
export function formatPlacement(p: Placement): string {
  const ssh = (a: SshAddress) => `${a.user ? `${a.user}@` : ""}${a.host}${a.port ? `:${a.port}` : ""}`;
  switch (p.kind) {
    case "local":
      return "local";
    case "ssh":
      return `ssh://${ssh(p)}`;
    case "swarm":
      return `swarm://${p.manager ? ssh(p.manager) : ""}`;
    case "k8s":
      return `k8s://${p.context.replace(/%/g, "%25").replace(/\//g, "%2F")}${p.namespace ? `/${p.namespace}` : ""}`;
  }
}

/** One line for validate.ts's pattern hint on `placement` (the schema pattern cannot say it). */
export function placementHint(value: unknown): string {
  if (typeof value !== "string") return "";
  const d: Diagnostic | undefined = parsePlacement(value).diags[0];
  return d?.detail ? ` ${d.detail}` : ` Use one of ${PLACEMENT_FORMS.join(", ")}.`;
}

/** The placement the configuration asks for (`sandbox.placement`, which a profile's `placement` sets), located for errors. */
export function configuredPlacement(merged: Merged): Result<{ placement: Placement; at?: SourceRange }> {
  const text = (merged.value.sandbox as { placement?: unknown } | undefined)?.placement;
  if (typeof text !== "string") return { value: { placement: { kind: "local" } }, diags: [] };
  const opt = merged.options.get(pathKey(["sandbox", "placement"]));
  const d = opt?.defs.find((x) => x.priority === opt.highestPriority);
  const at: SourceRange | undefined = d ? { file: d.file, start: { line: d.line ?? 1, col: d.col ?? 1 } } : undefined;
  const r = parsePlacement(text, at);
  return { value: { placement: r.value ?? { kind: "local" }, ...(at ? { at } : {}) }, diags: r.diags };
}

/** A name for a host usable as a directory name: `user@host_port`. */
export function hostKey(a: SshAddress): string {
  return `${a.user ? `${a.user}@` : ""}${a.host}_${a.port ?? 22}`.replace(/[^A-Za-z0-9@._-]/g, "_");
}

export const DEFAULT_REMOTE_ROOT = "/var/tmp/sbx";

/** Where an instance lives on a remote host: `<root>/<instance>` holding worktree/ and state/. */
export function remoteDirs(root: string, instanceId: string): { dir: string; worktree: string; state: string } {
  const dir = `${root.replace(/\/+$/, "")}/${instanceId}`;
  return { dir, worktree: `${dir}/worktree`, state: `${dir}/state` };
}
