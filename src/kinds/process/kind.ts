// process.*: a local service run as a detached process group (the process backend).

import type { KindSpec } from "../spec.js";

export type ReadyProbe =
  | { type: "none"; timeout: number }
  | { type: "tcp"; port: number; timeout: number }
  | { type: "http"; port: number; path: string; timeout: number }
  | { type: "exec"; command: string; timeout: number };

export interface ProcessAttrs {
  name: string;
  command: string[];
  cwd: string;
  env: Record<string, string>;
  secrets_file: string | null;
  port: number | null;
  ready: ReadyProbe;
  /** Seconds between SIGTERM and SIGKILL. */
  stop_grace: number;
}

export const processSpec: KindSpec<ProcessAttrs> = {
  type: "process",
  description: "a local service process",
  replaceOn: "all",
  onDependencyChange: "replace",
  restartsDependents: true,
  render: { env: "map", command: "list" },
  artefacts: (r) => [{ path: `processes/${r.attrs.name}.json`, content: JSON.stringify(r.attrs, Object.keys(r.attrs).sort(), 2) + "\n" }],
};

/** The environment marker that ties every process sbx starts to its instance and address. */
export const OWNER_VAR = "SBX_OWNER";
