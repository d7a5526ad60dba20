// Shapes of what kubectl reports back: live objects (secrets scrubbed) and drift.

export interface LiveObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  /** The object as the API server returned it; a Secret's values are replaced by SCRUBBED. */
  object: Record<string, unknown>;
}

/** What a live Secret's values are replaced with as soon as kubectl's JSON is parsed. */
export const SCRUBBED = "(scrubbed by sbx)";

export interface FieldDrift {
  /** spec.template.spec.containers[web].image */
  path: string;
  desired: unknown;
  /** undefined when the field is missing on the live object. */
  live: unknown;
}

export interface ObjectDrift {
  address: string;
  kind: string;
  namespace?: string;
  name: string;
  status: "missing" | "changed";
  fields: FieldDrift[];
}

export interface DriftReport {
  /** Planned objects that are missing or differ from what is running. */
  drifted: ObjectDrift[];
  /** Live objects with our instance label that the plan no longer has (orphans to delete). */
  unexpected: LiveObject[];
}
