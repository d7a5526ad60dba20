// The driver contract: how a kind touches the world. Four required operations, plus
// optional capabilities that callers find by type guard, so the core contract stays small.

import type { Diagnostic } from "../compile/diagnostics.js";
import type { Observation } from "../plan/model.js";
import type { Redactor } from "../apply/secrets/redact.js";
import type { StateResource } from "../apply/state.js";
import type { Target } from "../apply/target/types.js";
import type { Placement } from "../compile/placement.js";
import type { KindSpec, Resource } from "./spec.js";

export interface DriverContext {
  readonly home: string;
  readonly instanceId: string;
  readonly stateDir: string;
  readonly worktree: string;
  readonly main: string;
  readonly env: NodeJS.ProcessEnv;
  /** Where side effects happen: the only way a driver runs a command or touches a file or port. */
  readonly target: Target;
  /** This machine, where the main repository and the worktree are read (copy sources); `target` may be another host. */
  readonly source: Target;
  /** Where the sandbox runs: the placement recorded in state, the configured one (a resolved k8s:// context and namespace...), or a route's choice; discover looks there. */
  readonly placement?: Placement;
  /** Directories on the target: the worktree the sandbox runs from and a private state directory (backups). Locally the worktree and `stateDir`; on another host, under its remote root. */
  readonly onTarget: { readonly worktree: string; readonly state: string };
  readonly redactor: Redactor;
  /** Raw secret references (literal values included) for the secrets kind; never in a plan. */
  readonly secretRefs: Readonly<Record<string, string>>;
  /** `--force`: allow deleting files edited outside sbx. */
  readonly force: boolean;
  /** Re-resolve secrets that are slow to resolve (op://) at plan time. */
  readonly refreshSecrets: boolean;
  /** The sbx command running (recorded with locks it takes). */
  readonly command: string;
  /** `apply --build`: rebuild images even when their build context is unchanged. */
  readonly build?: boolean;
  /** `--no-wait`: skip the health gate. */
  readonly noWait?: boolean;
  /** `--timeout`: seconds for the health gate instead of the configured timeout. */
  readonly healthTimeout?: number;
  /** A progress line; the printer redacts it. */
  log(line: string): void;
  /** A resource's operation began or ended (a terminal shows what is running, with elapsed time). */
  progress?(e: ProgressEvent): void;
}

export interface ProgressEvent {
  address: string;
  /** begin, then done or failed. */
  phase: "begin" | "done" | "failed";
  /** "Creating", "Destroying", ... */
  verb: string;
}

export interface ApplyResult<A extends object = Record<string, unknown>> {
  /** Driver-owned facts kept in state (pid, hashes, fingerprints). Never secret values. */
  output: Record<string, unknown>;
  /** Attribute values only apply could know, merged over the planned attributes. */
  attrs?: Partial<A>;
}

export interface DeleteResult {
  /** Set when the driver deliberately left something in place: says what and why. */
  kept?: string;
  /** What was kept is still sbx's (a file edited since sbx wrote it): it stays in state, so `--force` can finish the delete. */
  needsForce?: boolean;
  /** With needsForce: the output to keep in state, naming only what is still there (default: the prior output). */
  output?: Record<string, unknown>;
}

export interface DeleteOptions {
  /** Deleted only to be created again (replace, or recreate what went missing): data that the new one reuses stays. */
  replacedBy?: Resource;
}

/** A failure the user can fix; `lines` are printed in the report. */
export class DriverError extends Error {
  constructor(
    message: string,
    readonly lines: string[] = [message],
    readonly kind: "provision" | "health" | "runtime" = "runtime",
  ) {
    super(message);
  }
}

export interface CreateOptions {
  /** An earlier run began creating this resource and died: parts of it may exist, made by sbx. */
  recovering: boolean;
}

export interface Driver<A extends object = Record<string, unknown>> {
  readonly type: string;
  /** Look at the real thing recorded in state. */
  read(ctx: DriverContext, prior: StateResource<A>): Promise<Observation>;
  create(ctx: DriverContext, r: Resource<A>, opts?: CreateOptions): Promise<ApplyResult<A>>;
  update(ctx: DriverContext, r: Resource<A>, prior: StateResource<A>): Promise<ApplyResult<A>>;
  delete(ctx: DriverContext, prior: StateResource<A>, opts?: DeleteOptions): Promise<DeleteResult | void>;
}

/** Refines desired attributes at plan time (values known only on this host, e.g. secret fingerprints). */
export interface Planner<A extends object = Record<string, unknown>> {
  /** `force`: update even though nothing differs (`apply --build`), with this reason. */
  plan(ctx: DriverContext, desired: Resource<A>, prior: StateResource<A> | undefined): Promise<{ attrs: A; reasons: string[]; force?: string }>;
}

export interface ResourceStatus {
  state: "running" | "stopped" | "ok" | "missing" | "drifted";
  detail?: string;
  urls?: string[];
  /** The services inside one resource (a compose stack's), each with its state and URLs. */
  services?: { name: string; state: string; urls: string[] }[];
}

/** For `sbx status`. */
export interface StatusReporter<A extends object = Record<string, unknown>> {
  status(ctx: DriverContext, prior: StateResource<A>): Promise<ResourceStatus>;
}

export interface LogOptions {
  tail: number;
  follow: boolean;
  service?: string;
}

