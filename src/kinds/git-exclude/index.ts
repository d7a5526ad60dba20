// The git_exclude kind: its declaration and its driver, registered together.

import type { Kind } from "../driver.js";
import { gitExcludeDriver } from "./driver.js";
import { gitExcludeSpec, type GitExcludeAttrs } from "./kind.js";

export const gitExcludeKind: Kind<GitExcludeAttrs> = { spec: gitExcludeSpec, driver: gitExcludeDriver };
