// Lifecycle events, one JSON line per transition in $SBX_HOME/events.jsonl (redacted).

import * as fs from "node:fs";
import { hostPaths } from "./host.js";
import { globalRedactor } from "./secrets/redact.js";

export type EventName = "apply-started" | "apply-complete" | "apply-failed" | "destroyed" | "collected" | "expired" | "ready" | "snapshot" | "restored" | "stopped" | "started";

export function appendEvent(home: string, event: { event: EventName; instance: string; [key: string]: unknown }): void {
  fs.mkdirSync(home, { recursive: true });
  const line = globalRedactor.redact(JSON.stringify({ at: new Date().toISOString(), ...event }));
  fs.appendFileSync(hostPaths.events(home), line + "\n", { mode: 0o600 });
}
