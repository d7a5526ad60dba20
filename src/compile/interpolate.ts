// `${...}` interpolation in string options, evaluated once the slot is known.

import { didYouMean } from "./merge.js";

export interface InterpolationScope {
  ports: Record<string, number>;
  slot: number | string;
  project: { name: string };
  instance: { id: string };
  paths: { worktree: string; main: string; state: string };
  /** Non-secret env, which may refer to itself (cycles are errors). */
  env: Record<string, string>;
  secretNames: ReadonlySet<string>;
  /** Profile inputs given at create time (`--input NAME=VALUE`) or defaulted. */
  inputs?: Readonly<Record<string, string>>;
}

export type InterpolationResult = { value: string } | { problem: string };

const REF = /\$\$|\$\{([^}]*)\}/g;

/** Expand one string; `env` lookups recurse with cycle detection. */
export function interpolate(text: string, scope: InterpolationScope, stack: string[] = []): InterpolationResult {
  let problem: string | undefined;
  const out = text.replace(REF, (whole, expr: string | undefined) => {
    if (whole === "$$") return "$";
    if (problem) return "";
    const r = lookup((expr ?? "").trim(), scope, stack);
    if ("problem" in r) {
      problem = r.problem;
      return "";
    }
    return r.value;
  });
  return problem ? { problem } : { value: out };
}

const BARE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KNOWN = "Known: ${ports.NAME}, ${slot}, ${project.name}, ${instance.id}, ${paths.worktree}, ${paths.main}, ${paths.state}, ${env.NAME}, ${inputs.NAME}, or a bare ${NAME} for a declared port or env variable; write $$ for a literal $";

function lookup(expr: string, scope: InterpolationScope, stack: string[]): InterpolationResult {
  // kinfra passes `${API_PORT}` to compose for interpolation: accept a bare name for a
  // declared port or env variable, as `${ports.NAME}` / `${env.NAME}`.
  if (BARE.test(expr) && expr !== "slot") {
    if (expr in scope.ports) return { value: String(scope.ports[expr]) };
    if (scope.secretNames.has(expr)) return { problem: `\${${expr}} refers to a secret; secret values are never interpolated into non-secret values` };
    if (expr in scope.env) return lookup(`env.${expr}`, scope, stack);
    return { problem: `unknown name \${${expr}}: it is neither a port in [sandbox.ports] (${Object.keys(scope.ports).join(", ") || "none"}) nor a variable in [sandbox.env].${suggest(expr, scope)} ${KNOWN}` };
  }
  const [head, ...rest] = expr.split(".");
  const name = rest.join(".");
  switch (head) {
    case "slot":
      if (rest.length) break;
      return { value: String(scope.slot) };
    case "ports":
      if (name in scope.ports) return { value: String(scope.ports[name]) };
      return { problem: `unknown port \`${name}' in \${${expr}}; declared ports: ${Object.keys(scope.ports).join(", ") || "none"}` };
    case "project":
      if (name === "name") return { value: scope.project.name };
      break;
    case "instance":
      if (name === "id") return { value: scope.instance.id };
      break;
    case "paths":
      if (name === "worktree" || name === "main" || name === "state") return { value: scope.paths[name] };
      break;
    case "inputs": {
      const inputs = scope.inputs ?? {};
      if (name in inputs) return { value: inputs[name]! };
      return { problem: `unknown input \`${name}' in \${${expr}}; ${Object.keys(inputs).length ? `the profiles declare ${Object.keys(inputs).join(", ")}` : "no profile of this sandbox declares inputs"} (declare it under [inputs.${name || "NAME"}] in the profile)` };
    }
    case "secrets":
      return { problem: `\${${expr}} refers to a secret; secret values are never interpolated into non-secret values. Read ${name || "it"} from the environment at run time instead` };
    case "env": {
      if (scope.secretNames.has(name))
        return { problem: `\${${expr}} refers to a secret; secret values are never interpolated into non-secret values` };
      if (stack.includes(name)) return { problem: `interpolation cycle: ${[...stack, name].map((n) => `env.${n}`).join(" -> ")}` };
      const v = scope.env[name];
      if (v === undefined) return { problem: `unknown variable \`env.${name}'; [sandbox.env] has ${Object.keys(scope.env).join(", ") || "nothing"}` };
      return interpolate(v, scope, [...stack, name]);
    }
  }
  return { problem: `unknown name \${${expr}}.${suggest(expr, scope)} ${KNOWN}` };
}

/** " Did you mean ${paths.worktree}?" for `${worktree}`, a misspelt port, and the like. */
function suggest(expr: string, scope: InterpolationScope): string {
  const names = [
    "slot",
    "project.name",
    "instance.id",
    "paths.worktree",
    "paths.main",
    "paths.state",
    ...Object.keys(scope.ports).map((p) => `ports.${p}`),
    ...Object.keys(scope.env).map((e) => `env.${e}`),
  ];
  const lastOf = (n: string) => n.split(".").pop()!;
  const lasts = names.map(lastOf);
  const close = didYouMean(lastOf(expr), lasts);
  const hit = names.find((n) => n !== expr && lastOf(n) === lastOf(expr)) ?? (close !== undefined ? names[lasts.indexOf(close)] : didYouMean(expr, names));
  return hit && hit !== expr ? ` Did you mean \${${hit}}?` : "";
}
