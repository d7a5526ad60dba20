// swarm.stack: the project's compose file deployed as one Docker Swarm stack per slot
// (`docker stack deploy -c <copy> -c <override> <project>-slot-<N>`).

import type { KindSpec } from "../spec.js";

export interface SwarmAttrs {
  /** Stack name (the namespace of every service, network, volume, config): `<project>-slot-<N>`. */
  stack: string;
  /** The compose file in the worktree (shown; the copy is what is deployed). */
  compose_file: string;
  /** The rewritten copy sbx deploys: interpolated from the slot's env, ports in host mode, paths absolute. */
  copy: string;
  /** Owner labels, env, sbx secrets (`file.swarm_override`). */
  override: string;
  /** The 0600 secrets file the values are read from at apply time (never a value in attrs). */
  secrets_file: string | null;
  services: string[];
  /** Desired replicas per service (a number, or "global"). */
  replicas: Record<string, number | "global">;
  /** Published ports, one line each: `web: 29000 -> 80/tcp (host mode)`. */
  ports: string[];
  /** [sandbox.secrets] names, each delivered as the file /run/secrets/<NAME>. */
  secrets: string[];
  /** Seconds apply waits for every service's replicas to run. */
  wait_timeout: number;
  /** Swarm secret objects holding the current versions, by name (known after apply). */
  secret_objects?: Record<string, string>;
}

export const swarmSpec: KindSpec<SwarmAttrs> = {
  type: "swarm",
  description: "a Docker Swarm stack",
  replaceOn: ["stack"],
  onDependencyChange: "update",
  restartsDependents: true,
  computed: ["secret_objects"],
  render: { services: "list", ports: "list", secrets: "list", replicas: "map", secret_objects: "map" },
};

/** Labels of the owner, as on compose stacks (kinds/compose/kind.ts uses the same instance label). */
export const OWNER_LABEL = "dev.sbx.instance";
/** Swarm's own label naming the stack an object belongs to. */
export const NAMESPACE_LABEL = "com.docker.stack.namespace";
/** On sbx-created Swarm secrets: the stack and the [sandbox.secrets] name they hold. */
export const STACK_LABEL = "dev.sbx.stack";
export const SECRET_LABEL = "dev.sbx.secret";

/** Where a [sandbox.secrets] value appears inside every container. */
export const secretPath = (name: string) => `/run/secrets/${name}`;

/** The environment variable `docker stack deploy` reads the versioned secret object name from. */
export const secretNameVar = (name: string) => `SBX_SECRET_OBJECT_${name}`;

/** The override's key for an sbx secret (kept apart from secrets the compose file declares). */
export const secretKey = (name: string) => `sbx_${name}`;
