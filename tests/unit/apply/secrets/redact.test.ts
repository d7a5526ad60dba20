// The redactor (src/apply/secrets/redact.ts): which configuration values are masked (one
// rule, shared with secret-refs), how, and how a child process gets the same values.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { MASK, Redactor, registerLiteralSecrets } from "../../../../src/apply/secrets/redact.js";
import { literalSecretValue } from "../../../../src/compile/secret-refs.js";

test("registerLiteralSecrets masks literal values and leaves references visible", () => {
  const r = new Redactor();
  registerLiteralSecrets({ API_TOKEN: "quickstart-demo-token", GH: "$GH_TOKEN", DB: "op://vault/db/password", F: "file://token.txt", E: "env://HOME", D: "dotenv://.env#K" }, r);
  assert.is(r.size, 1);
  assert.is(r.redact("token=quickstart-demo-token from op://vault/db/password and $GH_TOKEN"), `token=${MASK} from op://vault/db/password and $GH_TOKEN`);
});

test("the rule for what is masked is literalSecretValue's, for every shape of reference", () => {
  const raws = ["hunter2", "op://v/i/f", "op://v/i", "$HOME_DIR", "$1abc", "env://PATH", "env://1", "dotenv://.env#K", "dotenv://.env", "file://x", "file://", "plain text value"];
  for (const raw of raws) {
    const r = new Redactor();
    registerLiteralSecrets({ S: raw }, r);
    assert.is(r.redact(`[${raw}]`) !== `[${raw}]`, literalSecretValue("S", raw) !== undefined, raw);
  }
});

test("every occurrence is masked, and values are matched as text (not patterns)", () => {
  const r = new Redactor();
  r.add("a.b*c", "s3cr3t");
  assert.is(r.redact("s3cr3t,s3cr3t;a.b*c;aXbbc"), `${MASK},${MASK};${MASK};aXbbc`);
});

test("the longest value is masked first, so a value containing another is masked whole (whatever the order added)", () => {
  for (const order of [
    ["pass", "password123"],
    ["password123", "pass"],
  ]) {
    const r = new Redactor();
    r.add(...order);
    assert.is(r.redact("password123 pass"), `${MASK} ${MASK}`, order.join(","));
  }
});

test("values under 3 characters are not masked: masking every `1` or `ok` would shred ordinary output and hint at the secret", () => {
  const r = new Redactor();
  r.add("", "x", "ok");
  registerLiteralSecrets({ PIN: "42" }, r);
  assert.is(r.size, 0);
  assert.is(r.redact("ok x 42"), "ok x 42");
  r.add("abc");
  assert.is(r.redact("abcd"), `${MASK}d`, "3 characters is enough");
});

test("a value added twice is kept once", () => {
  const r = new Redactor();
  r.add("secret-one", "secret-one");
  registerLiteralSecrets({ A: "secret-one" }, r);
  assert.is(r.size, 1);
});

test("export/import round trip: a child process masks exactly what the parent masks", () => {
  const r = new Redactor();
  r.add("short-ish", "a-much-longer-secret", "short");
  const encoded = r.export();
  assert.not.match(encoded, "a-much-longer-secret", "the exported form is not the plain values");
  const child = Redactor.import(encoded);
  assert.is(child.size, r.size);
  const text = "short short-ish a-much-longer-secret";
  assert.is(child.redact(text), r.redact(text));
  assert.is(child.redact(text), `${MASK} ${MASK} ${MASK}`);
});

test("import of nothing is an empty redactor", () => {
  assert.is(Redactor.import(undefined).size, 0);
  assert.is(Redactor.import("").size, 0);
  assert.is(Redactor.import(new Redactor().export()).size, 0);
});

test.run();
