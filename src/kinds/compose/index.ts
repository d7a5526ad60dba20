// The compose kind: its declaration and its driver, registered together.

import type { Kind } from "../driver.js";
import { composeDriver } from "./driver.js";
import { composeSpec, type ComposeAttrs } from "./kind.js";

export const composeKind: Kind<ComposeAttrs> = { spec: composeSpec, driver: composeDriver };
