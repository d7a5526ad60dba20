// agent.toml beside or instead of infra.toml, on the real loader: which backend is chosen
// (and the located conflict), the project name of an agent-only repository, the user's
// keystone file as a layer of defaults with provenance, agent settings a backend ignores,
// and locations inside [[backend.microvm.shares]] across layers.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { projectNameFromDirectory } from "../../src/compile/agent.js";
import { buildGraph, slotPortSpecs } from "../../src/compile/backends/index.js";
import { agentLocate } from "../../src/compile/backends/microvm.js";
import { loadConfig, type ResolvedConfig, type SourceReader } from "../../src/compile/config.js";
import type { Diagnostic } from "../../src/compile/diagnostics.js";
import { explainOption } from "../../src/compile/explain.js";
import { renderPlanText } from "../../src/plan/render/text.js";
import type { Plan, ResourceChange } from "../../src/plan/model.js";

const XDG = "/home/dev/.config";

function load(files: Record<string, string>, opts: { sets?: string[]; main?: string } = {}) {
  const reader: SourceReader = {
    read: (p) => (p.startsWith("/repo/") ? files[p.slice("/repo/".length)] : p.startsWith(`${XDG}/`) ? files[`~/${p.slice(XDG.length + 1)}`] : undefined),
  };
  return loadConfig({ paths: { cwd: "/repo", worktree: "/repo", main: opts.main ?? "/repo", xdgConfig: XDG }, reader, sets: opts.sets });
}

function ok(files: Record<string, string>, opts: { sets?: string[]; main?: string } = {}): { config: ResolvedConfig; diags: Diagnostic[] } {
  const r = load(files, opts);
  assert.ok(r.config, JSON.stringify(r.diags, null, 2));
  return { config: r.config!, diags: r.diags };
}

const INFRA = '[project]\nname = "shop"\n';
const SERVICES = '[services.api]\ncommand = "node server.mjs"\n';

test("an agent-only repository: microvm backend, project named after the main repository's directory", () => {
  const { config, diags } = ok({ "agent.toml": "[defaults]\nvcpus = 2\n" }, { main: "/src/My Shop (v2)" });
  assert.equal(diags, []);
  assert.is(config.backend, "microvm");
  assert.is(config.infra.project!.name, "My-Shop-v2-");
  assert.equal(config.files.map((f) => f.role), ["agent"]);
  assert.is(config.configDir, "/repo");
});

test("directory names are fitted to the project name pattern", () => {
  assert.is(projectNameFromDirectory("/w/shop"), "shop");
  assert.is(projectNameFromDirectory("/w/.hidden.repo"), "hidden.repo");
  assert.is(projectNameFromDirectory("/w/über app"), "ber-app");
  assert.is(projectNameFromDirectory("/w/___"), "sandbox");
  assert.is(projectNameFromDirectory("/"), "sandbox");
});

test("agent.toml's [project] name names the project, and explain shows where it came from", () => {
  const { config } = ok({ "agent.toml": '[project]\nname = "agent-shop"\n' });
  assert.is(config.infra.project!.name, "agent-shop");
  const lines = explainOption(config, "project.name").lines.join("\n");
  assert.match(lines, "- In `agent.toml:2:8' (project, priority 100): \"agent-shop\"");
  assert.match(lines, "(name of directory /repo)' (derived, priority 1500): \"repo\"  (overridden)");
});

test("backend: agent.toml beside infra.toml picks microvm; [backend] type and sandbox.backend agree or conflict with both places named", () => {
  assert.is(ok({ "infra.toml": INFRA + SERVICES, "agent.toml": "[defaults]\nvcpus = 2\n" }).config.backend, "microvm");
  assert.is(ok({ "infra.toml": INFRA + SERVICES }).config.backend, "process");
  assert.is(ok({ "infra.toml": INFRA }).config.backend, "compose");
  assert.is(ok({ "infra.toml": `${INFRA}[sandbox]\nbackend = "microvm"\n`, "agent.toml": '[backend]\ntype = "microvm"\n' }).config.backend, "microvm");
  const r = load({ "infra.toml": `${INFRA}[sandbox]\nbackend = "process"\n${SERVICES}`, "agent.toml": '[backend]\ntype = "microvm"\n' });
  assert.is(r.config, undefined);
  assert.is(r.diags.length, 1);
  const d = r.diags[0]!;
  assert.is(d.summary, "Two backends chosen");
  assert.equal(d.range, { file: "agent.toml", start: { line: 2, col: 8 } });
  assert.match(d.detail!, "- In `agent.toml:2:8' (project, priority 100): backend.type = \"microvm\"");
  assert.match(d.detail!, "- In `infra.toml:4:11' (project, priority 100): sandbox.backend = \"process\"");
});