/** For `sbx logs`: lines already redacted. */
export interface LogSource<A extends object = Record<string, unknown>> {
  logs(ctx: DriverContext, prior: StateResource<A>, opts: LogOptions): AsyncIterable<string>;
  /** Names of the services this resource logs for (to check a `sbx logs NAME`). */
  logNames(prior: StateResource<A>): string[];
}

/** Finds what this instance owns by owner label or marker, for destroy and gc when state is lost. */
export interface Discoverer {
  discover(ctx: DriverContext): Promise<StateResource[]>;
}

/** Computed attributes as they are now (a stack's volumes), so a destroy plan names what will go. */
export interface Refresher<A extends object = Record<string, unknown>> {
  refresh(ctx: DriverContext, prior: StateResource<A>): Promise<Partial<A>>;
}

/** What a delete would leave in place and why (shown in destroy plans); undefined when it goes. */
export interface DeletePreview<A extends object = Record<string, unknown>> {
  keeps(ctx: DriverContext, prior: StateResource<A>): Promise<string | undefined>;
}

/** Tells whether a busy port is held by this resource (so it is not reported as foreign). */
export interface PortHolder<A extends object = Record<string, unknown>> {
  holdsPort(ctx: DriverContext, prior: StateResource<A>, port: number): Promise<boolean>;
}

/**
 * Checks, before apply changes anything (no slot claim, no state, no file), that this host
 * can do what the plan asks of this kind; each problem names what the host needs. Called
 * once per kind with every resource of that kind the plan creates, updates or replaces.
 */
export interface Preflight<A extends object = Record<string, unknown>> {
  preflight(ctx: DriverContext, desired: Resource<A>[]): Promise<Diagnostic[]>;
}

export const hasPreflight = <A extends object>(d: Driver<A>): d is Driver<A> & Preflight<A> => typeof (d as Partial<Preflight<A>>).preflight === "function";

/**
 * For `sbx stop` / `sbx start`: pause and resume without removing anything (the slot,
 * volumes and files stay). Each returns the output to keep in state; `stop` marks it with
 * `stopped` (when), so `read` calls a deliberately stopped resource ok, not drifted.
 */
export interface Stoppable<A extends object = Record<string, unknown>> {
  stop(ctx: DriverContext, prior: StateResource<A>): Promise<ApplyResult<A>>;
  start(ctx: DriverContext, prior: StateResource<A>): Promise<ApplyResult<A>>;
}

/** When `sbx stop` stopped this resource, or undefined when it was not stopped. */
export function stoppedAt(prior: { output: Record<string, unknown> }): string | undefined {
  return typeof prior.output.stopped === "string" ? prior.output.stopped : undefined;
}

/** Output marked as stopped now (what Stoppable.stop returns). */
export function markStopped(output: Record<string, unknown>): Record<string, unknown> {
  return { ...output, stopped: new Date().toISOString() };
}

/** Output without the stopped mark. */
export function unmarkStopped(output: Record<string, unknown>): Record<string, unknown> {
  const { stopped: _was, ...rest } = output;
  return rest;
}

export const hasStopStart = <A extends object>(d: Driver<A>): d is Driver<A> & Stoppable<A> => typeof (d as Partial<Stoppable<A>>).stop === "function" && typeof (d as Partial<Stoppable<A>>).start === "function";
export const hasPlanner = <A extends object>(d: Driver<A>): d is Driver<A> & Planner<A> => typeof (d as Partial<Planner<A>>).plan === "function";
export const hasStatus = <A extends object>(d: Driver<A>): d is Driver<A> & StatusReporter<A> => typeof (d as Partial<StatusReporter<A>>).status === "function";
export const hasLogs = <A extends object>(d: Driver<A>): d is Driver<A> & LogSource<A> => typeof (d as Partial<LogSource<A>>).logs === "function";
export const hasDiscover = <A extends object>(d: Driver<A>): d is Driver<A> & Discoverer => typeof (d as Partial<Discoverer>).discover === "function";
export const hasRefresh = <A extends object>(d: Driver<A>): d is Driver<A> & Refresher<A> => typeof (d as Partial<Refresher<A>>).refresh === "function";
export const hasDeletePreview = <A extends object>(d: Driver<A>): d is Driver<A> & DeletePreview<A> => typeof (d as Partial<DeletePreview<A>>).keeps === "function";
export const hasPortHolder = <A extends object>(d: Driver<A>): d is Driver<A> & PortHolder<A> => typeof (d as Partial<PortHolder<A>>).holdsPort === "function";

/** A kind: its pure declaration and its driver, registered together with one line. */
export interface Kind<A extends object = Record<string, unknown>> {
  spec: KindSpec<A>;
  driver: Driver<A>;
}

/** Every kind sbx knows, by type. */
export class KindRegistry {
  private readonly byType = new Map<string, Kind<object>>();

  constructor(kinds: readonly Kind<object>[] = []) {
    for (const k of kinds) this.register(k);
  }

  register<A extends object>(kind: Kind<A>): void {
    if (kind.spec.type !== kind.driver.type) throw new Error(`bug: kind ${kind.spec.type} has a driver for ${kind.driver.type}`);
    this.byType.set(kind.spec.type, kind as unknown as Kind<object>);
  }

  get(type: string): KindSpec<object> | undefined {
    return this.byType.get(type)?.spec;
  }

  driver(type: string): Driver<object> {
    const k = this.byType.get(type);
    if (!k) throw new Error(`bug: no driver for resource type ${type}`);
    return k.driver;
  }

  all(): Kind<object>[] {
    return [...this.byType.values()];
  }
}
