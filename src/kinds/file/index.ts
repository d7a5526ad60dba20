// The file kind: its declaration and its driver, registered together.

import type { Kind } from "../driver.js";
import { fileDriver } from "./driver.js";
import { fileSpec, type FileAttrs } from "./kind.js";

export const fileKind: Kind<FileAttrs> = { spec: fileSpec, driver: fileDriver };
