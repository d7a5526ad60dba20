// Secret reference syntax (values are never seen here; apply/secrets resolves them).

export type SecretScheme = "op" | "env" | "dotenv" | "file" | "literal";

export interface SecretRef {
  name: string;
  scheme: SecretScheme;
  /** What may be shown to users: the reference itself, or "(literal, not shown)". */
  display: string;
  /** For op: the full op:// reference; env: variable; dotenv/file: path. */
  target?: string;
  key?: string;
}

export const LITERAL_DISPLAY = "(literal, not shown)";

/** Parse one reference; `problem` explains a malformed one. */
export function parseSecretRef(name: string, ref: string): { ref?: SecretRef; problem?: string } {
  if (ref.startsWith("op://")) {
    const parts = ref.slice(5).split("/");
    if (parts.length < 3 || parts.some((p) => p === ""))
      return { problem: `${name}: malformed 1Password reference ${ref}. Expected op://vault/item/field.` };
    return { ref: { name, scheme: "op", display: ref, target: ref } };
  }
  if (ref.startsWith("env://")) {
    const v = ref.slice(6);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(v)) return { problem: `${name}: malformed reference ${ref}. Expected env://VARIABLE_NAME.` };
    return { ref: { name, scheme: "env", display: ref, target: v } };
  }
  if (/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(ref)) return { ref: { name, scheme: "env", display: ref, target: ref.slice(1) } };
  if (ref.startsWith("dotenv://")) {
    const body = ref.slice(9);
    const hash = body.lastIndexOf("#");
    if (hash <= 0 || hash === body.length - 1)
      return { problem: `${name}: malformed reference ${ref}. Expected dotenv://path/to/.env#KEY (path relative to the main repository).` };
    return { ref: { name, scheme: "dotenv", display: ref, target: body.slice(0, hash), key: body.slice(hash + 1) } };
  }
  if (ref.startsWith("file://")) {
    const p = ref.slice(7);
    if (!p) return { problem: `${name}: malformed reference ${ref}. Expected file://path.` };
    return { ref: { name, scheme: "file", display: ref, target: p } };
  }
  // A known scheme mistyped (`OP://…`, `op:/…`) would otherwise be taken as a literal value.
  const near = /^(op|env|dotenv|file):\/{1,3}/i.exec(ref);
  if (near) return { problem: `${name}: ${ref.slice(0, near[0].length)}… looks like a ${near[1]!.toLowerCase()}:// reference but is not one. Write it as ${near[1]!.toLowerCase()}://…; a literal value must not start with a reference scheme.` };
  return { ref: { name, scheme: "literal", display: LITERAL_DISPLAY } };
}

/**
 * The one rule for what is a secret value in configuration: the text of a literal
 * reference. (References name where a value lives; only apply/secrets resolves them.)
 */
export function literalSecretValue(name: string, raw: string): string | undefined {
  return parseSecretRef(name, raw).ref?.scheme === "literal" ? raw : undefined;
}

/** How a secret is shown anywhere: its reference, or "(literal, not shown)". */
export function showSecretRef(name: string, raw: string): string {
  return parseSecretRef(name, raw).ref?.display ?? LITERAL_DISPLAY;
}

/** A table path or key as written (`sandbox.secrets`, `"odd key"`), as plain segments. */
function segments(text: string): string[] {
  return [...text.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'|([^.\s]+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

/** The text of the first string in `rest` (closed or not), or the bare value up to a comment. */
function firstString(rest: string): string | undefined {
  const m = /^\s*(?:\{\s*(?:force|default)\s*=\s*)?(?:"((?:[^"\\]|\\.)*)"?|'([^']*)'?|([^\s#,}]+))/.exec(rest);
  const v = m?.[1] ?? m?.[2] ?? m?.[3];
  return v === undefined || v === "" ? undefined : v;
}

/**
 * Secret definitions read line by line from a TOML file that does not parse, so a
 * literal on a broken line (an unterminated string, a duplicate key) is known to the
 * redactor before the error shows that line. Best effort: `[sandbox.secrets]`,
 * `[setup.secret_refs]` and `[defaults.infra.sandbox.secrets]` tables and dotted keys.
 */
export function secretsInUnparsedToml(text: string): [string, string][] {
  const out: [string, string][] = [];
  let table: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    const header = /^\s*\[\[?\s*([^\]]*?)\s*\]\]?/.exec(line);
    if (header) {
      table = segments(header[1]!);
      continue;
    }
    const kv = /^\s*((?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*=(.*)$/.exec(line);
    if (!kv) continue;
    const full = [...table, ...segments(kv[1]!)];
    const at = full.join(".");
    const secretTable = ["sandbox.secrets", "setup.secret_refs", "defaults.infra.sandbox.secrets"].find((t) => at.startsWith(`${t}.`) && full.length === t.split(".").length + 1);
    const value = secretTable ? firstString(kv[2]!) : undefined;
    if (secretTable && value !== undefined) out.push([full[full.length - 1]!, value]);
  }
  return out;
}