test("infra.toml's [services] beside an agent.toml are not run by the microvm backend, and it says so at the service", () => {
  const { config } = ok({ "infra.toml": INFRA + SERVICES, "agent.toml": "[defaults]\nvcpus = 2\n" });
  const built = buildGraph(config, { slot: 1, configRel: "", instanceId: "i", roots: { worktree: "/repo", main: "/repo", state: "/s" }, sourceDir: "/repo", reader: { read: () => undefined } });
  assert.equal(
    built.diags.map((d) => [d.severity, d.summary, d.range]),
    [["warning", "[services] is not run by the microvm backend", { file: "infra.toml", start: { line: 3, col: 1 } }]],
  );
});

test("backend: the better priority wins between the two files (a profile's default yields, --set forces)", () => {
  const profile = { "profiles/vm.toml": 'id = "vm"\nversion = 1\nbackend = "microvm"\n' };
  const p = ok({ "infra.toml": `profile = "vm"\n${INFRA}${SERVICES}`, ...profile, "agent.toml": '[backend]\ntype = "microvm"\n' });
  assert.is(p.config.backend, "microvm");
  const forced = ok({ "infra.toml": INFRA + SERVICES, "agent.toml": '[backend]\ntype = "microvm"\n' }, { sets: ["sandbox.backend=process"] });
  assert.is(forced.config.backend, "process", "--set (priority 50) beats agent.toml (100)");
  assert.match(forced.diags.map((d) => d.summary).join("\n"), /^$/, "nothing else to say: type is not an ignored setting");
});

test("the user's keystone agent.toml supplies defaults below the repository's, with provenance; it is not read for other projects", () => {
  const files = { "agent.toml": "[defaults]\nmemory = 4096\n", "~/keystone/agent.toml": "[defaults]\nmemory = 16384\nvcpus = 8\n" };
  const { config } = ok(files);
  assert.is(config.agent!.defaults!.memory, 4096);
  assert.is(config.agent!.defaults!.vcpus, 8);
  assert.equal(config.files.map((f) => `${f.role}:${f.file}`), ["agent:agent.toml", "user:$XDG_CONFIG_HOME/keystone/agent.toml"]);
  const lines = explainOption(config, "defaults.memory").lines.join("\n");
  assert.match(lines, "- In `agent.toml:2:10' (project, priority 100): 4096");
  assert.match(lines, "- In `$XDG_CONFIG_HOME/keystone/agent.toml:2:10' (user, priority 1000): 16384  (overridden)");
  const other = ok({ "infra.toml": INFRA + SERVICES, "~/keystone/agent.toml": '[backend]\ntype = "kubernetes"\n' });
  assert.is(other.config.backend, "process", "a process project ignores the user's agent file");
  assert.equal(other.config.files.map((f) => f.role), ["infra"]);
  const vm = ok({ "infra.toml": `${INFRA}[sandbox]\nbackend = "microvm"\n`, "~/keystone/agent.toml": "[defaults]\nvcpus = 8\n" });
  assert.is(vm.config.agent!.defaults!.vcpus, 8, "infra.toml choosing microvm reads it");
});

test("agent settings the backend cannot honour are one located warning, never dropped in silence", () => {
  const { config, diags } = ok({ "infra.toml": `${INFRA}[sandbox]\nbackend = "process"\n${SERVICES}`, "agent.toml": "[defaults]\nmemory = 4096\nvcpus = 2\n" });
  assert.is(config.backend, "process");
  assert.is(diags.length, 1);
  assert.is(diags[0]!.severity, "warning");
  assert.is(diags[0]!.summary, "2 agent settings are ignored by the process backend");
  assert.equal(diags[0]!.range, { file: "agent.toml", start: { line: 2, col: 10 } });
  assert.match(diags[0]!.detail!, "- defaults.memory (agent.toml:2:10): the process backend runs no agent VM\n- defaults.vcpus (agent.toml:3:9)");
  const vm = ok({ "agent.toml": '[defaults]\nsync_mode = "auto-commit"\n[proxy]\nenable = true\n' });
  assert.is(vm.diags[0]!.summary, "2 agent settings are ignored by the microvm backend");
  assert.match(vm.diags[0]!.detail!, "defaults.sync_mode (agent.toml:2:13): the worktree is shared live");
  assert.equal(ok({ "agent.toml": '[defaults]\nsync_mode = "manual"\nmemory = 4096\n' }).diags, [], "what microvm honours, or the default, says nothing");
  assert.equal(ok({ "~/keystone/agent.toml": "[proxy]\nenable = true\n", "agent.toml": "" }).diags, [], "the user's defaults are not the project's doing");
});

