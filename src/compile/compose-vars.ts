// Compose's own variable syntax, evaluated by sbx when a tool will not do it for us
// (`docker stack deploy` reads neither `.env` nor `--env-file`): `$$`, `$VAR`, `${VAR}`,
// `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`,
// `${VAR+alt}`, with nested expressions in the default. Not sbx's `${ports.NAME}` syntax.

export interface ComposeVarsResult {
  value: string;
  /** Names used with no value and no default (compose substitutes ""). */
  unset: string[];
  /** Names looked up (secret references are caught by the caller through these). */
  used: string[];
  /** `${VAR:?msg}` failures and malformed expressions. */
  errors: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Index of the `}` closing the `${` whose body starts at `from`, or -1. */
function closing(text: string, from: number): number {
  let depth = 1;
  for (let i = from; i < text.length; i++) {
    if (text[i] === "$" && text[i + 1] === "$") i++;
    else if (text[i] === "$" && text[i + 1] === "{") {
      depth++;
      i++;
    } else if (text[i] === "}" && --depth === 0) return i;
  }
  return -1;
}

export function interpolateCompose(text: string, lookup: (name: string) => string | undefined): ComposeVarsResult {
  const res: ComposeVarsResult = { value: "", unset: [], used: [], errors: [] };
  const get = (name: string) => {
    if (!res.used.includes(name)) res.used.push(name);
    return lookup(name);
  };
  const sub = (t: string) => {
    const r = interpolateCompose(t, lookup);
    for (const k of ["unset", "used", "errors"] as const) for (const x of r[k]) if (!res[k].includes(x)) res[k].push(x);
    return r.value;
  };
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== "$") {
      out += c;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i++;
      continue;
    }
    if (next !== "{") {
      const m = NAME.exec(text.slice(i + 1));
      if (!m) {
        out += "$";
        continue;
      }
      const v = get(m[0]);
      if (v === undefined && !res.unset.includes(m[0])) res.unset.push(m[0]);
      out += v ?? "";
      i += m[0].length;
      continue;
    }
    const end = closing(text, i + 2);
    if (end < 0) {
      res.errors.push(`unterminated \`\${' in "${text}"`);
      out += text.slice(i);
      break;
    }
    const body = text.slice(i + 2, end);
    i = end;
    const m = NAME.exec(body);
    if (!m) {
      res.errors.push(`invalid interpolation format "\${${body}}": a variable name must start with a letter or _`);
      continue;
    }
    const name = m[0];
    const rest = body.slice(name.length);
    const op = /^(:-|-|:\?|\?|:\+|\+)?/.exec(rest)![0];
    if (!op && rest) {
      res.errors.push(`invalid interpolation format "\${${body}}"`);
      continue;
    }
    const word = rest.slice(op.length);
    const v = get(name);
    const set = v !== undefined;
    const nonEmpty = set && v !== "";
    switch (op) {
      case ":-":
        out += nonEmpty ? v : sub(word);
        break;
      case "-":
        out += set ? v : sub(word);
        break;
      case ":?":
      case "?":
        if (op === ":?" ? nonEmpty : set) out += v;
        else res.errors.push(`required variable ${name} is ${set ? "empty" : "not set"}${word ? `: ${sub(word)}` : ""}`);
        break;
      case ":+":
        out += nonEmpty ? sub(word) : "";
        break;
      case "+":
        out += set ? sub(word) : "";
        break;
      default:
        if (!set && !res.unset.includes(name)) res.unset.push(name);
        out += v ?? "";
    }
  }
  res.value = out;
  return res;
}

/** Escape a resolved value so a later compose-style interpolation leaves it as it is. */
export function escapeComposeVars(value: string): string {
  return value.replace(/\$/g, "$$$$");
}
