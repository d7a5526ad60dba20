// What an existing infra.toml already says, read leniently with smol-toml: init must
// work on a half-written file, so wrong types are skipped here and left to `sbx validate`.

import { parse as parseToml, TomlError } from "smol-toml";
import { error, type Diagnostic } from "../diagnostics.js";
import type { DeclaredPort, ExistingConfig } from "./assign.js";
import type { ExistingTables } from "./propose.js";

export interface ExistingInfra {
  file: string;
  tables: ExistingTables;
  config: ExistingConfig;
  backend?: string;
  services: string[];
  /** Health endpoint with port_var, or any check. */
  hasHealth: boolean;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export function readExisting(file: string, text: string): { value?: ExistingInfra; diags: Diagnostic[] } {
  let raw: Obj;
  try {
    raw = parseToml(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as Obj;
  } catch (e) {
    const te = e instanceof TomlError ? e : undefined;
    const range = { file, start: { line: te?.line ?? 1, col: te?.column ?? 1 } };
    return { diags: [error("infra.toml is not valid TOML", { range, detail: `${(e as Error).message.split("\n")[0]}. Fix it, then run sbx init again.` })] };
  }
  const project = obj(raw.project);
  const sandbox = obj(raw.sandbox);
  const ports: Record<string, DeclaredPort> = {};
  for (const [name, v] of Object.entries(obj(sandbox.ports))) {
    if (typeof v === "number") ports[name] = { base: v, stride: 1 };
    else if (typeof obj(v).base === "number") {
      const p = obj(v);
      ports[name] = { base: p.base as number, stride: typeof p.stride === "number" ? p.stride : 1, ...(typeof p.standard === "number" ? { standard: p.standard } : {}) };
    }
  }
  const env = Object.keys(obj(sandbox.env));
  const secrets = Object.keys(obj(sandbox.secrets));
  const health = obj(sandbox.health);
  const hasHealth = (str(health.endpoint) !== undefined && str(health.port_var) !== undefined) || (Array.isArray(health.checks) && health.checks.length > 0);
  const slotMax = obj(sandbox.slots).max;
  const prefix = str(project.prefix) ?? str(project.name);
  const projectName = str(project.name);
  const composeFile = str(sandbox.compose_file);
  const backend = str(sandbox.backend);
  return {
    value: {
      file,
      tables: { ...(projectName ? { projectName } : {}), ...(composeFile ? { composeFile } : {}), ports, env, secrets, files: Object.keys(obj(sandbox.files)), hasHealth },
      config: { ...(prefix ? { prefix } : {}), ports, otherNames: [...env, ...secrets], ...(typeof slotMax === "number" ? { slotMax } : {}) },
      ...(backend ? { backend } : {}),
      services: Object.keys(obj(raw.services)),
      hasHealth,
    },
    diags: [],
  };
}
