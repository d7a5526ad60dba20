// Golden files: compare output with a checked-in file; UPDATE_GOLDEN=1 rewrites it (review
// every rewritten golden by eye before committing: the first output is not automatically right).

import * as fs from "node:fs";
import * as path from "node:path";
import * as assert from "uvu/assert";
import { parsePlanFile } from "../../src/plan/planfile.js";
import type { Plan } from "../../src/plan/model.js";

export function assertGolden(file: string, actual: string): void {
  if (process.env.UPDATE_GOLDEN) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, actual);
  }
  if (!fs.existsSync(file)) assert.unreachable(`golden ${file} is missing: run with UPDATE_GOLDEN=1 and review it`);
  assert.fixture(actual, fs.readFileSync(file, "utf8"));
}

/** A fixture plan, read the way `sbx show` reads a saved plan: parsed and schema-checked. */
export function loadPlanFixture(file: string): Plan {
  const { plan, diags } = parsePlanFile(fs.readFileSync(file, "utf8"), file);
  if (!plan) throw new Error(`${file}: ${diags.map((d) => `${d.summary}: ${d.detail ?? ""}`).join("; ")}`);
  return plan;
}
