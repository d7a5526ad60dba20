// compose.stack: the project's compose file run as one compose project per slot.

import type { KindSpec } from "../spec.js";

export interface ComposeAttrs {
  /** Compose project name (`-p`): `<project>-slot-<N>`. */
  project: string;
  /** The compose file in the worktree. */
  compose_file: string;
  /** The copy taken at apply time (destroy works from it after the worktree changes). */
  copy: string;
  override: string;
  env_file: string;
  secrets_file: string | null;
  services: string[];
  /** Named volumes compose created for this project (known after apply). */
  volumes?: string[];
  /** Services that build an image: their context directory and Dockerfile (absent when none does). */
  builds?: Record<string, { context: string; dockerfile: string }>;
  /**
   * Hash of each build context as built (recorded at apply, .dockerignore respected);
   * a plan that finds another hash rebuilds that image.
   */
  build_hashes?: Record<string, string>;
}

export const composeSpec: KindSpec<ComposeAttrs> = {
  type: "compose",
  description: "a Docker Compose project",
  replaceOn: ["project"],
  onDependencyChange: "update",
  restartsDependents: true,
  computed: ["volumes", "build_hashes"],
  render: { services: "list", volumes: "list", builds: "map", build_hashes: "map" },
};

/** Labels sbx puts on every container, volume and network it owns. */
export const OWNER_LABEL = "dev.sbx.instance";
