// The sync kind: its declaration and its driver, registered together.

import type { Kind } from "../driver.js";
import { syncDriver } from "./driver.js";
import { syncSpec, type SyncAttrs } from "./kind.js";

export const syncKind: Kind<SyncAttrs> = { spec: syncSpec, driver: syncDriver };
