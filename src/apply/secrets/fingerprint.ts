// HMAC fingerprints of secret values under a per-host key (0600), so state can tell a
// rotated secret without ever storing it.

import { createHmac, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { hostPaths } from "../host.js";

export function hostKey(home: string): Buffer {
  const file = hostPaths.key(home);
  try {
    return Buffer.from(fs.readFileSync(file, "utf8").trim(), "hex");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
  const key = randomBytes(32);
  fs.mkdirSync(home, { recursive: true });
  try {
    fs.writeFileSync(file, key.toString("hex") + "\n", { mode: 0o600, flag: "wx" });
  } catch (e) {
    // Another sbx created it first; use theirs.
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return Buffer.from(fs.readFileSync(file, "utf8").trim(), "hex");
    throw e;
  }
  return key;
}

export function fingerprint(key: Buffer, name: string, value: string): string {
  return "hmac-sha256:" + createHmac("sha256", key).update(`${name}\0${value}`).digest("hex").slice(0, 32);
}

export function fingerprintAll(key: Buffer, values: ReadonlyMap<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of [...values].sort((a, b) => (a[0] < b[0] ? -1 : 1))) out[k] = fingerprint(key, k, v);
  return out;
}

