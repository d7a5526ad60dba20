// Data shapes shared by the `sbx init` core: the injected reader, what detection finds,
// and what a plan proposes. No behaviour here.

import type { Diagnostic, SourcePos } from "../diagnostics.js";

/**
 * File access for init, relative to the repository root (POSIX separators).
 * The CLI backs it with the file system and git; tests back it with a map.
 */
export interface InitReader {
  /** Text of a file, or undefined when it is missing, unreadable or a directory. */
  read(rel: string): string | undefined;
  /**
   * Files of the work tree that git does not ignore (tracked and untracked), e.g.
   * `git ls-files --cached --others --exclude-standard`. Used to find `*.example`
   * files and a health route in the sources.
   */
  list(): string[];
  /** True when git ignores the path (`git check-ignore -q`). */
  isIgnored(rel: string): boolean;
}

/** The host side of one published port. */
export type HostPort =
  | { kind: "fixed"; port: number }
  | { kind: "range"; from: number; to: number }
  /** `${NAME}`, `${NAME:-8080}`, `$NAME`; `default` only when it is a plain port number. */
  | { kind: "var"; name: string; op?: string; default?: number }
  /** No host port given (`"80"`, `"127.0.0.1::80"`): Docker picks a free one. */
  | { kind: "ephemeral" }
  /** Anything else (`${A}-${B}`, `$A$B`): left alone and reported. */
  | { kind: "unknown"; text: string };

/** One entry of a service's `ports:` list. */
export interface PortUse {
  service: string;
  /** Index in the service's `ports:` list. */
  index: number;
  form: "short" | "long";
  /** The text the host port was read from (the short spec, or long form `published`). */
  raw: string;
  hostIp?: string;
  host: HostPort;
  /** Container port or range as written ("80", "8000-8001"); "" when absent. */
  container: string;
  protocol?: string;
  /** Where the host port is written (the short scalar, or the `published` value, or the entry). */
  pos: SourcePos;
}

/** A `${NAME...}` / `$NAME` reference in a compose value. */
export interface VarUse {
  name: string;
  /** `:-`, `-`, `:?`, `?`, `:+`, `+` or undefined for a bare reference. */
  op?: string;
  /** The operator's argument as written (may itself hold references). */
  arg?: string;
  pos: SourcePos;
  /** Option path of the value holding it, e.g. services.web.environment.LOG_LEVEL. */
  at: string;
}

export interface HealthUrl {
  service: string;
  /** Container port the healthcheck calls. */
  port: number;
  path: string;
  pos: SourcePos;
}

/** A host path a service needs from the work tree: a bind-mount source or an `env_file`. */
export interface HostPathUse {
  service: string;
  kind: "bind" | "env_file";
  /** Normalised, relative to the repository root. */
  path: string;
  pos: SourcePos;
}

export interface EnvLiteral {
  service: string;
  name: string;
  pos: SourcePos;
}

export interface ServiceScan {
  name: string;
  pos: SourcePos;
  ports: PortUse[];
  containerName?: SourcePos;
  /** `network_mode: host`: the service binds host ports itself, beyond what `ports:` says. */
  hostNetwork?: SourcePos;
  health: HealthUrl[];
  hostPaths: HostPathUse[];
  /** `environment:` entries with a literal (non-interpolated) value, names only. */
  envLiterals: EnvLiteral[];
  hasBuild: boolean;
}

/** What one compose file holds, with positions. */
export interface ComposeScan {
  file: string;
  /** False when the YAML did not parse or has no `services:` mapping. */
  ok: boolean;
  services: ServiceScan[];
  vars: VarUse[];
  diags: Diagnostic[];
}

export interface EnvCandidate {
  name: string;
  /** Known default (compose `:-` default, else the example file's value). */
  value?: string;
  /** Where it was seen, for the comment next to it: "docker-compose.yml:9". */
  source: string;
}

export interface SecretCandidate {
  name: string;
  source: string;
}

export interface FileCandidate {
  /** Destination in the worktree. */
  dest: string;
  /** Source in the main checkout; undefined when neither the file nor an example exists. */
  source?: string;
  /** Why it is needed, for the comment: "bind mount of services.web", ".example file". */
  reason: string;
}

export interface HealthCandidate {
  endpoint: string;
  /** The port variable, resolved by the port assignment (service + container port). */
  service?: string;
  containerPort?: number;
  /** "healthcheck" (compose test URL: certain), "source" (a route literal: a guess), "flag". */
  origin: "healthcheck" | "source" | "flag";
  evidence: string;
}

export interface ProjectName {
  name: string;
  /** Where it came from: "package.json", "pyproject.toml", ".devops-ai/project.md", "directory". */
  origin: string;
}

export interface Detection {
  project: ProjectName;
  /** Compose file relative to the repository root, when one exists. */
  composeFile?: string;
  compose?: ComposeScan;
  /** Other compose files present but not used. */
  otherComposeFiles: string[];
  env: EnvCandidate[];
  secrets: SecretCandidate[];
  files: FileCandidate[];
  health: HealthCandidate[];
  /** A command that starts the app (package.json `dev`/`start` script), for a process backend. */
  command?: string;
  commandSource?: string;
  diags: Diagnostic[];
}
