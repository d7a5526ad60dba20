// The Kubernetes compiler's public surface (pure; validation loads kubernetes-models lazily).

export { buildKubePlan, KIND_ORDER } from "./plan.js";
export { readComposeServices } from "./compose-input.js";
export { resolveKubeTarget, type TargetSources } from "./target.js";
export { renderManifests, renderPlanManifests, MANIFEST_FILE } from "./render.js";
export { validateManifests } from "./validate.js";
export { SECRET_PLACEHOLDER } from "./objects.js";
export { instanceSelector, ownedSelector, ownerLabels, LABEL_INSTANCE, LABEL_MANAGED_BY, LABEL_PROJECT, LABEL_SERVICE, LABEL_SLOT, MANAGER } from "./labels.js";
export { checkName, deriveName, labelValue, parseQuantity } from "./names.js";
export type {
  AgentWorkload,
  ComposeHealthcheck,
  ComposePort,
  ComposeService,
  ComposeVolume,
  ComposeWorkload,
  KubeInput,
  KubeObject,
  KubePlan,
  KubeResourceKind,
  KubeTarget,
  Manifest,
  ManifestKind,
  ObjectMeta,
  PortForward,
} from "./types.js";
