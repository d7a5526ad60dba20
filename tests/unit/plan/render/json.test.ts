// Plan JSON (src/plan/render/json.ts): stable key order, so saved plans and CI diffs are deterministic.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { stableStringify } from "../../../../src/plan/render/json.js";

test("stableStringify sorts object keys at every depth and keeps array order", () => {
  const v = { b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } };
  assert.is(stableStringify(v, 0), '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
});

test("stableStringify gives the same text for the same value built in any key order", () => {
  assert.is(stableStringify({ x: 1, y: { p: 1, q: 2 } }), stableStringify({ y: { q: 2, p: 1 }, x: 1 }));
});

test("stableStringify round-trips to an equal value", () => {
  const v = { s: 'line\n"quoted"', n: 1.5, t: true, nil: null, list: [], map: {} };
  assert.equal(JSON.parse(stableStringify(v)), v);
});

test.run();
