// Every resource kind sbx knows. A new kind is a folder (kind.ts: its declaration,
// driver.ts: its side effects, index.ts: the pair) plus its line in this list.

import { KindRegistry, type Kind } from "./driver.js";
import { composeKind } from "./compose/index.js";
import { copyKind } from "./copy/index.js";
import { fileKind } from "./file/index.js";
import { gitExcludeKind } from "./git-exclude/index.js";
import { healthKind } from "./health/index.js";
import { microvmKind } from "./microvm/index.js";
import { nixGuestKind } from "./nix-guest/index.js";
import { nixHostKind } from "./nix-host/index.js";
import { k8sKinds } from "./k8s/index.js";
import { processKind } from "./process/index.js";
import { secretsKind } from "./secrets/index.js";
import { slotKind } from "./slot/index.js";
import { swarmKind } from "./swarm/index.js";
import { syncKind } from "./sync/index.js";

export const KINDS = new KindRegistry([slotKind, fileKind, copyKind, secretsKind, processKind, healthKind, composeKind, nixGuestKind, nixHostKind, microvmKind, swarmKind, gitExcludeKind, syncKind, ...k8sKinds] as unknown as Kind<object>[]);
