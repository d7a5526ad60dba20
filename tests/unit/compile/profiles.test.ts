// Profiles beyond merging (src/compile/profiles.ts, through the real loader and backends):
// fields not honoured yet and sand-boxer's spellings are located errors, inputs resolve
// and interpolate, a profile alone makes a sandbox, and the search path is in order.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { buildGraph } from "../../../src/compile/backends/index.js";
import { displayPath, loadConfig, type ProjectPaths, type SourceReader } from "../../../src/compile/config.js";
import type { Diagnostic } from "../../../src/compile/diagnostics.js";
import { describeProfile, parseInputFlag, profileSearchDirs, splitProfilePath } from "../../../src/compile/profiles.js";

const PATHS: ProjectPaths = { cwd: "/repo", worktree: "/repo", main: "/repo", sbxHome: "/home/u/.local/state/sbx", xdgConfig: "/home/u/.config", profilePath: ["/shared/a", "/shared/b"] };

function load(files: Record<string, string>, opts: { sets?: string[]; profile?: string; inputs?: Record<string, string> } = {}) {
  const reader: SourceReader = { read: (p) => files[p.startsWith("/repo/") ? p.slice("/repo/".length) : p] };
  return loadConfig({ paths: PATHS, reader, ...opts });
}

function graph(files: Record<string, string>, opts: Parameters<typeof load>[1] = {}) {
  const r = load(files, opts);
  if (!r.config) return { diags: r.diags, built: undefined };
  const reader: SourceReader = { read: () => undefined };
  const built = buildGraph(r.config, { slot: 1, configRel: "", instanceId: "i", roots: { worktree: "/repo", main: "/repo", state: "/state" }, sourceDir: "/repo", reader });
  return { diags: [...r.diags, ...built.diags], built };
}

const at = (d: Diagnostic) => `${d.range?.file}:${d.range?.start.line}:${d.range?.start.col}: ${d.summary}`;
const base = '[project]\nname = "m"\n\n[sandbox]\nbackend = "process"\n';

test("reachability is a located error until it is honoured (route is honoured: see tests/unit/compile/route.test.ts)", () => {
  const r = load({
    "infra.toml": `profile = "p"\n${base}`,
    "profiles/p.toml": 'id = "p"\nversion = 1\n[route]\nstrategy = "explicit"\n[reachability]\nssh = true\n',
  });
  assert.equal(r.diags.map(at), ["profiles/p.toml:5:1: `reachability' is not supported by this sbx yet"]);
  assert.is(r.config, undefined);
});

test("a placement no backend honours is an error at its value, never a silent local run", () => {
  const ssh = graph({ "infra.toml": `profile = "p"\n${base}`, "profiles/p.toml": 'id = "p"\nversion = 1\nplacement = "ssh://dev@box"\n' });
  assert.equal(ssh.diags.map(at), ["profiles/p.toml:3:13: Placement ssh:// does not fit the process backend"]);
  assert.match(ssh.diags[0]!.detail!, 'Set backend = "compose", or remove `placement\' to run here.');
  const k8s = graph({ "infra.toml": `profile = "p"\n${base}`, "profiles/p.toml": 'id = "p"\nversion = 1\nplacement = "k8s://kind-kind"\n' });
  assert.equal(k8s.diags.map(at), ["profiles/p.toml:3:13: Placement k8s:// does not fit the process backend"]);
  const local = graph({ "infra.toml": `profile = "p"\n${base}`, "profiles/p.toml": 'id = "p"\nversion = 1\nplacement = "local"\n' });
  assert.equal(local.diags, []);
});

test("sand-boxer's extension, actor and list-form secret_refs are refused with the sbx spelling", () => {
  const r = load({
    "infra.toml": `profile = "sb"\n${base}`,
    "profiles/sb.toml": 'id = "profile.agent-dev"\nversion = 1\nextension = "ext.compose-ssh"\nactor = "agt"\n[setup]\nsecret_refs = ["GH_TOKEN", "openbao://kv/agents/token", "op://dev/gh/token"]\n',
  });
  assert.equal(r.diags.map(at), [
    "profiles/sb.toml:3:1: sand-boxer's `extension' is spelt `backend' in sbx",
    "profiles/sb.toml:4:1: sand-boxer's `actor' has no meaning in sbx",
    "profiles/sb.toml:6:1: List-form `setup.secret_refs' is sand-boxer's spelling",
  ]);
  assert.match(r.diags[0]!.detail!, 'backend = "compose"');
  const refs = r.diags[2]!.detail!;
  assert.match(refs, 'GH_TOKEN = "$GH_TOKEN"');
  assert.match(refs, 'TOKEN = "op://vault/item/field"   # was openbao://kv/agents/token');
  assert.match(refs, 'TOKEN = "op://dev/gh/token"');
});

