// The microvm kind: its declaration and its driver, registered together.

import type { Kind } from "../driver.js";
import { microvmDriver } from "./driver.js";
import { microvmSpec, type MicrovmAttrs } from "./kind.js";

export const microvmKind: Kind<MicrovmAttrs> = { spec: microvmSpec, driver: microvmDriver };
