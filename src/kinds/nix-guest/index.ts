// The nix.guest kind: its declaration and its driver, registered together.

import type { Kind } from "../driver.js";
import { nixGuestDriver } from "./driver.js";
import { nixGuestSpec, type NixGuestAttrs } from "./kind.js";

export const nixGuestKind: Kind<NixGuestAttrs> = { spec: nixGuestSpec, driver: nixGuestDriver };
