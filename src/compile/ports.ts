// Slot arithmetic: each port is `base + slot*stride`; slot 0 is each port's `standard`.

import type { InfraConfig } from "./generated/infra.js";

export interface PortSpec {
  name: string;
  base: number;
  stride: number;
  standard: number;
  container?: number;
  service?: string;
}

export const DEFAULT_SLOT_MIN = 1;
export const DEFAULT_SLOT_MAX = 100;

export function portSpecs(infra: InfraConfig): PortSpec[] {
  const out: PortSpec[] = [];
  for (const [name, raw] of Object.entries(infra.sandbox?.ports ?? {})) {
    if (raw === undefined) continue;
    if (typeof raw === "number") out.push({ name, base: raw, stride: 1, standard: raw });
    else out.push({ name, base: raw.base, stride: raw.stride ?? 1, standard: raw.standard ?? raw.base, container: raw.container, service: raw.service });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function portsForSlot(specs: readonly PortSpec[], slot: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of specs) out[s.name] = slot === 0 ? s.standard : s.base + slot * s.stride;
  return out;
}

/** The slots sbx picks from on its own. Slot 0 (the standard ports) is never picked: only `--slot 0` claims it. */
export function slotRange(infra: InfraConfig): { min: number; max: number } {
  return { min: Math.max(1, infra.sandbox?.slots?.min ?? DEFAULT_SLOT_MIN), max: infra.sandbox?.slots?.max ?? DEFAULT_SLOT_MAX };
}

/** Why `--slot N` cannot be claimed by a configuration, or undefined when it can (0 always can, on request). */
export function slotRequestProblem(infra: InfraConfig, slot: number): string | undefined {
  if (slot === 0) return undefined;
  const r = slotRange(infra);
  if (slot < r.min || slot > r.max) return `Slot ${slot} is outside this project's slots ${r.min}-${r.max} ([sandbox.slots]). Choose one in range, --slot 0 for the standard ports, or widen [sandbox.slots].`;
  return undefined;
}

/** Ports of one slot that fall outside 1..65535. */
export function invalidPorts(ports: Record<string, number>): string[] {
  return Object.entries(ports)
    .filter(([, p]) => p < 1 || p > 65535)
    .map(([n, p]) => `${n}=${p}`);
}

/** The slots of `range` whose ports all fall inside 1..65535 (ports grow with the slot), or undefined. */
export function usableSlots(specs: readonly PortSpec[], range: { min: number; max: number }): { min: number; max: number } | undefined {
  let max = -1;
  let min = -1;
  for (let s = range.min; s <= range.max; s++) {
    if (invalidPorts(portsForSlot(specs, s)).length) continue;
    if (min < 0) min = s;
    max = s;
  }
  return min < 0 ? undefined : { min, max };
}
