// Backends whose issues have not landed yet: selecting one is a located error, never a silent fallback.

import { error } from "../diagnostics.js";
import type { Backend } from "./types.js";
import { where } from "./common.js";

export function pendingBackend(name: string): Backend {
  return {
    name,
    build(config) {
      const file = config.files.find((f) => f.role === "infra")?.file ?? "infra.toml";
      return {
        resources: [],
        urls: [],
        env: {},
        texts: new Map(),
        diags: [error(`Backend \`${name}' is not built yet`, { range: config.backendFrom ?? where(config.infraMerged, ["sandbox", "backend"], file), detail: `This sbx cannot plan or apply the ${name} backend yet. Use "process" or "compose" (infra.toml sandbox.backend), or "microvm" (agent.toml [backend] type).` })],
      };
    },
  };
}
