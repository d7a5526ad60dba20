// slot.this: the host-wide claim that gives this sandbox its ports.

import type { KindSpec } from "../spec.js";

export interface SlotAttrs {
  project: string;
  slot: number;
  ports: Record<string, number>;
  /** Time to live ("8h"); null for none. A change moves the expiry. */
  ttl: string | null;
}

export const slotSpec: KindSpec<SlotAttrs> = {
  type: "slot",
  description: "the host-wide slot claim that fixes this sandbox's ports",
  replaceOn: ["slot"],
  restartsDependents: false,
  render: { ports: "map" },
};
