// Plan-time check of manifests against the Kubernetes API schemas (kubernetes-models).
// The models are loaded with import() on first use, so other backends never pay for them.

import { error, type Diagnostic } from "../diagnostics.js";
import { formatPath } from "../path.js";
import type { KubeObject, ManifestKind } from "./types.js";

interface AjvLikeError {
  instancePath: string;
  keyword: string;
  message?: string;
  params?: Record<string, unknown>;
}

type Validate = (manifest: unknown) => AjvLikeError[];

/** One loader per kind: only the models a plan uses are imported. */
const LOADERS: Record<ManifestKind, () => Promise<new (data: never) => { validate(): void }>> = {
  Namespace: async () => (await import("kubernetes-models/v1/Namespace")).Namespace,
  ConfigMap: async () => (await import("kubernetes-models/v1/ConfigMap")).ConfigMap,
  Secret: async () => (await import("kubernetes-models/v1/Secret")).Secret,
  PersistentVolumeClaim: async () => (await import("kubernetes-models/v1/PersistentVolumeClaim")).PersistentVolumeClaim,
  Service: async () => (await import("kubernetes-models/v1/Service")).Service,
  Deployment: async () => (await import("kubernetes-models/apps/v1/Deployment")).Deployment,
  Pod: async () => (await import("kubernetes-models/v1/Pod")).Pod,
};

const cache = new Map<ManifestKind, Promise<Validate>>();

function validatorFor(kind: ManifestKind): Promise<Validate> {
  let v = cache.get(kind);
  if (!v) {
    v = LOADERS[kind]().then((Model) => (manifest: unknown) => {
      try {
        new Model(manifest as never).validate();
        return [];
      } catch (e) {
        const errs = (e as { errors?: unknown }).errors;
        if (!Array.isArray(errs)) throw e;
        return errs as AjvLikeError[];
      }
    });
    cache.set(kind, v);
  }
  return v;
}

/** `/spec/template/spec/containers/0/ports/0/containerPort` → spec.template.spec.containers[0].ports[0].containerPort */
export function fieldPath(instancePath: string): string {
  const segs = instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  return segs.length ? formatPath(segs) : "(the object)";
}

function describe(e: AjvLikeError): { field: string; problem: string } {
  if (e.keyword === "required") {
    const missing = String(e.params?.missingProperty ?? "?");
    return { field: fieldPath(`${e.instancePath}/${missing}`), problem: "is required" };
  }
  if (e.keyword === "enum") return { field: fieldPath(e.instancePath), problem: `must be one of ${((e.params?.allowedValues as unknown[]) ?? []).map((v) => JSON.stringify(v)).join(", ")}` };
  return { field: fieldPath(e.instancePath), problem: e.message ?? `fails the ${e.keyword} check` };
}

/** Validate every object; one diagnostic per schema error, naming the manifest and the field. */
export async function validateManifests(objects: readonly KubeObject[]): Promise<Diagnostic[]> {
  const diags: Diagnostic[] = [];
  for (const o of objects) {
    const m = o.manifest;
    const validate = await validatorFor(m.kind);
    for (const e of validate(m)) {
      const { field, problem } = describe(e);
      const ns = m.metadata.namespace ? ` in namespace ${m.metadata.namespace}` : "";
      diags.push(
        error(`Invalid Kubernetes manifest ${m.kind}/${m.metadata.name}`, {
          address: o.address,
          ...(o.source ? { range: o.source } : {}),
          detail: `\`${field}' ${problem} (${m.apiVersion} ${m.kind} \`${m.metadata.name}'${ns}, checked against the Kubernetes API schema). sbx generated it from ${o.source ? "the definition shown" : "the configuration"}: fix the value there, or report a bug in sbx if the value is not one you wrote.`,
        }),
      );
    }
  }
  return diags;
}