test("inputs: defaults, given values and ${inputs.NAME} in string options", () => {
  const files = {
    "infra.toml": `profile = "p"\n${base}[sandbox.env]\nREPO = "\${inputs.repo}"\nBRANCH = "\${inputs.branch}"\n`,
    "profiles/p.toml": 'id = "p"\nversion = 1\n[inputs.repo]\ndescription = "the repository"\n[inputs.branch]\ndefault = "main"\n',
  };
  const ok = graph(files, { inputs: { repo: "/src/shop" } });
  assert.equal(ok.diags, []);
  assert.equal([ok.built!.env.REPO, ok.built!.env.BRANCH], ["/src/shop", "main"]);
  const missing = load(files);
  assert.equal(missing.diags.map(at), ["profiles/p.toml:3:1: Input `repo' is required"]);
  assert.match(missing.diags[0]!.detail!, "--input repo=VALUE");
  const unknown = load(files, { inputs: { repo: "x", rpeo: "y" } });
  assert.equal(unknown.diags.map((d) => `${d.code}: ${d.summary}`), ["usage: Unknown input `rpeo'"]);
  assert.match(unknown.diags[0]!.detail!, "repo, branch");
  const undeclared = graph({ ...files, "infra.toml": `profile = "p"\n${base}[sandbox.env]\nX = "\${inputs.nope}"\n` }, { inputs: { repo: "x" } });
  assert.equal(undeclared.diags.map(at), ["infra.toml:8:5: Bad interpolation"]);
  assert.match(undeclared.diags[0]!.detail!, "unknown input `nope'");
});

test("--profile alone makes a sandbox where there is no infra.toml, named after the profile", () => {
  const profile = 'id = "profile.tiny-web"\nversion = 2\nttl = "30m"\n[inputs.greeting]\ndefault = "hi"\n[defaults.infra.sandbox]\nbackend = "process"\n[defaults.infra.sandbox.ports]\nAPI_PORT = { base = 31000, stride = 10 }\n[defaults.infra.services.api]\ncommand = "echo ${inputs.greeting}"\nport = "API_PORT"\n';
  const r = graph({ "/home/u/.local/state/sbx/profiles/tiny.toml": profile }, { profile: "tiny", inputs: { greeting: "hello" } });
  assert.equal(r.diags, []);
  const cfg = load({ "/home/u/.local/state/sbx/profiles/tiny.toml": profile }, { profile: "tiny" }).config!;
  assert.is(cfg.infra.project!.name, "profile-tiny-web");
  assert.is(cfg.infra.sandbox!.ttl, "30m");
  assert.is(cfg.configDir, "/repo");
  assert.is(cfg.profiles[0]!.file, "$SBX_HOME/profiles/tiny.toml");
  const api = r.built!.resources.find((x) => x.address === "process.api")!;
  assert.equal(api.attrs.command, ["/bin/sh", "-c", "echo hello"]);
  const none = load({}, {});
  assert.equal(none.diags.map((d) => d.summary), ["No infra.toml or agent.toml found"]);
  const missing = load({}, { profile: "nope" });
  assert.equal(missing.diags.map((d) => `${d.code}: ${d.summary}`), ["usage: Profile `nope' not found"]);
  assert.match(missing.diags[0]!.detail!, "$SBX_HOME/profiles");
});

test("the search path: project, .sbx, $SBX_HOME, $XDG_CONFIG_HOME, then SBX_PROFILE_PATH in order", () => {
  assert.equal(
    profileSearchDirs(PATHS, "/repo").map((d) => `${d.source} ${d.dir}`),
    ["project /repo/profiles", "project /repo/.sbx/profiles", "sbx-home /home/u/.local/state/sbx/profiles", "user /home/u/.config/sbx/profiles", "shared /shared/a", "shared /shared/b"],
  );
  assert.equal(splitProfilePath("/a::/b:"), ["/a", "/b"]);
  assert.is(displayPath(PATHS, "/home/u/.config/sbx/profiles/x.toml"), "$XDG_CONFIG_HOME/sbx/profiles/x.toml");
  // First match wins: the project's file hides the shared one.
  const r = load({ "infra.toml": `profile = "p"\n${base}`, "profiles/p.toml": 'id = "p"\nversion = 1\n', "/shared/a/p.toml": 'id = "p"\nversion = 9\n' });
  assert.equal(r.config!.profiles.map((p) => `${p.id}@${p.version} ${p.file}`), ["p@1 profiles/p.toml"]);
});

test("describeProfile summarises a file for the catalog, problems included", () => {
  const s = describeProfile({ name: "a", file: "/p/a.toml", shown: "a.toml", source: "shared", text: 'id = "x"\nversion = 3\nbackend = "process"\nttl = "2h"\nactor = "agt"\n[inputs.repo]\n[inputs.ref]\ndefault = "main"\n' });
  assert.equal([s.id, s.version, s.backend, s.ttl, s.source], ["x", "3", "process", "2h", "shared"]);
  assert.equal(s.inputs, [{ name: "repo", required: true }, { name: "ref", required: false, default: "main" }]);
  assert.equal(s.problems.map((d) => d.summary), ["sand-boxer's `actor' has no meaning in sbx"]);
  assert.equal(describeProfile({ name: "b", file: "/p/b.toml", shown: "b.toml", source: "project", text: "id = \n" }).problems.map((d) => d.summary), ["Invalid TOML"]);
});

test("--input NAME=VALUE: the value may hold '='; a bad name is a usage error", () => {
  assert.equal(parseInputFlag("url=http://x/?a=b"), { name: "url", value: "http://x/?a=b" });
  assert.equal(parseInputFlag("x="), { name: "x", value: "" });
  assert.is(parseInputFlag("=v").diag!.code, "usage");
  assert.is(parseInputFlag("no-equals").diag!.summary, "Invalid --input");
});

test.run();
