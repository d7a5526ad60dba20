// What the bench ran on: CPU, cores, memory, OS, tool versions, load, and the code measured.

import * as fs from "node:fs";
import * as os from "node:os";
import { spawnSync } from "node:child_process";
import { GNU_TIME } from "./proc.mjs";

function out(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: 20_000 });
  return r.error || r.status !== 0 ? undefined : r.stdout.trim();
}

function osName() {
  try {
    const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(fs.readFileSync("/etc/os-release", "utf8"));
    return m ? m[1] : os.type();
  } catch (e) {
    return `${os.type()} (${e.code ?? e.message})`;
  }
}

export function machine({ root, strippedCa }) {
  const cpus = os.cpus();
  const tf = out("terraform", ["version"])?.split("\n")[0];
  const docker = out("docker", ["version", "--format", "{{.Server.Version}}"]);
  const dc = out("docker-compose", ["version", "--short"]);
  const plugin = out("docker", ["compose", "version", "--short"]);
  const sha = out("git", ["-C", root, "rev-parse", "--short", "HEAD"]);
  const dirty = out("git", ["-C", root, "status", "--porcelain", "--", "src", "scripts", "package.json", "package-lock.json"]);
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    cpu: `${cpus[0]?.model.trim() ?? "unknown"} × ${cpus.length} (os.cpus)`,
    cores: cpus.length,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    os: `${osName()}, Linux ${os.release()}`,
    node: process.version,
    terraform: tf ?? "not on PATH",
    docker: docker ? `${docker}; compose: ${plugin ? `plugin ${plugin}` : dc ? `docker-compose ${dc}` : "none"}` : "no engine",
    gnuTime: GNU_TIME ? `${GNU_TIME} (peak RSS)` : "not installed: memory columns are n/a",
    loadStart: os.loadavg().map((x) => x.toFixed(2)).join(" "),
    code: sha ? `${sha}${dirty ? " + uncommitted changes in src/ or build inputs" : ""}` : "unknown",
    strippedCa,
  };
}
