// Where the objects go: backend.kubernetes (agent.toml) and a profile's k8s:// placement, reconciled.

import { error, type Diagnostic, type Result, type SourceRange } from "../diagnostics.js";
import type { Placement } from "../placement.js";
import type { KubeTarget } from "./types.js";

export interface TargetSources {
  /** A profile's parsed placement (only a k8s one contributes). */
  placement?: Placement;
  placementAt?: SourceRange;
  /** backend.kubernetes.context / namespace from agent.toml. */
  context?: string;
  contextAt?: SourceRange;
  namespace?: string;
  namespaceAt?: SourceRange;
  /** Where the kubernetes backend was chosen: a missing context is reported there. */
  chosenAt?: SourceRange;
}

const where = (r?: SourceRange) => (r ? `${r.file}:${r.start.line}:${r.start.col}` : "(unknown location)");

/** One context and at most one namespace; two different values are a conflict naming both. */
export function resolveKubeTarget(s: TargetSources): Result<KubeTarget | undefined> {
  const diags: Diagnostic[] = [];
  if (s.placement && s.placement.kind !== "k8s")
    diags.push(error("Placement is not a Kubernetes cluster", { ...(s.placementAt ? { range: s.placementAt } : {}), detail: `The kubernetes backend needs a placement k8s://<context>[/<namespace>], not ${s.placement.kind}.` }));
  const p = s.placement?.kind === "k8s" ? s.placement : undefined;
  const pick = (what: string, fromConfig: string | undefined, configAt: SourceRange | undefined, fromPlacement: string | undefined) => {
    if (fromConfig !== undefined && fromPlacement !== undefined && fromConfig !== fromPlacement) {
      diags.push(
        error(`Conflicting Kubernetes ${what}`, {
          ...(configAt ? { range: configAt } : {}),
          detail: `backend.kubernetes.${what} is \`${fromConfig}' (${where(configAt)}) but the placement says \`${fromPlacement}' (${where(s.placementAt)}). Remove one of them.`,
        }),
      );
    }
    return fromConfig ?? fromPlacement;
  };
  const context = pick("context", s.context, s.contextAt, p?.context);
  const namespace = pick("namespace", s.namespace, s.namespaceAt, p?.namespace);
  if (context === undefined)
    diags.push(error("No Kubernetes context", { ...(s.chosenAt ? { range: s.chosenAt } : {}), detail: "Set backend.kubernetes.context in agent.toml or a profile placement k8s://<context>[/<namespace>]. sbx never uses whatever context happens to be current." }));
  if (diags.some((d) => d.severity === "error") || context === undefined) return { value: undefined, diags };
  const target: KubeTarget = { context };
  if (namespace !== undefined) {
    target.namespace = namespace;
    const at = s.namespace !== undefined ? s.namespaceAt : s.placementAt;
    if (at) target.namespaceAt = at;
  }
  return { value: target, diags };
}
