// The process kind: its declaration and its driver, registered together.

import type { Kind } from "../driver.js";
import { processDriver } from "./driver.js";
import { processSpec, type ProcessAttrs } from "./kind.js";

export const processKind: Kind<ProcessAttrs> = { spec: processSpec, driver: processDriver };
