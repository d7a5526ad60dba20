// Compose-style `${VAR}` interpolation for the Kubernetes compiler. Secret references never
// expand to values: they become `$(NAME)`, which the kubelet fills from the Secret at start.

export interface ComposeScope {
  /** Values compose would interpolate from the env file: [sandbox.env] and the slot ports. */
  vars: Readonly<Record<string, string>>;
  /** Names of secret references (their values are never known here). */
  secrets: ReadonlySet<string>;
}

export interface Expanded {
  text: string;
  /** Secret names referenced (now written as `$(NAME)`). */
  secrets: string[];
  /** Variables that are neither in scope nor secrets and had no default (expanded to ""). */
  missing: string[];
  /** `${VAR:?message}` on an unset variable, or broken syntax. */
  problem?: string;
}

const TOKEN = /\$\$|\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)|\$\(/g;

/**
 * Expand `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`, `${VAR?err}`, and `$$`.
 * `kubeEscape` escapes a literal `$(` as `$$(` (env values, command and args are expanded by the kubelet).
 */
export function expandCompose(text: string, scope: ComposeScope, kubeEscape: boolean): Expanded {
  const out: Expanded = { text: "", secrets: [], missing: [] };
  out.text = text.replace(TOKEN, (whole: string, braced: string | undefined, bare: string | undefined) => {
    if (whole === "$$") return kubeEscape ? "$$" : "$";
    if (whole === "$(") return kubeEscape ? "$$(" : "$(";
    const expr = braced ?? bare ?? "";
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?)([-?])(.*))?$/s.exec(expr);
    if (!m) {
      out.problem ??= `\`${whole}' is not a variable reference`;
      return "";
    }
    const [, name, colon, op, arg] = m as unknown as [string, string, string | undefined, string | undefined, string | undefined];
    if (scope.secrets.has(name)) {
      if (!out.secrets.includes(name)) out.secrets.push(name);
      return `$(${name})`;
    }
    const v = scope.vars[name];
    const unset = v === undefined || (colon === ":" && v === "");
    if (!unset) return v;
    if (op === "-") return arg ?? "";
    if (op === "?") {
      out.problem ??= `${name} is not set${arg ? `: ${arg}` : ""}`;
      return "";
    }
    if (v === undefined && !out.missing.includes(name)) out.missing.push(name);
    return v ?? "";
  });
  return out;
}

/** The secret name when `text` is exactly one reference to it (`${NAME}` or `$NAME`). */
export function wholeSecretRef(text: string, scope: ComposeScope): string | undefined {
  const m = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$|^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(text);
  const name = m?.[1] ?? m?.[2];
  return name !== undefined && scope.secrets.has(name) ? name : undefined;
}
