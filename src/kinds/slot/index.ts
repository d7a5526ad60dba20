// The slot kind: its declaration and its driver, registered together.

import type { Kind } from "../driver.js";
import { slotDriver } from "./driver.js";
import { slotSpec, type SlotAttrs } from "./kind.js";

export const slotKind: Kind<SlotAttrs> = { spec: slotSpec, driver: slotDriver };
