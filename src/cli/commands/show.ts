// `sbx show PLANFILE`: the same renderers `sbx plan` uses, from the saved JSON.

import { err, Exit } from "../output.js";
import { printPlan, readPlanFile, PlanFileError } from "./plan.js";

export function showCommand(file: string, flags: { json?: boolean; markdown?: boolean }): void {
  try {
    printPlan(readPlanFile(file), flags);
  } catch (e) {
    if (e instanceof PlanFileError) {
      err(`error: ${e.message}`);
      throw new Exit(1);
    }
    throw e;
  }
}
