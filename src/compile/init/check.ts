// The gaps `sbx init --check` reports: what stops this repository from running one
// sandbox per worktree, each located (file:line:col) with what to do about it.

import * as path from "node:path";
import { error, warning, type Diagnostic } from "../diagnostics.js";
import { portExpression } from "./rewrite-compose.js";
import type { ExistingInfra } from "./existing.js";
import { OVERRIDE_FILE } from "./detect.js";
import { isAmbientOrOwned } from "./names.js";
import type { Detection, PortUse } from "./types.js";

export interface CheckInput {
  det: Detection;
  /** The parsed infra.toml, or undefined when there is none. */
  infra?: ExistingInfra;
  /** Path of the infra.toml (existing or to be written), for located gaps. */
  infraFile: string;
  /** Names init would give fixed ports, and its stride, for the suggested fix. */
  varByPort?: ReadonlyMap<number, string>;
  stride?: number;
}

function shortFix(u: PortUse, name: string, port: number): string {
  return u.form === "long" ? `published: "${portExpression(name, port)}"` : `"${u.hostIp ? `${u.hostIp}:` : ""}${portExpression(name, port)}:${u.container}${u.protocol ? `/${u.protocol}` : ""}"`;
}

export function checkGaps(input: CheckInput): Diagnostic[] {
  const { det, infra, infraFile } = input;
  const gaps: Diagnostic[] = [...det.diags];
  const top = { file: infraFile, start: { line: 1, col: 1 } };
  if (!infra) gaps.push(error("No infra.toml", { detail: "This repository has no sbx configuration. Run `sbx init` to propose one (add --dry-run to only look)." }));
  const file = det.composeFile ?? "";
  const declared = new Set(Object.keys(infra?.tables.ports ?? {}));

  if (!det.compose && !(infra?.services.length))
    gaps.push(warning("Nothing to run", { ...(infra ? { range: top } : {}), detail: "No compose file (compose.yaml, docker-compose.yml, ...) and no [services.*] in infra.toml. Add a compose file, or describe local processes under [services.<name>] with backend = \"process\"." }));
  for (const other of det.otherComposeFiles)
    if (det.composeFile && OVERRIDE_FILE.test(other) && path.posix.dirname(other) === path.posix.dirname(det.composeFile))
      gaps.push(warning("Compose override file not used", { range: { file: other, start: { line: 1, col: 1 } }, detail: `\`docker compose\` merges ${other} on its own, but sbx runs ${det.composeFile} with its own override only. Fold what the sandbox needs into ${det.composeFile}.` }));

  for (const svc of det.compose?.services ?? []) {
    if (svc.containerName)
      gaps.push(error("Fixed container name", { range: { file, start: svc.containerName }, address: `services.${svc.name}.container_name`, detail: `container_name is global to the Docker daemon, so two sandboxes would collide. Remove it; compose names the container <project>-${svc.name}-1.` }));
    if (svc.hostNetwork)
      gaps.push(error("Host networking", { range: { file, start: svc.hostNetwork }, address: `services.${svc.name}.network_mode`, detail: `With network_mode: host the app binds its own ports on the host, so two sandboxes collide whatever [sandbox.ports] says. Use the default network and publish ports as \${VAR:-port}:port.` }));
    for (const u of svc.ports) {
      const at = { file, start: u.pos };
      const address = `services.${svc.name}.ports[${u.index}]`;
      switch (u.host.kind) {
        case "fixed": {
          const name = input.varByPort?.get(u.host.port) ?? "SOME_PORT";
          gaps.push(error("Fixed host port", { range: at, address, detail: `Host port ${u.host.port} would be bound by every sandbox. Run \`sbx init\` to write it as ${shortFix(u, name, u.host.port)} and declare ${name} under [sandbox.ports].` }));
          break;
        }
        case "range":
          gaps.push(error("Host port range", { range: at, address, detail: `Host ports ${u.host.from}-${u.host.to} would be bound by every sandbox, and one variable cannot move a range. List each port on its own line (each becomes a variable), or drop the host side to let Docker pick free ports.` }));
          break;
        case "var":
          if (!declared.has(u.host.name))
            gaps.push(error(`Port variable \`${u.host.name}' is not declared`, { range: at, address, detail: `Add ${u.host.name} = { base = ${u.host.default ?? "<port>"}, stride = ${input.stride ?? 10} } under [sandbox.ports] in ${infraFile} (sbx init does this).` }));
          if (u.host.default === undefined)
            gaps.push(warning(`Port variable \`${u.host.name}' has no default`, { range: at, address, detail: `Outside sbx (plain \`docker compose up\`) the host port is empty. Write \${${u.host.name}:-<port>}.` }));
          break;
        case "unknown":
          gaps.push(warning("Host port not understood", { range: at, address, detail: `sbx init cannot tell which port \`${u.host.text}' binds. Use one \${VAR:-port} per host port.` }));
          break;
        case "ephemeral":
          break;
      }
    }
    for (const lit of svc.envLiterals)
      gaps.push(warning("Secret written in the compose file", { range: { file, start: lit.pos }, address: `services.${svc.name}.environment.${lit.name}`, detail: `${lit.name} has a literal value in ${file}. Write it as \${${lit.name}} and add ${lit.name} = "$${lit.name}" (or an op:// reference) under [sandbox.secrets].` }));
  }

  if (infra) {
    if (!infra.hasHealth && (det.compose || infra.services.length))
      gaps.push(warning("No health check", { range: top, detail: `Without [sandbox.health] sbx apply cannot tell when the app is ready. Set endpoint = "/health" and port_var = "<a [sandbox.ports] name>", or add checks = [...]${det.health[0] ? ` (candidate: ${det.health[0].endpoint}, ${det.health[0].evidence})` : ""}.` }));
    const hostVars = (det.compose?.services ?? []).flatMap((s) => s.ports.flatMap((u) => (u.host.kind === "var" ? [u.host.name] : [])));
    const provided = new Set([...infra.tables.env, ...infra.tables.secrets, ...declared, ...hostVars]);
    const reported = new Set<string>();
    for (const v of det.compose?.vars ?? []) {
      if (v.op !== undefined || provided.has(v.name) || isAmbientOrOwned(v.name) || reported.has(v.name)) continue;
      reported.add(v.name);
      gaps.push(warning(`Variable \`${v.name}' is not provided`, { range: { file, start: v.pos }, address: v.at, detail: `${file} reads \${${v.name}} with no default, and infra.toml sets it nowhere, so the sandbox gets an empty value. Add it under [sandbox.env] or [sandbox.secrets], or give it a default.` }));
    }
    const files = new Set(infra.tables.files);
    for (const f of det.files)
      if (f.source && !files.has(f.dest))
        gaps.push(warning("Git-ignored file not provisioned", { range: top, detail: `${f.dest} (${f.reason}) is not in a fresh worktree. Add "${f.dest}" = "${f.source}" under [sandbox.files].` }));
  }
  return gaps;
}
