// The .env.secrets file: sorted KEY=value lines, mode 0600, in the state dir.

import * as fs from "node:fs";

export function renderSecretsFile(values: ReadonlyMap<string, string>): string {
  const keys = [...values.keys()].sort();
  return keys.map((k) => `${k}=${values.get(k)}`).join("\n") + "\n";
}

export function parseSecretsFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return out;
}

/** The values in a local secrets file, or undefined when there is none. */
export function readSecretsFile(file: string): Map<string, string> | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  return parseSecretsFile(text);
}
