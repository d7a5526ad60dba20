// The API's pieces that need no server (src/apply/serve/): the token file's rules, bearer
// matching, and the OpenAPI document against its committed copy docs/openapi.json.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { openApiDocument } from "../../../src/apply/serve/openapi.js";
import { bearerMatches, ensureToken, TokenFileError } from "../../../src/apply/serve/token.js";
import { assertGolden } from "../../helpers/golden.js";
import { newHome, ROOT } from "../../helpers/sbx.js";

test("the token is made once, 0600, and kept", () => {
  const home = newHome();
  const a = ensureToken(home);
  assert.ok(a.created);
  assert.is(a.token.length, 64);
  assert.is(fs.statSync(a.file).mode & 0o777, 0o600);
  const b = ensureToken(home);
  assert.equal([b.created, b.token], [false, a.token]);
});

test("a token file others can read, or an empty one, is refused with what to do", () => {
  const home = newHome();
  const { file } = ensureToken(home);
  fs.chmodSync(file, 0o644);
  assert.throws(() => ensureToken(home), (e: unknown) => e instanceof TokenFileError && e.message.includes(`chmod 600 ${file}`));
  fs.chmodSync(file, 0o600);
  fs.writeFileSync(file, "short\n");
  assert.throws(() => ensureToken(home), (e: unknown) => e instanceof TokenFileError && e.message.includes("Delete it"));
});

test("bearer matching", () => {
  const t = "a".repeat(64);
  assert.ok(bearerMatches(`Bearer ${t}`, t));
  assert.ok(bearerMatches(`bearer ${t} `, t));
  for (const h of [undefined, "", t, `Bearer ${t}b`, `Basic ${t}`, `Bearer ${"a".repeat(63)}`]) assert.not.ok(bearerMatches(h, t), String(h));
});

test("docs/openapi.json is the document sbx serve serves", () => {
  const version = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { version: string }).version;
  assertGolden(path.join(ROOT, "docs", "openapi.json"), JSON.stringify(openApiDocument(version), null, 2) + "\n");
});

test.run();
