// Validates merged configuration with the precompiled schema validators and turns
// ajv's errors into located diagnostics with a fix to try.

import { validateAgent, validateInfra, validateProfile, type AjvError, type Validator } from "./generated/validators.js";
import { error, type Diagnostic } from "./diagnostics.js";
import { didYouMean, locate, type Merged } from "./merge.js";
import { formatPath, pathKey, type OptionPath } from "./path.js";
import { placementHint } from "./placement.js";
import { describeType, propertyNames, schemaAt, SCHEMAS, type SchemaName } from "./schema.js";

const VALIDATORS: Record<SchemaName, Validator> = { infra: validateInfra, agent: validateAgent, profile: validateProfile };

function pointerToPath(ptr: string): OptionPath {
  if (!ptr) return [];
  return ptr
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** Validate `merged.value` against a schema; `fileOf` names the file for errors without a location. */
export function validateMerged(name: SchemaName, merged: Merged, fallbackFile: string): Diagnostic[] {
  const validate = VALIDATORS[name];
  if (validate(merged.value)) return [];
  const root = SCHEMAS[name];
  const diags: Diagnostic[] = [];
  const seen = new Set<string>();
  const errors = dropUnionNoise(validate.errors ?? []);
  for (const e of errors) {
    const d = toDiagnostic(name, root, merged, e, fallbackFile);
    const key = `${d.range?.file}:${d.range?.start.line}:${d.range?.start.col}:${d.summary}`;
    if (seen.has(key)) continue;
    seen.add(key);
    diags.push(d);
  }
  return diags;
}

/** anyOf failures report every branch; keep one summary error per union instead. */
function dropUnionNoise(errors: AjvError[]): AjvError[] {
  const unionPaths = new Set(errors.filter((e) => e.keyword === "anyOf").map((e) => e.instancePath));
  return errors.filter((e) => e.keyword === "anyOf" || !unionPaths.has(e.instancePath) || !/anyOf/.test(e.schemaPath));
}

function toDiagnostic(name: SchemaName, root: (typeof SCHEMAS)[SchemaName], merged: Merged, e: AjvError, fallbackFile: string): Diagnostic {
  const path = pointerToPath(e.instancePath);
  const opt = `\`${formatPath(path)}'`;
  const at = (p: OptionPath) => {
    const l = locate(merged, p);
    return l ? { file: l.file, start: l.pos } : { file: fallbackFile, start: { line: 1, col: 1 } };
  };
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String(e.params.additionalProperty);
      const full = [...path, key];
      const hint = didYouMean(key, propertyNames(root, path));
      const known = propertyNames(root, path);
      const kl = merged.keyLocations.get(pathKey(full));
      return error(`Unknown option \`${formatPath(full)}'`, {
        range: kl ? { file: kl.file, start: kl.pos } : at(full),
        address: formatPath(full),
        detail:
          `The option \`${formatPath(full)}' does not exist in the ${name} schema.` +
          (hint ? ` Did you mean \`${formatPath([...path, hint])}'?` : known.length ? ` Known options here: ${known.join(", ")}.` : "") +
          ` Remove or rename the key.`,
      });
    }
    case "required": {
      const key = String(e.params.missingProperty);
      const where = path.length ? `[${formatPath(path)}]` : "the top level";
      return error(`Missing required option \`${formatPath([...path, key])}'`, {
        range: at(path),
        address: formatPath([...path, key]),
        detail: `Add \`${key} = ...\` under ${where}.` + (key === "name" && path[0] === "project" ? " For example: name = \"myapp\"." : ""),
      });
    }
    case "type":
    case "anyOf": {
      const s = schemaAt(root, path);
      return error(`Wrong type for ${opt}`, {
        range: at(path),
        address: formatPath(path),
        detail: `A definition for option ${opt} is not of type \`${describeType(root, s)}'.`,
      });
    }
    case "enum":
      return error(`Invalid value for ${opt}`, {
        range: at(path),
        address: formatPath(path),
        detail: `${opt} must be one of ${((e.params.allowedValues as unknown[]) ?? []).map((v) => JSON.stringify(v)).join(", ")}.`,
      });
    case "pattern":
      return error(`Invalid value for ${opt}`, {
        range: at(path),
        address: formatPath(path),
        detail: `${opt} must match ${String(e.params.pattern)}.${name === "profile" && formatPath(path) === "placement" ? placementHint((merged.value as { placement?: unknown }).placement) : patternHint(path)}`,
      });
    case "propertyNames":
      return error(`Invalid name in ${opt}`, {
        range: at(path),
        address: formatPath(path),
        detail: `Names in ${opt} must match ${String((schemaAt(root, path) as { propertyNames?: { pattern?: string } })?.propertyNames?.pattern ?? "the schema")}.`,
      });
    case "minimum":
    case "maximum":
    case "exclusiveMinimum":
      return error(`Value out of range for ${opt}`, {
        range: at(path),
        address: formatPath(path),
        detail: `${opt} ${e.message ?? "is out of range"}.`,
      });
    default:
      return error(`Invalid value for ${opt}`, { range: at(path), address: formatPath(path), detail: `${opt} ${e.message ?? "is invalid"}.` });
  }
}

function patternHint(path: OptionPath): string {
  const last = path[path.length - 2] === "mounts" || String(path[path.length - 2] ?? "").match(/^(code|shared)$/) ? "mount" : String(path[path.length - 1]);
  if (path.includes("mounts") || last === "mount") return " Expected host:container[:ro].";
  if (last === "name" && path[0] === "project" && path.length === 2) return " Start with a letter or digit; then use letters, digits, '-', '_' and '.' (sbx lowercases it and turns '.' into '-' for the compose project name).";
  if (last === "ttl") return " Use a number and a unit, such as 30m, 8h or 2d.";
  return "";
}
