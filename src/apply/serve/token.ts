// The API's bearer token: made on first start, kept 0600 in $SBX_HOME/api-token, compared
// in constant time.

import { randomBytes, timingSafeEqual } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export function tokenFile(home: string): string {
  return path.join(home, "api-token");
}

export class TokenFileError extends Error {}

/** The token, creating it (0600, never overwriting) when there is none. */
export function ensureToken(home: string): { token: string; file: string; created: boolean } {
  const file = tokenFile(home);
  fs.mkdirSync(home, { recursive: true, mode: 0o700 });
  let created = false;
  try {
    fs.writeFileSync(file, randomBytes(32).toString("hex") + "\n", { mode: 0o600, flag: "wx" });
    created = true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  const st = fs.statSync(file);
  if (!st.isFile()) throw new TokenFileError(`${file} is not a file. Move it away; sbx serve makes a new token there.`);
  if ((st.mode & 0o077) !== 0) throw new TokenFileError(`${file} can be read by other users (mode ${(st.mode & 0o777).toString(8)}). Run \`chmod 600 ${file}\` (or delete it for a new token), then start sbx serve again.`);
  const token = fs.readFileSync(file, "utf8").trim();
  if (token.length < 16) throw new TokenFileError(`${file} holds no usable token (fewer than 16 characters). Delete it; sbx serve makes a new one.`);
  return { token, file, created };
}

/** Whether an Authorization header carries this token. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  if (!m) return false;
  const given = Buffer.from(m[1]!);
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}
