// Owner labels: every object sbx creates carries them, so drift and destroy find exactly ours.

import { labelValue } from "./names.js";

export const LABEL_INSTANCE = "dev.sbx.instance";
export const LABEL_PROJECT = "dev.sbx.project";
export const LABEL_SLOT = "dev.sbx.slot";
export const LABEL_SERVICE = "dev.sbx.service";
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
export const MANAGER = "sbx";
/** Pod-template annotation: a hash of the ConfigMap's data, so an env change rolls the pods. */
export const ANNOTATION_CONFIG_HASH = "dev.sbx/config-hash";

export interface Owner {
  instanceId: string;
  project: string;
  slot: number;
}

/** The labels every owned object carries (keys sorted). */
export function ownerLabels(o: Owner): Record<string, string> {
  return {
    [LABEL_MANAGED_BY]: MANAGER,
    [LABEL_INSTANCE]: labelValue(o.instanceId),
    [LABEL_PROJECT]: labelValue(o.project),
    [LABEL_SLOT]: String(o.slot),
  };
}

/** `dev.sbx.instance=<id>`: the selector for listing, drift and destroy. */
export function instanceSelector(instanceId: string): string {
  return `${LABEL_INSTANCE}=${labelValue(instanceId)}`;
}

/** The stricter selector for deletes: our instance label and our manager label. */
export function ownedSelector(instanceId: string): string {
  return `${instanceSelector(instanceId)},${LABEL_MANAGED_BY}=${MANAGER}`;
}
