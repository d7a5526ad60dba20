// The copy kind: its declaration and its driver, registered together.

import type { Kind } from "../driver.js";
import { copyDriver } from "./driver.js";
import { copySpec, type CopyAttrs } from "./kind.js";

export const copyKind: Kind<CopyAttrs> = { spec: copySpec, driver: copyDriver };
