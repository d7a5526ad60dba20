// Generated from schemas/profile.schema.json by scripts/gen-types.mjs. Do not edit.

/**
 * A named, versioned sandbox recipe (sand-boxer profiles).
 */
export interface ProfileConfig {
  id: string;
  version: number | string;
  description?: string;
  extends?: string[];
  /**
   * Extension that fulfils the profile: process, compose, swarm, microvm, kubernetes.
   */
  backend?: string;
  /**
   * Where the sandbox runs: local, ssh://[user@]host[:port], swarm://[[user@]host[:port]] or k8s://<context>[/<namespace>] (a '/' in a context name is written %2F; no namespace means one of the sandbox's own).
   */
  placement?: string;
  /**
   * Time to live of a sandbox made from this profile (30m, 8h, 2d): recorded as expires_at; `sbx expire --apply` destroys it once passed.
   */
  ttl?: string;
  route?: {
    /**
     * How one candidate is chosen: explicit (the first reachable, in the order written), prefer-self-hosted (the first reachable self-hosted one, else the first reachable), lowest-latency (probed round trip), lowest-cost (the `cost` of each candidate).
     */
    strategy?: "prefer-self-hosted" | "lowest-cost" | "lowest-latency" | "explicit";
    /**
     * How long a candidate may take to answer its probe before it counts as unreachable (default 10s).
     */
    probe_timeout?: string;
    candidates?: (
      | string
      | {
          /**
           * Shown in the plan (default: the placement).
           */
          name?: string;
          placement: string;
          /**
           * The backend on this candidate (default: the configured one).
           */
          backend?: string;
          /**
           * What running here costs, in any unit you compare by (per hour, say): lowest-cost picks the smallest.
           */
          cost?: number;
          /**
           * A host you run (default true); prefer-self-hosted tries these first.
           */
          self_hosted?: boolean;
        }
    )[];
  };
  reachability?: {
    ssh?: boolean;
    tunnel?: string;
    tunnel_via?: string;
    identity?: string;
  };
  setup?: {
    instructions?: string;
    secret_refs?: {
      [k: string]: string | undefined;
    };
  };
  /**
   * Values given when a sandbox is created (`sbx apply --profile NAME --input NAME=VALUE`, or `inputs` in the API), used in string options as ${inputs.NAME}. An input without a default is required.
   */
  inputs?: {
    [k: string]:
      | {
          description?: string;
          default?: string | number | boolean;
        }
      | undefined;
  };
  /**
   * Defaults for any infra.toml or agent.toml option, applied at priority 1000.
   */
  defaults?: {
    infra?: {};
    agent?: {};
  };
}
