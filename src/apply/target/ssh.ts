// The ssh:// target: commands, files, ports and probes on another host through the
// system ssh client (the user's ssh config, keys and known_hosts apply; SBX_SSH_COMMAND
// overrides the client command line, as GIT_SSH_COMMAND does for git). One multiplexed
// connection is reused for a few seconds. There is no process control on a remote host.

import * as fs from "node:fs";
import * as path from "node:path";
import { execa } from "execa";
import { parse as parseShell, quote } from "shell-quote";
import { DriverError } from "../../kinds/driver.js";
import { listeningInodesIn } from "./proc.js";
import type { FileStat, Probe, ProbeResult, RunOptions, RunResult, Target } from "./types.js";

export interface SshAddress {
  user?: string;
  host: string;
  port?: number;
}

export interface SshOptions {
  /** The client command line (default `ssh`, or $SBX_SSH_COMMAND). */
  sshCommand?: string;
  /** Where multiplexing sockets live (short path: a unix socket name is limited to ~100 bytes). */
  controlDir?: string;
}

export function sshName(a: SshAddress): string {
  return `ssh://${a.user ? `${a.user}@` : ""}${a.host}${a.port ? `:${a.port}` : ""}`;
}

function clientArgv(a: SshAddress, o: SshOptions): string[] {
  const words = parseShell(o.sshCommand ?? "ssh").filter((w): w is string => typeof w === "string");
  const control = o.controlDir ? ["-o", "ControlMaster=auto", "-o", `ControlPath=${path.join(o.controlDir, "%C")}`, "-o", "ControlPersist=15"] : [];
  return [...words, "-o", "BatchMode=yes", ...control, ...(a.port ? ["-p", String(a.port)] : []), `${a.user ? `${a.user}@` : ""}${a.host}`];
}

/** Variables the command needs beyond what the remote login already has: additions, changes and removals. */
function envDelta(env: NodeJS.ProcessEnv | undefined): { set: [string, string][]; unset: string[] } {
  if (!env) return { set: [], unset: [] };
  const set: [string, string][] = [];
  for (const [k, v] of Object.entries(env)) if (v !== undefined && process.env[k] !== v && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) set.push([k, v]);
  const unset = Object.keys(process.env).filter((k) => env[k] === undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k));
  return { set, unset };
}

function shellExport(set: readonly [string, string][]): string {
  return set.map(([k, v]) => `export ${k}=${quote([v])}`).join("\n") + "\n";
}

