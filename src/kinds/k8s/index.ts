// The Kubernetes kinds: one per object type plus the readiness gate, declared in one table.

import type { Kind } from "../driver.js";
import { K8S_DRIVERS, k8sReadyDriver } from "./driver.js";
import { K8S_SPECS, k8sReadySpec, type K8sAttrs, type K8sReadyAttrs } from "./kind.js";

const objectKinds: Kind<K8sAttrs>[] = Object.values(K8S_SPECS).map((spec) => ({ spec, driver: K8S_DRIVERS[spec.type as keyof typeof K8S_DRIVERS] }));
const readyKind: Kind<K8sReadyAttrs> = { spec: k8sReadySpec, driver: k8sReadyDriver };

export const k8sKinds = [...objectKinds, readyKind] as unknown as Kind<object>[];