test("an error inside [[backend.microvm.shares]] points at the key, also when a profile's shares come first", () => {
  const agent = '[[backend.microvm.shares]]\ntag = "data"\nsource = "data"\nmount_point = "data"\n';
  const profile = 'id = "p"\nversion = 1\n[[defaults.agent.backend.microvm.shares]]\ntag = "cache"\nsource = "/c"\nmount_point = "/cache"\n';
  const cases: Record<string, string>[] = [{ "agent.toml": agent }, { "agent.toml": `profile = "p"\n${agent}`, "profiles/p.toml": profile }];
  for (const files of cases) {
    const { config } = ok(files);
    const built = buildGraph(config, { slot: 1, configRel: "", instanceId: "i", roots: { worktree: "/repo", main: "/repo", state: "/state" }, sourceDir: "/repo", reader: { read: () => undefined } });
    const d = built.diags.find((x) => x.summary === "Mount point is not absolute")!;
    const line = "profile" in config.agent! ? 5 : 4;
    assert.equal(d.range, { file: "agent.toml", start: { line, col: 1 } }, JSON.stringify(built.diags));
    // Lists concatenate in priority order: agent.toml's share (100) first, the profile's (1000) after it.
    assert.equal(agentLocate(config)(["backend", "microvm", "shares", 0, "tag"]), { file: "agent.toml", start: { line: line - 2, col: 1 } });
    if ("profile" in config.agent!) assert.equal(agentLocate(config)(["backend", "microvm", "shares", 1, "mount_point"]), { file: "profiles/p.toml", start: { line: 6, col: 1 } });
  }
});

test("SSH_PORT joins the slot's ports for microvm only; a declared SSH_PORT wins", () => {
  assert.equal(slotPortSpecs(ok({ "agent.toml": "" }).config), [{ name: "SSH_PORT", base: 22200, stride: 1, standard: 22200 }]);
  assert.equal(slotPortSpecs(ok({ "infra.toml": INFRA + SERVICES }).config), []);
  const own = ok({ "infra.toml": `${INFRA}[sandbox.ports]\nSSH_PORT = { base = 2300, stride = 5 }\n`, "agent.toml": "" }).config;
  assert.equal(slotPortSpecs(own).map((s) => [s.name, s.base, s.stride]), [["SSH_PORT", 2300, 5]]);
});

test("the microvm backend's resources, with their dependencies", () => {
  const { config } = ok({ "infra.toml": `${INFRA}[sandbox.ports]\nAPI_PORT = { base = 18080, stride = 10 }\n`, "agent.toml": "[backend.microvm.forward_ports]\nAPI_PORT = 8080\n" });
  const built = buildGraph(config, { slot: 3, configRel: "", instanceId: "i", roots: { worktree: "/w/shop", main: "/w/shop", state: "/state" }, sourceDir: "/w/shop", reader: { read: () => undefined } });
  assert.equal(built.diags, []);
  assert.equal(
    built.resources.map((r) => [r.address, r.dependsOn]),
    [
      ["file.env_sandbox", ["slot.this"]],
      ["microvm.shop-slot-3", ['nix.guest["shop-slot-3"]', "nix.host"]],
      ['nix.guest["shop-slot-3"]', ["slot.this"]],
      ["nix.host", ['nix.guest["shop-slot-3"]']],
      ["slot.this", []],
    ],
  );
  const vm = built.resources.find((r) => r.type === "microvm")!.attrs;
  assert.equal(vm, { name: "shop-slot-3", dir: "/etc/nixos/sbx/shop-slot-3", rebuild: ["nixos-rebuild", "switch"], ssh: { address: "127.0.0.1", port: 22203, user: "agent" }, ports: [22203, 18110], workspace: "/workspace" });
  assert.equal(built.urls, [
    { name: "ssh", url: "ssh://agent@127.0.0.1:22203" },
    { name: "API_PORT", url: "tcp://127.0.0.1:18110" },
  ]);
  assert.is(built.env.SSH_PORT, "22203");
  const custom = ok({ "agent.toml": '[backend.microvm]\nhost_config_dir = "/srv/vms"\nrebuild_command = []\n' }).config;
  const c = buildGraph(custom, { slot: 1, configRel: "", instanceId: "i", roots: { worktree: "/w", main: "/w", state: "/s" }, sourceDir: "/w", reader: { read: () => undefined } });
  assert.equal((c.resources.find((r) => r.type === "microvm")!.attrs as { dir: string; rebuild: string[] }).rebuild, []);
  assert.is((c.resources.find((r) => r.type === "nix.host")!.attrs as { dir: string }).dir, "/srv/vms/repo-slot-1");
});

test("a plan names resources of dotted kinds by their VM", () => {
  const change = (address: string, type: string): ResourceChange => ({ address, type, action: "create", reasons: [], before: null, after: { vm: "x" }, sensitive: [], replace_paths: [], render: {}, depends_on: [] });
  const plan: Plan = {
    format_version: "2.0",
    sbx_version: "0",
    mode: "apply",
    instance: { id: "i", project: "shop", worktree: "/w", backend: "microvm" },
    slot: { number: 1, status: "to-claim" },
    ports: {},
    profiles: [],
    config_hash: "",
    sets: [],
    targets: [],
    prior_state: null,
    secret_fingerprints: {},
    resource_changes: [change('nix.guest["shop-slot-1"]', "nix.guest"), change("nix.host", "nix.host"), change("microvm.shop-slot-1", "microvm")],
    summary: { add: 3, change: 0, replace: 0, destroy: 0 },
    outputs: { urls: [] },
    diagnostics: [],
  };
  const text = renderPlanText(plan);
  assert.match(text, '+ resource nix.guest "shop-slot-1" {');
  assert.match(text, "+ resource nix.host {");
  assert.match(text, '+ resource microvm "shop-slot-1" {');
});

test.run();
