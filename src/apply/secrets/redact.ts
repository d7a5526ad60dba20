// Masks secret values in any text sbx prints, logs or writes: literal values from the
// configuration as soon as it loads, and every value resolved later.

import { literalSecretValue } from "../../compile/secret-refs.js";
import { readSecretsFile } from "./file.js";

export const MASK = "********";

export class Redactor {
  private values: string[] = [];

  add(...values: string[]): void {
    for (const v of values) if (v.length >= 3 && !this.values.includes(v)) this.values.push(v);
    // Longest first, so a value containing another is masked whole.
    this.values.sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.values.length;
  }

  redact(text: string): string {
    let out = text;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(MASK);
    return out;
  }

  /** Values for a child process that must redact on its own (the log supervisor). */
  export(): string {
    return Buffer.from(JSON.stringify(this.values)).toString("base64");
  }

  static import(encoded: string | undefined): Redactor {
    const r = new Redactor();
    if (encoded) r.add(...(JSON.parse(Buffer.from(encoded, "base64").toString("utf8")) as string[]));
    return r;
  }
}

/** One redactor per process: every value resolved anywhere is registered here. */
export const globalRedactor = new Redactor();

/** Register the values in a secrets file sbx wrote (so output of what already runs is masked before any secret is resolved again). */
export function registerSecretsFile(file: string, redactor: Redactor = globalRedactor): void {
  const values = readSecretsFile(file);
  if (values) redactor.add(...values.values());
}

/** Register every literal among secret definitions, merged or not (decided by the one rule in secret-refs). */
export function registerSecretDefinitions(defs: readonly (readonly [string, string])[], redactor: Redactor = globalRedactor): void {
  for (const [name, raw] of defs) {
    const v = literalSecretValue(name, raw);
    if (v !== undefined) redactor.add(v);
  }
}

/** Register the literal secrets of a configuration (decided by the one rule in secret-refs). */
export function registerLiteralSecrets(refs: Readonly<Record<string, string>>, redactor: Redactor = globalRedactor): void {
  for (const [name, raw] of Object.entries(refs)) {
    const v = literalSecretValue(name, raw);
    if (v !== undefined) redactor.add(v);
  }
}
