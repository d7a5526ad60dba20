// Port variables for `sbx init`: which variable each fixed host port becomes (kinfra's
// `<PREFIX>_<SERVICE>_PORT`), what must be declared under [sandbox.ports], and one
// stride chosen so that no two ports meet in any slot.

import { warning, type Diagnostic } from "../diagnostics.js";
import { portVarName } from "./names.js";
import { splitShortSpec } from "./port-spec.js";
import type { Detection, PortUse } from "./types.js";

/** A port already declared in infra.toml, normalised (kinfra's `NAME = 8080` is stride 1). */
export interface DeclaredPort {
  base: number;
  stride: number;
  standard?: number;
}

export interface ExistingConfig {
  /** `[project].prefix`, else `[project].name`. */
  prefix?: string;
  ports: Record<string, DeclaredPort>;
  /** Every other variable name infra.toml defines (env, secrets), never reused for ports. */
  otherNames: readonly string[];
  /** `[sandbox.slots].max`. */
  slotMax?: number;
}

export interface PortDecl {
  name: string;
  base: number;
  stride: number;
  /** Human summary of the entries using it: "web 8080->80/tcp". */
  uses: string[];
  /** Set when the base is a guess (a variable with no default in the compose file). */
  note?: string;
}

export interface PortAssignment {
  /** Fixed host port → the variable that replaces it in the compose file. */
  varByPort: Map<number, string>;
  /** Variables to add under [sandbox.ports] (never ones infra.toml already has). */
  declare: PortDecl[];
  stride: number;
  diags: Diagnostic[];
}

/**
 * Strides tried in order: multiples of 10, so slot arithmetic stays readable. Not only
 * divisors of 1000: bases such as 8000 and 9000 meet at slot 100 with any of those.
 */
export const STRIDES: readonly number[] = Array.from({ length: 100 }, (_, i) => (i + 1) * 10);
export const DEFAULT_SLOT_MAX = 100;
/** An env name that holds a port: PORT, API_PORT, WEB_PORT. */
export const PORT_ENV = /(^|_)PORT$/;
const MAX_PORT = 65535;

export function describeUse(u: PortUse): string {
  const host = u.host.kind === "fixed" ? String(u.host.port) : u.form === "short" ? (splitShortSpec(u.raw).hostText ?? "") : u.raw;
  return `${u.service} ${u.hostIp ? `${u.hostIp}:` : ""}${host}->${u.container || "?"}${u.protocol ? `/${u.protocol}` : ""}`;
}