export function sshTarget(addr: SshAddress, opts: SshOptions = {}): Target {
  const o: SshOptions = { sshCommand: opts.sshCommand ?? process.env.SBX_SSH_COMMAND, controlDir: opts.controlDir };
  if (o.controlDir) fs.mkdirSync(o.controlDir, { recursive: true, mode: 0o700 });
  const base = clientArgv(addr, o);
  const name = sshName(addr);

  /** Run a shell script remotely with positional arguments; stdin from `input`. */
  async function sh(script: string, args: readonly string[], input?: string | Buffer, timeoutMs = 120_000) {
    const remote = quote(["sh", "-c", script, "sbx", ...args]);
    const r = await execa(base[0]!, [...base.slice(1), "--", remote], { input, reject: false, timeout: timeoutMs, encoding: "buffer", stripFinalNewline: false, stdin: input === undefined ? "ignore" : undefined, maxBuffer: 2 ** 31 - 1 });
    const text = (b: unknown) => Buffer.from((b ?? new Uint8Array()) as Uint8Array).toString("utf8");
    if ((r as { code?: string }).code === "ENOENT") throw new DriverError(`Cannot reach ${name}: the ssh client (${base[0]}) is not installed.`, undefined, "provision");
    // ssh exits 255 when it cannot connect or authenticate.
    if (r.exitCode === 255) throw new DriverError(`Cannot reach ${name}: ${text(r.stderr).trim() || "ssh failed"}. Check the host, your key and known_hosts (ssh ${addr.host} must work without a prompt).`, undefined, "provision");
    return { exitCode: r.exitCode ?? 1, stdout: Buffer.from((r.stdout ?? new Uint8Array()) as Uint8Array), stderr: text(r.stderr), timedOut: !!r.timedOut };
  }

  async function withEnv<T>(env: NodeJS.ProcessEnv | undefined, body: (prefix: string, envFile?: string) => Promise<T>): Promise<T> {
    const d = envDelta(env);
    if (!d.set.length && !d.unset.length) return body("");
    // Values (secrets among them) travel in a 0600 file, never on a command line.
    const file = `/tmp/sbx-env-${process.pid}-${Math.random().toString(36).slice(2)}`;
    const w = await sh('umask 077 && cat > "$1"', [file], shellExport(d.set));
    if (w.exitCode !== 0) throw new DriverError(`Cannot prepare the environment on ${name}: ${w.stderr.trim()}`);
    const unset = d.unset.length ? `unset ${d.unset.join(" ")}; ` : "";
    try {
      return await body(`${unset}set -a; . ${quote([file])}; set +a; rm -f ${quote([file])}; `, file);
    } finally {
      await sh('rm -f "$1"', [file]);
    }
  }

  const target: Target = {
    name,
    async run(argv: string[], ro: RunOptions = {}): Promise<RunResult> {
      return withEnv(ro.env, async (prefix) => {
        const cd = ro.cwd ? `cd ${quote([ro.cwd])} && ` : "";
        const r = await sh(`${prefix}${cd}exec "$@"`, argv, ro.input, ro.timeoutMs);
        // As the local target does: the final newline is not part of the output.
        const stdout = r.stdout.toString("utf8").replace(/\n$/, "");
        return { exitCode: r.exitCode, stdout, stderr: r.stderr, all: `${stdout}${r.stderr}`, timedOut: r.timedOut, notFound: r.exitCode === 127 };
      });
    },
    async runBytes(argv, ro = {}) {
      const r = await sh(`${ro.cwd ? `cd ${quote([ro.cwd])} && ` : ""}exec "$@"`, argv, ro.input, ro.timeoutMs ?? 600_000);
      return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr, timedOut: r.timedOut };
    },
    async *lines(argv: string[], ro: RunOptions = {}): AsyncIterable<string> {
      const d = envDelta(ro.env);
      const unset = d.unset.length ? `unset ${d.unset.join(" ")}; ` : "";
      const remote = quote(["sh", "-c", `${unset}${ro.cwd ? `cd ${quote([ro.cwd])} && ` : ""}exec "$@" 2>&1`, "sbx", ...argv]);
      const child = execa(base[0]!, [...base.slice(1), "--", remote], { reject: false, buffer: false, stdin: "ignore" });
      for await (const line of child.iterable()) yield String(line);
      const r = await child;
      if (r.exitCode !== 0) throw new DriverError(`${argv.join(" ")} on ${name} exited ${r.exitCode}`);
    },
    async readFile(p) {
      const r = await sh('if [ -f "$1" ]; then exec cat -- "$1"; elif [ -d "$1" ]; then exit 3; else exit 2; fi', [p]);
      if (r.exitCode === 2) return undefined;
      if (r.exitCode === 3) throw new DriverError(`${p} on ${name} is a directory, not a file.`);
      if (r.exitCode !== 0) throw new DriverError(`Cannot read ${p} on ${name}: ${r.stderr.trim()}`);
      return r.stdout;
    },
    async writeFile(p, data, mode) {
      const script = 'if [ -d "$1" ]; then exit 3; fi; mkdir -p -- "$(dirname -- "$1")" && t="$1.sbx-tmp.$$" && (umask 077 && cat > "$t") && chmod "$2" "$t" && mv -f -- "$t" "$1"';
      const r = await sh(script, [p, (mode ?? 0o644).toString(8)], typeof data === "string" ? Buffer.from(data) : data);
      if (r.exitCode === 3) throw new DriverError(`${p} on ${name} is a directory; sbx writes a file there. Move the directory away or change the destination.`, undefined, "provision");
      if (r.exitCode !== 0) throw new DriverError(`Cannot write ${p} on ${name}: ${r.stderr.trim()}`, undefined, "provision");
    },
    async appendFile(p, data) {
      const r = await sh('mkdir -p -- "$(dirname -- "$1")" && (umask 077 && cat >> "$1")', [p], Buffer.from(data));
      if (r.exitCode !== 0) throw new DriverError(`Cannot append to ${p} on ${name}: ${r.stderr.trim()}`, undefined, "provision");
    },
    async remove(p, ro) {
      const r = await sh(ro?.recursive ? 'rm -rf -- "$1"' : 'rm -f -- "$1"', [p]);
      if (r.exitCode !== 0) throw new DriverError(`Cannot remove ${p} on ${name}: ${r.stderr.trim()}`);
    },
    async stat(p): Promise<FileStat | undefined> {
      const r = await sh('[ -e "$1" ] || [ -L "$1" ] || exit 2; exec stat -c "%F|%a|%s" -- "$1"', [p]);
      if (r.exitCode === 2) return undefined;
      if (r.exitCode !== 0) throw new DriverError(`Cannot stat ${p} on ${name}: ${r.stderr.trim()}`);
      const [type, mode, size] = r.stdout.toString("utf8").trim().split("|");
      const kind = type === "symbolic link" ? "symlink" : type?.includes("regular") ? "file" : type === "directory" ? "dir" : "other";
      return { kind, mode: parseInt(mode ?? "0", 8), size: Number(size) };
    },
    async realpath(p) {
      const r = await sh('[ -e "$1" ] || exit 2; exec readlink -f -- "$1"', [p]);
      return r.exitCode === 0 ? r.stdout.toString("utf8").trim() : undefined;
    },
    async mkdir(p, mode) {
      const r = await sh(mode === undefined ? 'mkdir -p -- "$1"' : 'mkdir -p -m "$2" -- "$1"', [p, (mode ?? 0o755).toString(8)]);
      if (r.exitCode !== 0) throw new DriverError(`Cannot create ${p} on ${name}: ${r.stderr.trim()}`);
    },
    async isPortFree(port) {
      const r = await sh("cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; true", []);
      return listeningInodesIn(r.stdout.toString("utf8"), port).length === 0;
    },
    async portListeners() {
      return []; // other users' processes on another host are not ours to name
    },
    async probe(p: Probe, timeoutMs: number): Promise<ProbeResult> {
      const secs = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
      switch (p.type) {
        case "none":
          return { ok: true };
        case "tcp": {
          const host = p.host ?? "127.0.0.1";
          const r = await sh('if command -v nc >/dev/null 2>&1; then exec nc -z -w "$3" "$1" "$2"; else exec bash -c "exec 3<>/dev/tcp/$1/$2"; fi', [host, String(p.port), secs], undefined, timeoutMs + 10_000);
          return r.exitCode === 0 ? { ok: true } : { ok: false, error: `connect to ${host}:${p.port} on ${name} failed` };
        }
        case "http": {
          const url = `http://${p.host ?? "127.0.0.1"}:${p.port}${p.path ?? "/"}`;
          const r = await sh('if command -v curl >/dev/null 2>&1; then exec curl -s -m "$2" -w "\\n%{http_code}" "$1"; else wget -q -T "$2" -O - "$1" && printf "\\n200"; fi', [url, secs], undefined, timeoutMs + 10_000);
          const out = r.stdout.toString("utf8");
          const status = Number(out.slice(out.lastIndexOf("\n") + 1)) || 0;
          const expect = p.status ?? [200];
          if (!expect.includes(status)) return { ok: false, error: `GET ${url} on ${name} ${status ? `returned ${status}` : "failed"}, expected ${expect.join(" or ")}` };
          if (p.json_min_length !== undefined) {
            let body: unknown;
            try {
              body = JSON.parse(out.slice(0, out.lastIndexOf("\n")));
            } catch {
              return { ok: false, error: `GET ${url} on ${name} did not return JSON` };
            }
            const list = Array.isArray(body) ? body : body && typeof body === "object" ? Object.values(body).find(Array.isArray) : undefined;
            if (!Array.isArray(list) || list.length < p.json_min_length) return { ok: false, error: `GET ${url} on ${name} listed fewer than ${p.json_min_length}` };
          }
          return { ok: true };
        }
        case "exec": {
          const r = await target.run(["sh", "-c", p.command], { cwd: p.cwd, timeoutMs });
          return r.exitCode === 0 ? { ok: true } : { ok: false, error: `\`${p.command}' exited ${r.exitCode} on ${name}` };
        }
      }
    },
  };
  return target;
}
