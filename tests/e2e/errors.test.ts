// Malformed configuration: every case in fixtures/errors gives its golden, located
// message (expected.txt) from plan and the same from validate, exits 1, never a stack
// trace, and touches no host state.
// UPDATE_GOLDEN=1 rewrites the golden files.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { makeRepo, newHome, ROOT, sbx, walk } from "../helpers/sbx.js";

const dir = path.join(ROOT, "fixtures", "errors");

function filesOf(caseDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of walk(caseDir)) if (!f.endsWith("expected.txt")) out[path.relative(caseDir, f)] = fs.readFileSync(f, "utf8");
  return out;
}

for (const name of fs.readdirSync(dir).sort()) {
  test(`error fixture ${name} gives its located message and changes nothing`, async () => {
    const repo = makeRepo(filesOf(path.join(dir, name)));
    const home = newHome();
    // No user-level ~/.config/keystone/agent.toml may change the agent cases.
    const env = { XDG_CONFIG_HOME: path.join(repo, ".no-xdg") };
    const r = await sbx(["plan"], { cwd: repo, home, env });
    assert.is(r.code, 1, r.stdout);
    assert.not.match(r.stderr, /internal error|\n\s+at /);
    assert.match(r.stderr, /^[^\s:]+\.(toml|ya?ml):\d+:\d+: error: /m);
    const golden = path.join(dir, name, "expected.txt");
    if (process.env.UPDATE_GOLDEN) fs.writeFileSync(golden, r.stderr);
    assert.fixture(r.stderr, fs.readFileSync(golden, "utf8"));
    assert.equal(walk(home), [], "no host state written");
    // validate is compile without the host: the same errors at the same places, exit 1.
    const v = await sbx(["validate"], { cwd: repo, home, env });
    assert.is(v.code, 1, v.stdout);
    assert.fixture(v.stderr, r.stderr);
    const a = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env });
    assert.is(a.code, 1);
    assert.equal(walk(home), [], "apply wrote nothing either");
  });
}

test("a multi-megabyte file with a mistake at the end gets a located error", async () => {
  const filler = Array.from({ length: 60_000 }, (_, i) => `# padding line ${i} ${"x".repeat(40)}`).join("\n");
  const repo = makeRepo({ "infra.toml": `[project]\nname = "big"\n${filler}\n[sandbox.ports]\nAPI = "nope"\n` });
  const r = await sbx(["validate"], { cwd: repo, home: newHome() });
  assert.is(r.code, 1);
  assert.match(r.stderr, "infra.toml:60004:7: error: Wrong type for `sandbox.ports.API'");
});

test("validate accepts a good project and lists its files", async () => {
  const repo = makeRepo({ "infra.toml": '[project]\nname = "ok"\n', "infra.local.toml": '[sandbox.env]\nX = "1"\n', "docker-compose.yml": "services:\n  web:\n    image: ok\n" });
  const r = await sbx(["validate"], { cwd: repo, home: newHome() });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, "✓ infra.toml (infra)\n✓ infra.local.toml (local)\n2 files valid.");
});

test.run();
