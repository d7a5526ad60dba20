// Compose backend (issue 4): placeholder graph until the compose resources land.

import type { Diagnostic } from "../diagnostics.js";
import type { Resource } from "../resource.js";
import { commonResources, type BuildInput } from "./common.js";

export function buildComposeGraph(input: BuildInput, diags: Diagnostic[], file: string): Resource[] {
  return commonResources(input, diags, file).resources;
}
