// The .env.secrets file: sorted KEY=value lines, mode 0600, in the state dir.

import * as fs from "node:fs";
import { writeAtomic } from "../atomic.js";

export function renderSecretsFile(values: ReadonlyMap<string, string>): string {
  const keys = [...values.keys()].sort();
  return keys.map((k) => `${k}=${values.get(k)}`).join("\n") + "\n";
}

export function writeSecretsFile(file: string, values: ReadonlyMap<string, string>): void {
  writeAtomic(file, renderSecretsFile(values), 0o600);
  fs.chmodSync(file, 0o600);
}

export function readSecretsFile(file: string): Map<string, string> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}
