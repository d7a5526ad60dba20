// Resolves secret references. This folder is the only code that holds secret values.

import * as fs from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { parseSecretRef, type SecretRef } from "../../compile/secret-refs.js";

export interface SecretError {
  name: string;
  display: string;
  message: string;
}

export interface ResolveContext {
  /** Main repository (dotenv:// and file:// are relative to it). */
  main: string;
  env: NodeJS.ProcessEnv;
  opTimeoutMs?: number;
}

/** Parse a dotenv file: KEY=VALUE, optional quotes, # comments, `export ` prefix. */
export function parseDotenv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!;
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, "");
    out.set(m[1]!, v);
  }
  return out;
}

/** Why a file could not be read, in words a user can act on (never "not found" for a directory). */
export function readProblem(file: string, e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  switch (code) {
    case "ENOENT":
      return `File not found: ${file}.`;
    case "EISDIR":
      return `${file} is a directory, not a file. Point the reference at a file inside it.`;
    case "EACCES":
    case "EPERM":
      return `Permission denied reading ${file}. Check its mode and owner (ls -l ${file}).`;
    case "ENOTDIR":
      return `A part of ${file} is not a directory. Check the path.`;
    case "ELOOP":
      return `${file} is a symbolic link loop. Fix the link.`;
    default:
      return `Cannot read ${file}: ${code ?? (e as Error).message}.`;
  }
}

function inside(root: string, p: string): boolean {
  const rel = path.relative(root, p);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

async function resolveOne(ref: SecretRef, raw: string, ctx: ResolveContext, env: NodeJS.ProcessEnv): Promise<{ value?: string; error?: string }> {
  switch (ref.scheme) {
    case "literal":
      return { value: raw };
    case "env": {
      const v = env[ref.target!];
      if (v === undefined) return { error: `Environment variable ${ref.target} not set. Export it or change to a different source in infra.toml.` };
      return { value: v };
    }
    case "dotenv": {
      const file = path.resolve(ctx.main, ref.target!);
      if (!inside(ctx.main, file)) return { error: `Path escapes project root: ${ref.target}. dotenv:// paths are relative to the main repository.` };
      let text: string;
      try {
        text = fs.readFileSync(file, "utf8");
      } catch (e) {
        return { error: readProblem(file, e) };
      }
      const v = parseDotenv(text).get(ref.key!);
      if (v === undefined) return { error: `Key ${ref.key} not found in ${file}.` };
      return { value: v };
    }
    case "file": {
      const file = path.resolve(ctx.main, ref.target!);
      try {
        return { value: fs.readFileSync(file, "utf8").replace(/\r?\n$/, "") };
      } catch (e) {
        return { error: readProblem(file, e) };
      }
    }
    case "op": {
      let r;
      try {
        r = await execa("op", ["read", "--no-newline", ref.target!], { env, extendEnv: false, reject: false, timeout: ctx.opTimeoutMs ?? 30_000, stdin: "ignore" });
      } catch {
        return { error: "1Password CLI (op) not found. Install: brew install 1password-cli — or use $VAR references instead." };
      }
      if ((r as { code?: string }).code === "ENOENT" || (r.failed && r.exitCode === undefined && !r.timedOut))
        return { error: "1Password CLI (op) not found. Install: brew install 1password-cli — or use $VAR references instead." };
      if (r.timedOut) return { error: "1Password CLI timed out. Try: eval $(op signin)" };
      if (r.exitCode !== 0) {
        const err = String(r.stderr ?? "").toLowerCase();
        if (err.includes("sign") || err.includes("auth")) return { error: "1Password not authenticated. Run: eval $(op signin)" };
        return { error: `Secret not found in 1Password: ${ref.target}. Check the reference in infra.toml.` };
      }
      return { value: String(r.stdout) };
    }
  }
}

export function invalidValue(v: string): boolean {
  return /[\n\r\0]/.test(v) || /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(v);
}

/** Resolve every reference, collecting every error (never stopping at the first). */
export async function resolveAll(refs: Record<string, string>, ctx: ResolveContext): Promise<{ values: Map<string, string>; errors: SecretError[] }> {
  const values = new Map<string, string>();
  const errors: SecretError[] = [];
  // Literal entries are visible to the resolvers (so OP_ACCOUNT = "..." reaches op).
  const env: NodeJS.ProcessEnv = { ...ctx.env };
  const parsed: [string, string, SecretRef][] = [];
  for (const name of Object.keys(refs).sort()) {
    const raw = refs[name]!;
    const p = parseSecretRef(name, raw);
    if (!p.ref) {
      errors.push({ name, display: raw, message: p.problem! });
      continue;
    }
    parsed.push([name, raw, p.ref]);
    if (p.ref.scheme === "literal") env[name] = raw;
  }
  await Promise.all(
    parsed.map(async ([name, raw, ref]) => {
      const r = await resolveOne(ref, raw, ctx, env);
      if (r.error !== undefined) errors.push({ name, display: ref.display, message: r.error });
      else if (invalidValue(r.value!)) errors.push({ name, display: ref.display, message: `Secret value for '${name}' contains invalid characters (newline or null byte)` });
      else values.set(name, r.value!);
    }),
  );
  errors.sort((a, b) => (a.name < b.name ? -1 : 1));
  return { values, errors };
}
