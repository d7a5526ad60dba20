// An in-memory fake kind for engine tests: it touches nothing, records every call in
// order, counts how many run at once, and fails, keeps or pauses where a test says so.
// It checks engine scheduling only; it says nothing about any real driver.

import * as os from "node:os";
import { Redactor } from "../../src/apply/secrets/redact.js";
import { localTarget } from "../../src/apply/target/local.js";
import { KindRegistry, type DeleteResult, type Driver, type DriverContext, type Kind } from "../../src/kinds/driver.js";
import type { KindSpec } from "../../src/kinds/spec.js";
import type { ResourceChange } from "../../src/plan/model.js";

export const FAKE = "fake";

export type FakeOp = "create" | "update" | "delete";

export interface FakeCall {
  op: FakeOp;
  address: string;
  /** Passed to create: an earlier run began creating this and died. */
  recovering?: boolean;
}

export interface FakeWorldOptions {
  /** `op address` pairs that throw, e.g. "create fake.a". */
  fail?: string[];
  /** Address → the `kept` message its delete returns. */
  kept?: Record<string, string>;
  /** Runs at the start of every call, before the fake "works" (inspect the journal, request a stop...). */
  onCall?: (call: FakeCall) => void;
  /** Milliseconds each call takes (default 2): long enough for others to start meanwhile. */
  ms?: number;
}

export class FakeWorld {
  /** Calls in the order they started. */
  readonly calls: FakeCall[] = [];
  /** "start op address" / "end op address" in the order they happened. */
  readonly events: string[] = [];
  running = 0;
  maxRunning = 0;
  readonly kind: Kind;
  readonly kinds: KindRegistry;

  constructor(private readonly opts: FakeWorldOptions = {}) {
    const spec: KindSpec = { type: FAKE, description: "in-memory fake (engine tests only)", replaceOn: "all", restartsDependents: false };
    const driver: Driver = {
      type: FAKE,
      read: async () => ({ status: "ok" }),
      create: async (_ctx, r, o) => {
        await this.call({ op: "create", address: r.address, recovering: o?.recovering ?? false });
        return { output: { created: true }, attrs: { made_by: "create" } };
      },
      update: async (_ctx, r) => {
        await this.call({ op: "update", address: r.address });
        return { output: { updated: true } };
      },
      delete: async (_ctx, prior): Promise<DeleteResult | void> => {
        await this.call({ op: "delete", address: prior.address });
        const kept = this.opts.kept?.[prior.address];
        return kept ? { kept } : undefined;
      },
    };
    this.kind = { spec, driver };
    this.kinds = new KindRegistry();
    this.kinds.register(this.kind);
  }

  private async call(c: FakeCall): Promise<void> {
    this.calls.push(c);
    this.events.push(`start ${c.op} ${c.address}`);
    this.running++;
    this.maxRunning = Math.max(this.maxRunning, this.running);
    try {
      this.opts.onCall?.(c);
      await new Promise((r) => setTimeout(r, this.opts.ms ?? 2));
      if (this.opts.fail?.includes(`${c.op} ${c.address}`)) throw new Error(`fake ${c.op} of ${c.address} failed`);
    } finally {
      this.running--;
      this.events.push(`end ${c.op} ${c.address}`);
    }
  }
}

/** A driver context for the fake: nothing in it is used for side effects. */
export function fakeContext(stateDir: string, log: string[] = []): DriverContext {
  return {
    home: stateDir,
    instanceId: "fake-00000000",
    stateDir,
    worktree: os.tmpdir(),
    main: os.tmpdir(),
    env: {},
    target: localTarget,
    source: localTarget,
    onTarget: { worktree: os.tmpdir(), state: stateDir },
    redactor: new Redactor(),
    secretRefs: {},
    force: false,
    refreshSecrets: false,
    command: "test",
    log: (line) => log.push(line),
  };
}

/** A change of the fake kind. */
export function fakeChange(address: string, action: ResourceChange["action"], dependsOn: string[] = [], attrs: Record<string, unknown> = { v: 1 }): ResourceChange {
  return {
    address,
    type: FAKE,
    action,
    reasons: [],
    before: action === "create" ? null : attrs,
    after: action === "delete" ? null : attrs,
    sensitive: [],
    replace_paths: [],
    render: {},
    depends_on: dependsOn,
  };
}
