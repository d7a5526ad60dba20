// Walks the JSON Schemas in schemas/ to answer "what kind of option is at this path",
// which decides how definitions merge (per key, concatenated, or by priority).

import infraSchema from "../../schemas/infra.schema.json" with { type: "json" };
import agentSchema from "../../schemas/agent.schema.json" with { type: "json" };
import profileSchema from "../../schemas/profile.schema.json" with { type: "json" };

export type SchemaName = "infra" | "agent" | "profile";

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  $ref?: string;
  default?: unknown;
  description?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  required?: string[];
  "x-merge"?: "replace";
  definitions?: Record<string, JsonSchema>;
}

export const SCHEMAS: Record<SchemaName, JsonSchema> = {
  infra: infraSchema as JsonSchema,
  agent: agentSchema as JsonSchema,
  profile: profileSchema as JsonSchema,
};

export const SCHEMA_FILES: Record<SchemaName, string> = {
  infra: "schemas/infra.schema.json",
  agent: "schemas/agent.schema.json",
  profile: "schemas/profile.schema.json",
};

export type OptionKind = "table" | "map" | "list" | "scalar" | "unknown";

function deref(root: JsonSchema, s: JsonSchema | undefined): JsonSchema | undefined {
  let cur = s;
  for (let i = 0; cur?.$ref && i < 10; i++) {
    const name = cur.$ref.replace(/^#\/definitions\//, "");
    cur = root.definitions?.[name];
  }
  return cur;
}

/** The sub-schema at a path, or undefined when the path is not declared. */
export function schemaAt(root: JsonSchema, path: readonly (string | number)[]): JsonSchema | undefined {
  let cur: JsonSchema | undefined = deref(root, root);
  for (const seg of path) {
    if (!cur) return undefined;
    if (typeof seg === "number") {
      cur = deref(root, cur.items);
      continue;
    }
    if (cur.properties && seg in cur.properties) cur = deref(root, cur.properties[seg]);
    else if (cur.additionalProperties && typeof cur.additionalProperties === "object") cur = deref(root, cur.additionalProperties);
    else if (cur.type === "object" && cur.additionalProperties === undefined && !cur.properties) cur = {};
    else return undefined;
  }
  return cur;
}

export function kindOf(root: JsonSchema, s: JsonSchema | undefined): OptionKind {
  if (!s) return "unknown";
  if (s.anyOf) return "scalar"; // a union is merged as one value
  if (s.type === "array") return "list";
  if (s.type === "object") {
    if (s.properties) return "table";
    if (s.additionalProperties && typeof s.additionalProperties === "object") return "map";
    return "map";
  }
  return "scalar";
}

/** Declared property names at a path (for "did you mean"). */
export function propertyNames(root: JsonSchema, path: readonly (string | number)[]): string[] {
  const s = schemaAt(root, path);
  return s?.properties ? Object.keys(s.properties) : [];
}

/** A human description of an option's type, nix-style ("list of string"). */
export function describeType(root: JsonSchema, s: JsonSchema | undefined): string {
  if (!s) return "undeclared";
  const r = deref(root, s) ?? s;
  if (r.anyOf) return r.anyOf.map((x) => describeType(root, x)).join(" or ");
  if (r.enum) return `one of ${r.enum.map((x) => JSON.stringify(x)).join(", ")}`;
  const t = Array.isArray(r.type) ? r.type.join(" or ") : r.type;
  if (t === "array") return `list of ${describeType(root, r.items)}`;
  if (t === "object") {
    if (r.properties) return "table";
    if (r.additionalProperties && typeof r.additionalProperties === "object")
      return `table of ${describeType(root, r.additionalProperties)}`;
    return "table";
  }
  if (t === "integer" && r.minimum === 1 && r.maximum === 65535) return "port (integer 1-65535)";
  return t ?? "value";
}

export function resolveRef(root: JsonSchema, s: JsonSchema | undefined): JsonSchema | undefined {
  return deref(root, s);
}
