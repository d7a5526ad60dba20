// health.gate: tcp/http/exec checks polled under one shared deadline after everything is up.

import type { KindSpec } from "../spec.js";

export type HealthCheck =
  | { name: string; type: "tcp"; host: string; port: number; after?: string[] }
  | { name: string; type: "http"; host: string; port: number; path: string; status: number[]; json_min_length?: number; after?: string[] }
  | { name: string; type: "exec"; command: string; after?: string[] };

export interface HealthAttrs {
  checks: HealthCheck[];
  /** Seconds for all checks together. */
  timeout: number;
  /** Seconds between polls. */
  interval: number;
}

export const healthSpec: KindSpec<HealthAttrs> = {
  type: "health",
  description: "the health gate",
  replaceOn: [],
  onDependencyChange: "update",
  restartsDependents: false,
  render: { checks: "list" },
};
