// Loads the Kubernetes compiler fixtures (fixtures/kubernetes/<case>/) and formats diagnostics.

import * as fs from "node:fs";
import * as path from "node:path";
import type { Diagnostic } from "../../src/compile/diagnostics.js";
import { readComposeServices } from "../../src/compile/kubernetes/compose-input.js";
import type { KubeInput } from "../../src/compile/kubernetes/types.js";

export const CASES_DIR = path.join(path.dirname(new URL(import.meta.url).pathname), "..", "..", "fixtures", "kubernetes");

export function caseNames(): string[] {
  return fs.readdirSync(CASES_DIR).filter((n) => fs.statSync(path.join(CASES_DIR, n)).isDirectory()).sort();
}

/** The case's KubeInput, with compose.yml (when present) read into the compose workload. */
export function loadCase(name: string): { input: KubeInput; diags: Diagnostic[] } {
  const dir = path.join(CASES_DIR, name);
  const raw = JSON.parse(fs.readFileSync(path.join(dir, "input.json"), "utf8")) as Omit<KubeInput, "workload"> & { workload?: KubeInput["workload"] };
  const composePath = path.join(dir, "compose.yml");
  if (fs.existsSync(composePath)) {
    const r = readComposeServices(fs.readFileSync(composePath, "utf8"), "compose.yml");
    return { input: { ...raw, workload: { kind: "compose", services: r.value } }, diags: r.diags };
  }
  if (!raw.workload) throw new Error(`fixture ${name}: neither compose.yml nor input.workload`);
  return { input: raw as KubeInput, diags: [] };
}

export function formatDiags(diags: readonly Diagnostic[]): string {
  return diags
    .map((d) => {
      const loc = d.range ? `${d.range.file}:${d.range.start.line}:${d.range.start.col}: ` : "";
      return `${loc}${d.severity}: ${d.summary}${d.detail ? `\n  ${d.detail}` : ""}\n`;
    })
    .join("");
}

/** Compare with a golden file; UPDATE_GOLDEN=1 rewrites it. */
export function golden(file: string, actual: string): string {
  if (process.env.UPDATE_GOLDEN || !fs.existsSync(file)) {
    if (!process.env.UPDATE_GOLDEN) throw new Error(`missing golden ${file}; run with UPDATE_GOLDEN=1 and review it`);
    fs.writeFileSync(file, actual);
  }
  return fs.readFileSync(file, "utf8");
}
