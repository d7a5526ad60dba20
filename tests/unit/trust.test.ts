// Small pure checks behind issue #8 (trust): a state dir re-created mid-run still counts as
// lost, and secret literals are found on the lines of a TOML file that does not parse.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { StateError, StateStore } from "../../src/apply/state.js";
import { secretsInUnparsedToml } from "../../src/compile/secret-refs.js";
import { tmpdir } from "../helpers/sbx.js";

test("a state dir removed and made again (as a driver's mkdir -p would) is still lost state", () => {
  const store = new StateStore(path.join(tmpdir("sbx-trust-"), "instances", "x-1"));
  store.init();
  store.append({ op: "intent", address: "file.a", action: "create" });
  fs.rmSync(store.dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(store.dir, "logs"), { recursive: true });
  assert.throws(() => store.append({ op: "intent", address: "file.b", action: "create" }), (e: unknown) => e instanceof StateError && /disappeared while sbx was running/.test((e as Error).message));
  assert.not.ok(fs.existsSync(store.journal), "nothing written into the new directory");
});

test("secret literals are read from the lines of a TOML file that does not parse", () => {
  const text = `[project]
name = "x"

[sandbox.secrets]
OPEN = "unterminated-literal
DUP = "first"
DUP = "second"
'Q K' = 'single'
FORCED = { force = "forced-literal" }
REF = "$SOME_VAR"

[sandbox]
secrets.DOTTED = "dotted-literal"
env.NOT_SECRET = "plain"

[sandbox.env]
ALSO_NOT = "plain"

[setup.secret_refs]
PROFILE = "profile-literal"
`;
  assert.equal(secretsInUnparsedToml(text), [
    ["OPEN", "unterminated-literal"],
    ["DUP", "first"],
    ["DUP", "second"],
    ["Q K", "single"],
    ["FORCED", "forced-literal"],
    ["REF", "$SOME_VAR"],
    ["DOTTED", "dotted-literal"],
    ["PROFILE", "profile-literal"],
  ]);
});

test.run();
