// The nix.host kind: its declaration and its driver, registered together.

import type { Kind } from "../driver.js";
import { nixHostDriver } from "./driver.js";
import { nixHostSpec, type NixHostAttrs } from "./kind.js";

export const nixHostKind: Kind<NixHostAttrs> = { spec: nixHostSpec, driver: nixHostDriver };
