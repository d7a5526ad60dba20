// Driver registry: resource type -> driver.

import { composeDriver } from "./compose.js";
import { copyDriver } from "./copy.js";
import { fileDriver } from "./file.js";
import { healthDriver } from "./health.js";
import { processDriver } from "./process.js";
import { secretsDriver } from "./secrets.js";
import { slotDriver } from "./slot.js";
import type { Driver } from "./types.js";

const DRIVERS: Record<string, Driver> = {
  slot: slotDriver,
  file: fileDriver,
  copy: copyDriver,
  secrets: secretsDriver,
  process: processDriver,
  health: healthDriver,
  compose: composeDriver,
};

export function driverFor(type: string): Driver {
  const d = DRIVERS[type];
  if (!d) throw new Error(`bug: no driver for resource type ${type}`);
  return d;
}

export function registerDriver(d: Driver): void {
  DRIVERS[d.type] = d;
}
