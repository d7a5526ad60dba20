// Generated from schemas/infra.schema.json by scripts/gen-types.mjs. Do not edit.

export type Port =
  | number
  | {
      base: number;
      stride?: number;
      container?: number;
      service?: string;
      standard?: number;
    };
export type Mount = string;

/**
 * infra.toml: a per-repository sandbox (kinfra superset).
 */
export interface InfraConfig {
  /**
   * Name of a profile to use as defaults (priority 1000).
   */
  profile?: string;
  /**
   * Profiles to layer under this file.
   */
  extends?: string[];
  project?: {
    /**
     * Project name: letters, digits, -, _ and . (lowercased for compose project names).
     */
    name: string;
    prefix?: string;
  };
  sandbox?: {
    compose_file?: string;
    backend?: "process" | "compose" | "swarm" | "microvm" | "kubernetes";
    profile?: string;
    ttl?: string;
    /**
     * Where the sandbox runs: local (the default) or ssh://[user@]host[:port] (the compose backend on that host's Docker engine). A profile's `placement` sets it at priority 1000.
     */
    placement?: string;
    /**
     * On a remote placement, the directory that holds <instance>/worktree (the files the compose file needs) and <instance>/state (env and secrets files, the compose copy and override).
     */
    remote_root?: string;
    /**
     * Also write .env.sandbox into the worktree root (kinfra's earlier layout), for tools that read it there. sbx lists it in the repository's .git/info/exclude, so it is never committed; a file already there is kept and restored on destroy.
     */
    env_file_in_worktree?: boolean;
    /**
     * The slots sbx picks from on its own (default 1-100). Slot 0, the standard ports, is never picked: `sbx apply --slot 0` claims it on request.
     */
    slots?: {
      min?: number;
      max?: number;
    };
    ports?: {
      [k: string]: Port | undefined;
    };
    health?: Health;
    mounts?: {
      code?: Mount[];
      code_targets?: string[];
      shared?: Mount[];
      shared_targets?: string[];
    };
    otel?: {
      endpoint_var?: string;
      namespace_var?: string;
      endpoint?: string;
      network?: string;
    };
    env?: EnvMap;
    secrets?: {
      [k: string]: string | undefined;
    };
    files?: {
      [k: string]: string | undefined;
    };
  };
  services?: {
    [k: string]: Service | undefined;
  };
}
export interface Health {
  endpoint?: string;
  port_var?: string;
  timeout?: number;
  interval?: number;
  checks?: Check[];
}
export interface Check {
  name?: string;
  type: "tcp" | "http" | "exec";
  port_var?: string;
  port?: number;
  host?: string;
  path?: string;
  status?: number[];
  json_min_length?: number;
  command?: string;
  after?: string[];
}
export interface EnvMap {
  [k: string]: string | number | boolean | undefined;
}
export interface Service {
  command: string | [string, ...string[]];
  cwd?: string;
  env?: EnvMap;
  /**
   * Name of a [sandbox.ports] variable this service listens on.
   */
  port?: string;
  depends_on?: string[];
  ready?: {
    type?: "tcp" | "http" | "exec" | "none";
    path?: string;
    command?: string;
    timeout?: number;
  };
  stop_grace?: number;
}
