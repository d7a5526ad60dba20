// Attribute rendering (src/plan/render/values.ts) for cases the golden plans do not reach:
// table of before/after bodies and the lines they render to.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { renderBody, SENSITIVE } from "../../../../src/plan/render/values.js";

const opts = { sensitive: ["token"], replacePaths: ["path"] };

const cases: { name: string; before: Record<string, unknown> | null; after: Record<string, unknown> | null; lines: string[] }[] = [
  {
    name: "an added attribute that forces replacement says so",
    before: { a: 1 },
    after: { a: 1, path: "/new" },
    lines: ['+ path = "/new" # forces replacement', "  # (1 unchanged attribute hidden)"],
  },
  { name: "a removed sensitive attribute stays hidden", before: { token: "secret-value" }, after: {}, lines: [`- token = ${SENSITIVE} -> null`] },
  { name: "a changed sensitive attribute stays hidden", before: { token: "a" }, after: { token: "b" }, lines: [`~ token = ${SENSITIVE}`] },
  { name: "a sensitive attribute on create is hidden", before: null, after: { token: "secret-value" }, lines: [`+ token = ${SENSITIVE}`] },
  {
    name: "sensitivity is by top-level attribute name: a nested key of the same name is shown",
    before: { m: { token: "a" } },
    after: { m: { token: "b" } },
    lines: ["~ m = {", '    ~ "token" = "a" -> "b"', "  }"],
  },
  { name: "one unchanged attribute is counted in the singular", before: { a: 1, b: 1 }, after: { a: 2, b: 1 }, lines: ["~ a = 1 -> 2", "  # (1 unchanged attribute hidden)"] },
  { name: "nothing changed renders only the hidden count", before: { a: 1, b: 2 }, after: { a: 1, b: 2 }, lines: ["  # (2 unchanged attributes hidden)"] },
  {
    name: "a single-line string becoming multi-line is a text diff",
    before: { s: "one" },
    after: { s: "one\ntwo\n" },
    lines: ["~ s = <<-EOT", "    - one", "      # (no newline at end of file)", "    + one", "    + two", "  EOT"],
  },
  {
    name: "keys are aligned on the longest name and quoted only when not identifiers",
    before: null,
    after: { a: 1, "b c": 2, long_name: 3 },
    lines: ["+ a         = 1", '+ "b c"     = 2', "+ long_name = 3"],
  },
];

for (const c of cases)
  test(`renderBody: ${c.name}`, () => {
    assert.equal(renderBody(c.before, c.after, 0, opts), c.lines);
  });

test("renderBody: never prints a sensitive value, whatever its shape", () => {
  for (const v of ["secret-value", ["secret-value"], { k: "secret-value" }, "secret-value\nline two\n"]) {
    const out = [renderBody(null, { token: v }, 0, opts), renderBody({ token: v }, null, 0, opts), renderBody({ token: v }, { token: "x" }, 0, opts)].flat().join("\n");
    assert.not.match(out, "secret-value");
  }
});

test.run();
