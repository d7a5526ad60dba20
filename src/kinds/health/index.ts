// The health kind: its declaration and its driver, registered together.

import type { Kind } from "../driver.js";
import { healthDriver } from "./driver.js";
import { healthSpec, type HealthAttrs } from "./kind.js";

export const healthKind: Kind<HealthAttrs> = { spec: healthSpec, driver: healthDriver };
