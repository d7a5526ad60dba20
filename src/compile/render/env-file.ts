// `.env.sandbox`, byte-identical to kinfra's: project line, ports sorted, env sorted.

import { composeProjectName } from "../names.js";

export function renderEnvSandbox(opts: { project: string; slot: number; ports: Record<string, number>; env: Record<string, string> }): string {
  const lines = [`COMPOSE_PROJECT_NAME=${composeProjectName(opts.project, opts.slot)}`];
  for (const k of Object.keys(opts.ports).sort()) lines.push(`${k}=${opts.ports[k]}`);
  for (const k of Object.keys(opts.env).sort()) lines.push(`${k}=${opts.env[k]}`);
  return lines.join("\n") + "\n";
}
