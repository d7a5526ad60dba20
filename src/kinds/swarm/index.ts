// The swarm kind: its declaration and its driver, registered together.

import type { Kind } from "../driver.js";
import { swarmDriver } from "./driver.js";
import { swarmSpec, type SwarmAttrs } from "./kind.js";

export const swarmKind: Kind<SwarmAttrs> = { spec: swarmSpec, driver: swarmDriver };
