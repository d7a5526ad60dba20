// The backend contract: a backend turns merged configuration plus a slot into resources.

import type { Diagnostic } from "../diagnostics.js";
import type { ResolvedConfig, SourceReader } from "../config.js";
import type { Artefact, Resource } from "../../kinds/spec.js";
import type { Placement, PlacementKind } from "../placement.js";
import type { PortSpec } from "../ports.js";

export interface Roots {
  worktree: string;
  main: string;
  state: string;
}

export interface BuildContext {
  slot: number;
  /** Directory of infra.toml relative to the worktree ("" at the top); service cwds start there. */
  configRel: string;
  instanceId: string;
  /** Paths as they appear in generated resources (symbolic for offline review). */
  roots: Roots;
  /** The real worktree directory, for reading the files a backend builds from (the compose file). */
  sourceDir: string;
  /** File access, injected so compile stays pure. */
  reader: SourceReader;
  /** Where the sandbox runs (a route's choice); absent: the configured `sandbox.placement`. */
  placement?: Placement;
}

export interface Url {
  name: string;
  url: string;
}

export interface BuildResult {
  resources: Resource[];
  diags: Diagnostic[];
  /** Where the sandbox answers once applied. */
  urls: Url[];
  /** The non-secret environment, as in .env.sandbox (what `sbx env` prints). */
  env: Record<string, string>;
  /** Texts of the extra files read (shown under located errors), by display name. */
  texts: Map<string, string>;
  /** Files for `compile --out` that belong to no resource (microvm: keystone-agent.nix). */
  /** Checks that load something first (Kubernetes API schemas): plan, validate and compile run them. Pure. */
  check?: () => Promise<Diagnostic[]>;
  /** Files the backend as a whole adds to `compile --out` (one manifest file for many resources). */
  artefacts?: Artefact[];
}

export interface Backend {
  readonly name: string;
  /** The placements this backend honours (default: only "local"); any other is a located error. */
  readonly placements?: readonly PlacementKind[];
  build(config: ResolvedConfig, ctx: BuildContext, ports: Record<string, number>): BuildResult;
  /** Ports the backend adds to the slot without [sandbox.ports] declaring them (microvm: SSH_PORT). */
  extraPorts?(config: ResolvedConfig): PortSpec[];
}
