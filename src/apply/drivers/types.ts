// The driver contract: one driver per resource type (read, create, update, delete).

import type { Observation } from "../../plan/diff.js";
import type { Redactor } from "../secrets/redact.js";
import type { StateResource } from "../state.js";

export interface DriverContext {
  home: string;
  instanceId: string;
  stateDir: string;
  worktree: string;
  main: string;
  env: NodeJS.ProcessEnv;
  redactor: Redactor;
  /** Progress lines (already redacted by the caller's printer). */
  log(line: string): void;
  /** Set by `--force`: allow deleting files edited outside sbx. */
  force: boolean;
  /** The sbx command running (recorded with locks it takes). */
  command: string;
}

export interface ResourceInput {
  address: string;
  type: string;
  attrs: Record<string, unknown>;
}

/** A failure the user can fix; `lines` are printed in the provisioning report. */
export class DriverError extends Error {
  constructor(
    message: string,
    readonly lines: string[] = [message],
    readonly kind: "provision" | "health" | "runtime" = "runtime",
  ) {
    super(message);
  }
}

export interface Driver {
  type: string;
  /** Look at the real thing recorded in state. */
  read(ctx: DriverContext, prior: StateResource): Promise<Observation>;
  create(ctx: DriverContext, r: ResourceInput): Promise<Record<string, unknown>>;
  update(ctx: DriverContext, r: ResourceInput, prior: StateResource): Promise<Record<string, unknown>>;
  delete(ctx: DriverContext, prior: StateResource): Promise<void>;
}