export function assignPorts(det: Detection, existing: ExistingConfig): PortAssignment {
  const diags: Diagnostic[] = [];
  const uses = det.compose?.services.flatMap((s) => s.ports) ?? [];
  const composeVars = new Set((det.compose?.vars ?? []).map((v) => v.name));
  const hostVars = new Set(uses.flatMap((u) => (u.host.kind === "var" ? [u.host.name] : [])));
  const taken = new Set<string>([...Object.keys(existing.ports), ...existing.otherNames, ...composeVars]);
  const reused = new Set<string>();
  const prefix = existing.prefix ?? det.project.name;
  const varByPort = new Map<number, string>();
  const declare: PortDecl[] = [];
  const file = det.composeFile ?? "compose file";

  // Fixed host ports, one variable per distinct port number, named after the first service using it.
  // The first host port of a service is <PREFIX>_<SERVICE>_PORT; later ones add their container port.
  const fixed = uses.filter((u) => u.host.kind === "fixed");
  const hostPorts = uses.filter((u) => u.host.kind === "fixed" || u.host.kind === "var");
  for (const u of fixed) {
    const port = (u.host as { port: number }).port;
    if (varByPort.has(port)) continue;
    const nth = hostPorts.filter((x) => x.service === u.service).indexOf(u);
    const wanted = portVarName(prefix, u.service, nth === 0 ? undefined : /^\d+$/.test(u.container) ? u.container : String(nth + 1));
    const free = (n: string) => existing.ports[n] !== undefined && !hostVars.has(n) && !reused.has(n);
    // A declared variable that the compose file does not use yet keeps the user's base.
    let name = free(wanted) ? wanted : Object.keys(existing.ports).find((n) => free(n) && existing.ports[n]!.base === port);
    if (name) reused.add(name);
    else {
      name = wanted;
      for (let i = 2; taken.has(name); i++) name = `${wanted}_${i}`;
      declare.push({ name, base: port, stride: 0, uses: [] });
    }
    taken.add(name);
    varByPort.set(port, name);
  }
  for (const u of fixed) declare.find((d) => d.name === varByPort.get((u.host as { port: number }).port))?.uses.push(describeUse(u));

  // Variables the compose file already uses for host ports but infra.toml does not declare.
  for (const u of uses) {
    if (u.host.kind !== "var" || existing.ports[u.host.name] !== undefined) continue;
    const had = declare.find((d) => d.name === (u.host as { name: string }).name);
    if (had) {
      had.uses.push(describeUse(u));
      continue;
    }
    const base = u.host.default ?? (/^\d+$/.test(u.container) ? Number(u.container) : undefined);
    if (base === undefined) {
      diags.push(warning(`No base for port variable \`${u.host.name}'`, { range: { file, start: u.pos }, detail: `services.${u.service}.ports uses \${${u.host.name}} with no default and no container port to start from. Write it as \${${u.host.name}:-<port>} and run sbx init again, or declare ${u.host.name} under [sandbox.ports] by hand.` }));
      continue;
    }
    declare.push({ name: u.host.name, base, stride: 0, uses: [describeUse(u)], ...(u.host.default === undefined ? { note: "no default in the compose file; base taken from the container port" } : {}) });
    taken.add(u.host.name);
  }

  // Without a compose file, an example env such as PORT=3000 names the port a local process listens on.
  if (!det.compose)
    for (const e of det.env)
      if (PORT_ENV.test(e.name) && e.value !== undefined && /^\d+$/.test(e.value) && existing.ports[e.name] === undefined && !declare.some((d) => d.name === e.name))
        declare.push({ name: e.name, base: Number(e.value), stride: 0, uses: [`${e.name}=${e.value} in ${e.source}`] });
  // Document order: the first use of each variable.
  const firstUse = (d: PortDecl) => {
    const i = uses.findIndex((u) => (u.host.kind === "fixed" && varByPort.get(u.host.port) === d.name) || (u.host.kind === "var" && u.host.name === d.name));
    return i < 0 ? uses.length : i;
  };
  declare.sort((a, b) => firstUse(a) - firstUse(b));

  const slotMax = existing.slotMax ?? DEFAULT_SLOT_MAX;
  const { stride, clash } = chooseStride(existing.ports, declare.map((d) => d.base), slotMax);
  if (clash)
    diags.push(warning("Port bases meet across slots", { detail: `No stride up to ${STRIDES[STRIDES.length - 1]} keeps ${clash} apart in slots 0-${slotMax}; using ${stride}. Move one base port or lower [sandbox.slots] max.` }));
  return { varByPort, declare: declare.map((d) => ({ ...d, stride })), stride, diags };
}

function portsOf(p: DeclaredPort, slotMax: number): Set<number> {
  const s = new Set<number>([p.standard ?? p.base]);
  for (let k = 1; k <= slotMax; k++) s.add(p.base + k * p.stride);
  return s;
}

/**
 * The first stride (the one existing ports share, then STRIDES) with which no new port
 * meets another port in any slot 0..slotMax and every port stays ≤ 65535.
 */
export function chooseStride(existing: Record<string, DeclaredPort>, bases: readonly number[], slotMax: number): { stride: number; clash?: string } {
  if (bases.length === 0) return { stride: STRIDES[0]! };
  const strides = new Set(Object.values(existing).map((p) => p.stride));
  const shared = strides.size === 1 ? [...strides][0]! : undefined;
  const tries = [...(shared !== undefined && shared >= 2 ? [shared] : []), ...STRIDES];
  const old = Object.entries(existing).map(([name, p]) => ({ name, set: portsOf(p, slotMax) }));
  let first: string | undefined;
  for (const stride of tries) {
    if (Math.max(...bases) + slotMax * stride > MAX_PORT) {
      first ??= `ports up to ${Math.max(...bases) + slotMax * stride}`;
      continue;
    }
    const fresh = bases.map((b) => ({ name: String(b), set: portsOf({ base: b, stride }, slotMax) }));
    let clash: string | undefined;
    for (let i = 0; i < fresh.length && !clash; i++) {
      const other = [...fresh.slice(i + 1), ...old].find((o) => [...fresh[i]!.set].some((p) => o.set.has(p)));
      if (other) clash = `${fresh[i]!.name} and ${other.name}`;
    }
    if (!clash) return { stride };
    first ??= clash;
  }
  return { stride: STRIDES[0]!, clash: first ?? "the ports" };
}
