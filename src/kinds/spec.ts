// What a resource kind declares about itself, in one place and without side effects:
// its attributes' replace rules, how it reacts to its dependencies, how each attribute
// renders in a plan, and what it adds to `compile --out`. The diff and the plan renderers
// read only these declarations; they hold no per-kind table.

/** How one attribute is shown in a plan. */
export type RenderHint =
  | "plain" // a scalar or small value, shown as `old -> new`
  | "text" // multi-line text, shown as a unified diff
  | "map" // keys shown aligned, one per line
  | "list" // elements shown one per line
  | "sensitive"; // never shown: "(sensitive value)"

/** A resource as compile produces it: stable address, fully resolved JSON attributes. */
export interface Resource<A extends object = Record<string, unknown>> {
  /** Stable name: `file.env_sandbox`, `copy["config.yaml"]`, `process.api`. */
  address: string;
  type: string;
  attrs: A;
  dependsOn: string[];
}

/** A typed resource as one of the graph's (attributes are plain JSON either way). */
export function asResource<A extends object>(r: Resource<A>): Resource {
  return r as unknown as Resource;
}

/** One file that `compile --out DIR` writes, relative to DIR. */
export interface Artefact {
  path: string;
  content: string;
}

export interface KindSpec<A extends object = Record<string, unknown>> {
  readonly type: string;
  /** One line: what this kind is (shown in docs and errors). */
  readonly description: string;
  /**
   * Attribute changes that force replacement: a list of names, or "all". A dotted entry
   * (`spec.selector`) names a value inside an attribute: only a change there forces it.
   */
  readonly replaceOn: "all" | readonly ((keyof A & string) | `${keyof A & string}.${string}`)[];
  /** How this resource follows a change of something it depends on (absent: it does not). */
  readonly onDependencyChange?: "update" | "replace";
  /** Whether a change of this resource counts as a change for dependents that follow their dependencies. */
  readonly restartsDependents: boolean;
  /** Attributes only apply can know (Terraform's computed): absent from the desired graph, kept from state. */
  readonly computed?: readonly (keyof A & string)[];
  /** Render hints; attributes not named render by the shape of their value. */
  readonly render?: { readonly [K in keyof A & string]?: RenderHint };
  /** Files this resource adds to `compile --out`. */
  artefacts?(r: Resource<A>): Artefact[];
}

/** Attribute names a kind declares sensitive. */
export function sensitiveAttrs(spec: KindSpec<object> | undefined): string[] {
  return Object.entries(spec?.render ?? {})
    .filter(([, h]) => h === "sensitive")
    .map(([k]) => k)
    .sort();
}

/** Lookup of kind declarations by type, handed to the pure layers by the caller. */
export interface KindSpecs {
  get(type: string): KindSpec<object> | undefined;
}

/** `type.name`, or `type["odd name"]` when the name is not an identifier. */
export function addressOf(type: string, name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) ? `${type}.${name}` : `${type}[${JSON.stringify(name)}]`;
}
