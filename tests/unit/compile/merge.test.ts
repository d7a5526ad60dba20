// Merge rules after the NixOS module system, on the real loader and schema.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadConfig, type SourceReader } from "../../../src/compile/config.js";

function load(files: Record<string, string>, sets: string[] = []) {
  const reader: SourceReader = { read: (p) => files[p.replace(/^\/repo\//, "")] };
  return loadConfig({ paths: { cwd: "/repo", worktree: "/repo", main: "/repo" }, reader, sets });
}

const base = '[project]\nname = "m"\n';

test("maps merge per key across project, local and profile layers", () => {
  const r = load({
    "infra.toml": `profile = "p"\n${base}[sandbox.env]\nA = "project"\nB = "project"\n`,
    "infra.local.toml": '[sandbox.env]\nB = "local"\n',
    "profiles/p.toml": 'id = "p"\nversion = 3\n[defaults.infra.sandbox.env]\nA = "profile"\nC = "profile"\n',
  });
  assert.equal(r.diags, []);
  assert.equal(r.config!.infra.sandbox!.env, { A: "project", B: "local", C: "profile" });
  assert.equal(r.config!.profiles.map((p) => `${p.id}@${p.version}`), ["p@3"]);
  assert.is(r.config!.profiles[0]!.hash.length, 12);
});

test("lists concatenate in priority order; a forced list replaces", () => {
  const r = load({
    "infra.toml": `extends = ["p"]\n${base}[sandbox.mounts]\ncode = ["a:/a"]\n`,
    "profiles/p.toml": 'id = "p"\nversion = 1\n[defaults.infra.sandbox.mounts]\ncode = ["p:/p"]\n',
    "infra.local.toml": '[sandbox.mounts]\ncode = ["l:/l"]\n',
  });
  assert.equal(r.config!.infra.sandbox!.mounts!.code, ["l:/l", "a:/a", "p:/p"]);
  const f = load({ "infra.toml": `${base}[sandbox.mounts]\ncode = { force = ["only:/x"] }\n`, "infra.local.toml": '[sandbox.mounts]\ncode = ["l:/l"]\n' });
  assert.equal(f.config!.infra.sandbox!.mounts!.code, ["only:/x"]);
});

test("scalars: best priority wins; default and force wrappers move a definition", () => {
  const r = load({ "infra.toml": `${base}[sandbox.health]\ntimeout = { default = 10 }\n`, "infra.local.toml": "" });
  assert.is(r.config!.infra.sandbox!.health!.timeout, 10);
  const local = load({ "infra.toml": `${base}[sandbox.health]\ntimeout = 10\n`, "infra.local.toml": "[sandbox.health]\ntimeout = 20\n" });
  assert.is(local.config!.infra.sandbox!.health!.timeout, 20);
  const forced = load({ "infra.toml": `${base}[sandbox.health]\ntimeout = { force = 10 }\n`, "infra.local.toml": "[sandbox.health]\ntimeout = 20\n" });
  assert.is(forced.config!.infra.sandbox!.health!.timeout, 10);
  const set = load({ "infra.toml": `${base}[sandbox.health]\ntimeout = 10\n` }, ["sandbox.health.timeout=99"]);
  assert.is(set.config!.infra.sandbox!.health!.timeout, 99);
});

test("equal values at the same priority are fine; different ones conflict with every location", () => {
  const same = load({ "infra.toml": base }, ["sandbox.ttl=2h", "sandbox.ttl=2h"]);
  assert.equal(same.diags, []);
  const diff = load({ "infra.toml": base }, ["sandbox.ttl=2h", "sandbox.ttl=3h"]);
  assert.is(diff.diags.length, 1);
  assert.is(diff.diags[0]!.summary, "Conflicting definitions for `sandbox.ttl'");
  assert.match(diff.diags[0]!.detail!, '- In `--set sandbox.ttl=2h\' (cli, priority 50): "2h"\n- In `--set sandbox.ttl=3h\' (cli, priority 50): "3h"');
});

test("the kinfra location .devops-ai/infra.toml is read unchanged", () => {
  const r = load({ ".devops-ai/infra.toml": `${base}[sandbox]\ncompose_file = "docker-compose.sandbox.yml"\n[sandbox.ports]\nAPI_PORT = 8080\n` });
  assert.equal(r.diags, []);
  assert.is(r.config!.infra.sandbox!.compose_file, "docker-compose.sandbox.yml");
  assert.is(r.config!.files[0]!.file, ".devops-ai/infra.toml");
});

test("agent.toml and profile files parse and validate", () => {
  const ok = load({
    "infra.toml": `profile = "agent"\n${base}`,
    "agent.toml": '[defaults]\nmemory = 4096\nsync_mode = "auto-idle"\n[backend]\ntype = "kubernetes"\n[backend.kubernetes]\nnamespace = "agents"\n[proxy]\nenable = true\n',
    "profiles/agent.toml":
      'id = "agent-dev"\nversion = "2"\ndescription = "long-lived"\nbackend = "process"\nplacement = "ssh://dev@box"\nttl = "8h"\n[setup.secret_refs]\nGH_TOKEN = "$GH_TOKEN"\n[defaults.agent.defaults]\nvcpus = 8\n',
  });
  assert.equal(ok.diags, []);
  assert.is(ok.config!.agent!.defaults!.vcpus, 8);
  assert.is(ok.config!.agent!.defaults!.memory, 4096);
  assert.is(ok.config!.infra.sandbox!.ttl, "8h");
  assert.equal(ok.config!.profiles[0]!.secretRefs, { GH_TOKEN: "$GH_TOKEN" });
  const bad = load({ "infra.toml": base, "agent.toml": '[defaults]\nmemory = 512\nnetwrk = "nat"\n' });
  assert.equal(bad.diags.map((d) => `${d.range?.file}:${d.range?.start.line}: ${d.summary}`).sort(), [
    "agent.toml:2: Value out of range for `defaults.memory'",
    "agent.toml:3: Unknown option `defaults.netwrk'",
  ]);
  assert.match(bad.diags.find((d) => d.summary.includes("netwrk"))!.detail!, "Did you mean `defaults.network'?");
});

test.run();
