// Secret reference syntax (src/compile/secret-refs.ts): every scheme, every malformed
// form, and the one rule that decides what is a literal secret value.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { LITERAL_DISPLAY, literalSecretValue, parseSecretRef, showSecretRef, type SecretRef } from "../../../src/compile/secret-refs.js";

const ok: { raw: string; ref: Omit<SecretRef, "name"> }[] = [
  { raw: "op://vault/item/field", ref: { scheme: "op", display: "op://vault/item/field", target: "op://vault/item/field" } },
  { raw: "op://vault/item/section/field", ref: { scheme: "op", display: "op://vault/item/section/field", target: "op://vault/item/section/field" } },
  { raw: "env://GH_TOKEN", ref: { scheme: "env", display: "env://GH_TOKEN", target: "GH_TOKEN" } },
  { raw: "env://_private1", ref: { scheme: "env", display: "env://_private1", target: "_private1" } },
  { raw: "$GH_TOKEN", ref: { scheme: "env", display: "$GH_TOKEN", target: "GH_TOKEN" } },
  { raw: "dotenv://.env#DB_PASSWORD", ref: { scheme: "dotenv", display: "dotenv://.env#DB_PASSWORD", target: ".env", key: "DB_PASSWORD" } },
  { raw: "dotenv://config/app.env#KEY", ref: { scheme: "dotenv", display: "dotenv://config/app.env#KEY", target: "config/app.env", key: "KEY" } },
  { raw: "dotenv://odd#dir/.env#KEY", ref: { scheme: "dotenv", display: "dotenv://odd#dir/.env#KEY", target: "odd#dir/.env", key: "KEY" } },
  { raw: "file://secrets/token.txt", ref: { scheme: "file", display: "file://secrets/token.txt", target: "secrets/token.txt" } },
  { raw: "file:///etc/token", ref: { scheme: "file", display: "file:///etc/token", target: "/etc/token" } },
  { raw: "hunter2", ref: { scheme: "literal", display: LITERAL_DISPLAY } },
  { raw: "", ref: { scheme: "literal", display: LITERAL_DISPLAY } },
  { raw: "$1NOT_A_NAME", ref: { scheme: "literal", display: LITERAL_DISPLAY } },
  { raw: "${BRACED}", ref: { scheme: "literal", display: LITERAL_DISPLAY } },
  { raw: "https://example.com/token", ref: { scheme: "literal", display: LITERAL_DISPLAY } },
];

for (const c of ok)
  test(`parseSecretRef: ${JSON.stringify(c.raw)} is ${c.ref.scheme}`, () => {
    assert.equal(parseSecretRef("S", c.raw), { ref: { name: "S", ...c.ref } });
  });

const malformed: { raw: string; problem: string }[] = [
  { raw: "OP://vault/item/field", problem: "S: OP://… looks like a op:// reference but is not one. Write it as op://…; a literal value must not start with a reference scheme." },
  { raw: "env:/HOME", problem: "S: env:/… looks like a env:// reference but is not one. Write it as env://…; a literal value must not start with a reference scheme." },
  { raw: "op://vault/item", problem: "S: malformed 1Password reference op://vault/item. Expected op://vault/item/field." },
  { raw: "op://vault//field", problem: "S: malformed 1Password reference op://vault//field. Expected op://vault/item/field." },
  { raw: "op://vault/item/", problem: "S: malformed 1Password reference op://vault/item/. Expected op://vault/item/field." },
  { raw: "op://", problem: "S: malformed 1Password reference op://. Expected op://vault/item/field." },
  { raw: "env://", problem: "S: malformed reference env://. Expected env://VARIABLE_NAME." },
  { raw: "env://1ABC", problem: "S: malformed reference env://1ABC. Expected env://VARIABLE_NAME." },
  { raw: "env://A-B", problem: "S: malformed reference env://A-B. Expected env://VARIABLE_NAME." },
  { raw: "dotenv://.env", problem: "S: malformed reference dotenv://.env. Expected dotenv://path/to/.env#KEY (path relative to the main repository)." },
  { raw: "dotenv://#KEY", problem: "S: malformed reference dotenv://#KEY. Expected dotenv://path/to/.env#KEY (path relative to the main repository)." },
  { raw: "dotenv://.env#", problem: "S: malformed reference dotenv://.env#. Expected dotenv://path/to/.env#KEY (path relative to the main repository)." },
  { raw: "file://", problem: "S: malformed reference file://. Expected file://path." },
];

for (const c of malformed)
  test(`parseSecretRef: ${JSON.stringify(c.raw)} is malformed, with the expected form`, () => {
    assert.equal(parseSecretRef("S", c.raw), { problem: c.problem });
  });

test("literalSecretValue: the value of a literal, and nothing for references or malformed references", () => {
  for (const c of ok) assert.is(literalSecretValue("S", c.raw), c.ref.scheme === "literal" ? c.raw : undefined, c.raw);
  for (const c of malformed) assert.is(literalSecretValue("S", c.raw), undefined, c.raw);
});

test("showSecretRef: a reference is shown as written; a literal or malformed reference never is", () => {
  assert.is(showSecretRef("S", "op://vault/item/field"), "op://vault/item/field");
  assert.is(showSecretRef("S", "$GH_TOKEN"), "$GH_TOKEN");
  assert.is(showSecretRef("S", "hunter2"), LITERAL_DISPLAY);
  assert.is(showSecretRef("S", "op://vault/item"), LITERAL_DISPLAY);
});

test.run();
