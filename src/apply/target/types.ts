// A target is where a kind's side effects happen: run a command, read and write files,
// probe a port, manage processes. Local today; ssh:// and a cluster context plug in here.

export interface RunOptions {
  cwd?: string;
  /** The whole environment of the child (nothing is inherited implicitly). */
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
}

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved, as a person would have seen them. */
  all: string;
  timedOut: boolean;
  /** The program itself could not be started (not installed). */
  notFound: boolean;
}

/** A command's result with stdout as bytes (tar streams, volume exports). */
export interface BytesResult {
  exitCode: number;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
}

export interface FileStat {
  kind: "file" | "dir" | "symlink" | "other";
  mode: number;
  size: number;
}

export type Probe =
  | { type: "none" }
  | { type: "tcp"; host?: string; port: number }
  | { type: "http"; host?: string; port: number; path?: string; status?: number[]; json_min_length?: number }
  | { type: "exec"; command: string; cwd?: string; env?: NodeJS.ProcessEnv };

export type ProbeResult = { ok: true } | { ok: false; error: string };

/** Local process control (process groups, /proc facts, owner markers). */
export interface ProcessControl {
  /** Start a detached process group; returns the leader's pid. */
  /** `what` names the process in errors (a service, not the supervisor that runs it). */
  spawnDetached(argv: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; what?: string }): number;
  /** Start time of pid (clock ticks since boot), undefined when gone or a zombie. */
  startTime(pid: number): string | undefined;
  pgidOf(pid: number): number | undefined;
  /** Processes whose environment carries `marker=<value>` with value starting with `prefix`. */
  withMarker(marker: string, prefix: string): { pid: number; value: string }[];
  /** SIGTERM the group, then SIGKILL after the grace period. */
  stopGroup(pgid: number, graceMs: number): Promise<void>;
  commandOf(pid: number): string;
}

export interface Target {
  /** "local", or the placement it reaches (ssh://user@host). */
  readonly name: string;
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  /** Run a command with binary stdin and stdout (a tar stream in or out). */
  runBytes(argv: string[], opts?: { cwd?: string; input?: Buffer; timeoutMs?: number }): Promise<BytesResult>;
  /** Run a command and yield its output lines as they come (logs -f). */
  lines(argv: string[], opts?: RunOptions): AsyncIterable<string>;
  /** File contents, or undefined when there is no such file. */
  readFile(p: string): Promise<Buffer | undefined>;
  /** Atomic write (temp, fsync, rename), creating parent directories. */
  writeFile(p: string, data: string | Buffer, mode?: number): Promise<void>;
  /** Append to a file (created 0600 with its parent directories when missing): one write, no new file per call. */
  appendFile(p: string, data: string): Promise<void>;
  remove(p: string, opts?: { recursive?: boolean }): Promise<void>;
  /** lstat: undefined when missing. */
  stat(p: string): Promise<FileStat | undefined>;
  realpath(p: string): Promise<string | undefined>;
  /** Names in a directory, sorted; undefined when it is not a readable directory. Optional: a target without it cannot hash build contexts. */
  readDir?(p: string): Promise<string[] | undefined>;
  mkdir(p: string, mode?: number): Promise<void>;
  isPortFree(port: number): Promise<boolean>;
  /** Pids listening on a port (best effort). */
  portListeners(port: number): Promise<number[]>;
  probe(p: Probe, timeoutMs: number): Promise<ProbeResult>;
  /** Present only where sbx can manage processes directly (the local host). */
  readonly processes?: ProcessControl;
}
