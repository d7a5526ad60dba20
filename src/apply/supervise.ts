// `sbx __supervise LOG -- CMD...`: leads a service's process group, runs the service,
// and writes its output to LOG through the redactor so secrets never reach the log.

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { Redactor } from "./secrets/redact.js";

export function supervise(argv: string[]): void {
  const sep = argv.indexOf("--");
  const log = argv[0]!;
  const cmd = argv.slice(sep + 1);
  const redactor = Redactor.import(process.env.SBX_REDACT);
  const env = { ...process.env };
  delete env.SBX_REDACT;
  const fd = fs.openSync(log, "a", 0o600);
  const write = (s: string) => fs.writeSync(fd, redactor.redact(s));
  const pending: Record<"out" | "err", string> = { out: "", err: "" };
  // Redact whole lines, so a secret split across two chunks is still caught.
  const feed = (which: "out" | "err", chunk: Buffer) => {
    pending[which] += chunk.toString("utf8");
    const nl = pending[which].lastIndexOf("\n");
    if (nl >= 0) {
      write(pending[which].slice(0, nl + 1));
      pending[which] = pending[which].slice(nl + 1);
    }
    if (pending[which].length > 65536) {
      write(pending[which]);
      pending[which] = "";
    }
  };
  const flush = () => {
    for (const k of ["out", "err"] as const) if (pending[k]) write(pending[k]), (pending[k] = "");
  };
  const child = spawn(cmd[0]!, cmd.slice(1), { env, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.on("data", (c: Buffer) => feed("out", c));
  child.stderr.on("data", (c: Buffer) => feed("err", c));
  const timer = setInterval(flush, 250);
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(sig, () => child.kill(sig));
  child.on("error", (e) => {
    write(`[sbx] cannot start ${cmd[0]}: ${e.message}\n`);
    process.exit(127);
  });
  child.on("exit", (code, signal) => {
    clearInterval(timer);
    flush();
    write(`[sbx] process exited ${signal ? `on ${signal}` : `with code ${code}`}\n`);
    fs.closeSync(fd);
    process.exit(code ?? 1);
  });
}
