// The secrets kind: its declaration and its driver, registered together.

import type { Kind } from "../driver.js";
import { secretsDriver } from "./driver.js";
import { secretsSpec, type SecretsAttrs } from "./kind.js";

export const secretsKind: Kind<SecretsAttrs> = { spec: secretsSpec, driver: secretsDriver };
