// The microvm backend's pure half: names, defaults, the spec, located diagnostics and the
// rendered text (no Nix needed; tests/integration/nix-microvm.test.ts evaluates the output).

import { test } from "uvu";
import * as assert from "uvu/assert";
import agentSchema from "../../schemas/agent.schema.json" with { type: "json" };
import type { Diagnostic } from "../../src/compile/diagnostics.js";
import {
  AGENT_DEFAULTS,
  buildMicrovmSpec,
  interfaceId,
  macAddress,
  MICROVM_DEFAULTS,
  microvmArtifacts,
  renderKeystoneBlock,
  sshPortSpec,
  vmName,
} from "../../src/compile/microvm/index.js";
import { loadMicrovmInput } from "../helpers/microvm.js";

const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/;

test("VM names are <project>-slot-<N> and valid NixOS host names", () => {
  assert.is(vmName("shop", 1), "shop-slot-1");
  assert.is(vmName("My_Shop", 12), "My_Shop-slot-12");
  const odd = ["2fa.app", "a..b", "x".repeat(80), "-lead", "trail.", "日本", "", "a b"];
  for (const p of odd) {
    const n = vmName(p, 42);
    assert.match(n, HOST_NAME, `${p} -> ${n}`);
    assert.ok(n.endsWith("-slot-42"), n);
    assert.ok(n.length <= 63, n);
  }
  // A changed name carries a hash of the original, so look-alikes stay apart.
  assert.is.not(vmName("my.app", 1), vmName("my-app", 1));
  assert.is.not(vmName("a.b", 1), vmName("a_b", 1));
  assert.throws(() => vmName("x", -1), /bad slot/);
});

test("interface ids have at most 15 characters and differ by project and slot", () => {
  const ids = new Set<string>();
  for (const p of ["shop", "shop2", "a".repeat(100)])
    for (const slot of [0, 1, 2, 99, 12345, 99999, 100000, 2 ** 40]) {
      const id = interfaceId(p, slot);
      assert.ok(id.length <= 15, id);
      assert.match(id, /^[A-Za-z0-9-]+$/);
      ids.add(id);
    }
  assert.is(ids.size, 3 * 8);
  assert.is(interfaceId("shop", 7), interfaceId("shop", 7));
});

test("MACs are locally administered unicast, stable, and carry the slot", () => {
  const m = macAddress("shop", 258);
  assert.match(m, /^02(:[0-9a-f]{2}){5}$/);
  assert.ok(m.endsWith(":01:02"), m);
  assert.is(macAddress("shop", 258), m);
  assert.is.not(macAddress("shop", 259), m);
  assert.is.not(macAddress("shop2", 258), m);
  // The project part is the one the interface id shows.
  assert.is(m.slice(3, 11).replace(/:/g, ""), interfaceId("shop", 258).slice(3, 9));
});

test("the defaults in code are the defaults the schema documents", () => {
  const d = agentSchema.properties.defaults.properties;
  const m = agentSchema.properties.backend.properties.microvm.properties;
  assert.equal(
    { memory: d.memory.default, vcpus: d.vcpus.default, nestedVirt: d.nested_virt.default, network: d.network.default, syncMode: d.sync_mode.default, syncIdleSeconds: d.sync_idle_seconds.default, persist: d.persist.default, hypervisor: m.hypervisor.default, shareProto: m.share_proto.default },
    { ...AGENT_DEFAULTS },
  );
  assert.is(m.autostart.default, MICROVM_DEFAULTS.autostart);
  assert.is(m.workspace_mount.default, MICROVM_DEFAULTS.workspaceMount);
  assert.is(m.store_share.default, MICROVM_DEFAULTS.storeShare);
  assert.is(m.macvtap_mode.default, MICROVM_DEFAULTS.macvtapMode);
  assert.is(m.volume.properties.size.default, MICROVM_DEFAULTS.volumeSize);
  assert.is(m.volume.properties.mount_point.default, MICROVM_DEFAULTS.volumeMount);
  assert.is(m.volume.properties.image.default, MICROVM_DEFAULTS.volumeImage);
  assert.is(m.user.default, MICROVM_DEFAULTS.user);
  assert.is(m.state_version.default, MICROVM_DEFAULTS.stateVersion);
  const fwd = m.forward_ports.additionalProperties.anyOf[1]!.properties!;
  assert.is(fwd.proto.default, MICROVM_DEFAULTS.forwardProto);
  assert.is(fwd.host_address.default, MICROVM_DEFAULTS.forwardHostAddress);
});

test("SSH_PORT is base 22200, stride 1", () => {
  assert.equal(sshPortSpec(), { name: "SSH_PORT", base: 22200, stride: 1, standard: 22200 });
});

// --- located diagnostics -----------------------------------------------------------------

const INFRA = '[project]\nname = "shop"\n[sandbox.ports]\nAPI_PORT = { base = 18080, stride = 10 }\n';

function diagsFor(agent: string, slot = 1): Diagnostic[] {
  const l = loadMicrovmInput({ infra: INFRA, agent, slot });
  assert.equal(l.diags, [], "agent.toml loads");
  return buildMicrovmSpec(l.input!).diags;
}

/** 1-based line of the first line of `text` containing `needle` (searched from `after`). */
function lineOf(text: string, needle: string, after = 0): number {
  const lines = text.split("\n");
  const i = lines.findIndex((l, n) => n >= after && l.includes(needle));
  if (i < 0) throw new Error(`${needle} not in test input`);
  return i + 1;
}

function expectOne(agent: string, severity: "error" | "warning", summary: RegExp, needle: string, after = 0): Diagnostic {
  const ds = diagsFor(agent).filter((d) => d.severity === severity);
  assert.is(ds.length, 1, JSON.stringify(ds));
  const d = ds[0]!;
  assert.match(d.summary, summary);
  assert.is(d.range?.file, "agent.toml");
  assert.is(d.range?.start.line, lineOf(agent, needle, after), `${d.summary} at ${JSON.stringify(d.range)}`);
  assert.ok(d.detail && d.detail.length > 20, "says what to do");
  return d;
}

const BAD: { name: string; agent: string; severity: "error" | "warning"; summary: RegExp; needle: string; after?: number }[] = [
  { name: "forwarded ports on firecracker", agent: '[backend.microvm]\nhypervisor = "firecracker"\n[backend.microvm.forward_ports]\nAPI_PORT = 8080\n', severity: "error", summary: /needs qemu and user networking/, needle: "API_PORT" },
  { name: "forwarded ports on a tap network", agent: '[defaults]\nnetwork = "tap"\n[backend.microvm.forward_ports]\nAPI_PORT = { guest = 8080 }\n', severity: "error", summary: /needs qemu and user networking/, needle: "API_PORT" },
  { name: "a forwarded port the slot does not have", agent: "[backend.microvm.forward_ports]\nAPI = 8080\n", severity: "error", summary: /Unknown port variable `API'/, needle: "API = " },
  { name: "forwarding SSH_PORT by hand", agent: "[backend.microvm.forward_ports]\nSSH_PORT = 2222\n", severity: "error", summary: /SSH_PORT is forwarded by sbx/, needle: "SSH_PORT" },
  { name: "two shares with one tag", agent: '[[backend.microvm.shares]]\ntag = "cache"\nsource = "/a"\nmount_point = "/a"\n[[backend.microvm.shares]]\ntag = "cache"\nsource = "/b"\nmount_point = "/b"\n', severity: "error", summary: /Duplicate share tag `cache'/, needle: 'tag = "cache"', after: 4 },
  { name: "a share named like sbx's workspace", agent: '[[backend.microvm.shares]]\ntag = "workspace"\nsource = "/a"\nmount_point = "/a"\n', severity: "error", summary: /Duplicate share tag `workspace'/, needle: "tag =" },
  { name: "an interface id over 15 characters", agent: '[backend.microvm]\ninterface_id = "sixteen-chars-xx"\n', severity: "error", summary: /longer than 15 characters/, needle: "interface_id" },
  { name: "a relative share mount point", agent: '[[backend.microvm.shares]]\ntag = "cache"\nsource = "/a"\nmount_point = "cache"\n', severity: "error", summary: /Mount point is not absolute/, needle: "mount_point" },
  { name: "a relative workspace mount point", agent: '[backend.microvm]\nworkspace_mount = "workspace"\n', severity: "error", summary: /Mount point is not absolute/, needle: "workspace_mount" },
  { name: "a relative volume mount point", agent: '[backend.microvm.volume]\nsize = 100\nmount_point = "var"\n', severity: "error", summary: /Mount point is not absolute/, needle: "mount_point" },
  { name: "two shares at one mount point", agent: '[[backend.microvm.shares]]\ntag = "a"\nsource = "/a"\nmount_point = "/workspace/"\n', severity: "error", summary: /Two shares mount at \/workspace/, needle: "mount_point" },
  { name: "a bridge network without a bridge", agent: '[defaults]\nnetwork = "bridge"\n', severity: "error", summary: /Bridge network without a bridge/, needle: "network" },
  { name: "a macvtap network without a link", agent: '[defaults]\nnetwork = "macvtap"\n', severity: "error", summary: /Macvtap network without a link/, needle: "network" },
  { name: "exactly 2048 MiB on qemu", agent: "[defaults]\nvcpus = 2\nmemory = 2048\n", severity: "warning", summary: /QEMU hangs with exactly 2048 MiB/, needle: "memory" },
  { name: "user networking on cloud-hypervisor", agent: '[backend.microvm]\nhypervisor = "cloud-hypervisor"\n', severity: "warning", summary: /SSH is not forwarded/, needle: "hypervisor" },
];

for (const b of BAD) test(`located ${b.severity}: ${b.name}`, () => void expectOne(b.agent, b.severity, b.summary, b.needle, b.after));

test("every problem is reported at once", () => {
  const agent = '[defaults]\nmemory = 2048\n[backend.microvm]\ninterface_id = "sixteen-chars-xx"\nworkspace_mount = "ws"\n[backend.microvm.forward_ports]\nNOPE = 1\n';
  const ds = diagsFor(agent);
  assert.equal(ds.map((d) => d.range?.start.line).sort(), [2, 4, 5, 7].map(Number).sort());
});

test("2048 MiB is fine on other hypervisors, and valid inputs have no diagnostics", () => {
  assert.equal(diagsFor('[defaults]\nmemory = 2048\nnetwork = "tap"\n[backend.microvm]\nhypervisor = "firecracker"\n'), []);
  assert.equal(diagsFor("[backend.microvm.forward_ports]\nAPI_PORT = 8080\n"), []);
});

test("schema errors stay located (guest port out of range, unknown key)", () => {
  const l = loadMicrovmInput({ infra: INFRA, agent: "[backend.microvm.forward_ports]\nAPI_PORT = 70000\n[backend.microvm]\nshare_protocol = \"9p\"\n", slot: 1 });
  assert.ok(l.diags.length >= 2, JSON.stringify(l.diags));
  assert.ok(l.diags.every((d) => d.range?.file === "agent.toml" && d.range.start.line >= 2));
});

test("an SSH key spanning two lines is a located schema error", () => {
  const agent = '[backend.microvm]\nssh_authorized_keys = ["ssh-ed25519 AAAA\\nsecond line"]\n';
  const l = loadMicrovmInput({ infra: INFRA, agent, slot: 1 });
  assert.is(l.input, undefined);
  assert.ok(l.diags.some((d) => d.range?.file === "agent.toml" && d.range.start.line === 2), JSON.stringify(l.diags));
});

// --- rendered text ---------------------------------------------------------------------------

function render(agent: string, slot = 1) {
  const l = loadMicrovmInput({ infra: INFRA, agent, slot });
  const r = buildMicrovmSpec(l.input!);
  return { spec: r.value, files: Object.fromEntries(microvmArtifacts(r.value).map((a) => [a.role, a])) };
}

test("comments point at the agent.toml lines that set a value, and only those", () => {
  const agent = "[defaults]\nvcpus = 2\n\nmemory = 3000\n[backend.microvm.forward_ports]\nAPI_PORT = 8080\n";
  const { files } = render(agent);
  const guest = files.guest!.text;
  assert.match(guest, `mem = 3000; # agent.toml:${lineOf(agent, "memory")}\n`);
  assert.match(guest, `vcpu = 2; # agent.toml:${lineOf(agent, "vcpus")}\n`);
  assert.match(guest, `# API_PORT, agent.toml:${lineOf(agent, "API_PORT")}\n`);
  assert.match(guest, '    hypervisor = "qemu";\n');
});

test("output is deterministic: the declaration order of ports does not matter", () => {
  const a = render("[backend.microvm.forward_ports]\nAPI_PORT = 8080\n");
  const twice = render("[backend.microvm.forward_ports]\nAPI_PORT = 8080\n");
  assert.equal(a.files, twice.files);
  const two = "[sandbox.ports]\nB_PORT = 20000\n";
  const l1 = loadMicrovmInput({ infra: INFRA + two.replace("[sandbox.ports]\n", ""), agent: "[backend.microvm.forward_ports]\nB_PORT = 2\nAPI_PORT = 1\n", slot: 1 });
  const l2 = loadMicrovmInput({ infra: INFRA + two.replace("[sandbox.ports]\n", ""), agent: "[backend.microvm.forward_ports]\nAPI_PORT = 1\nB_PORT = 2\n", slot: 1 });
  const names = (l: ReturnType<typeof loadMicrovmInput>) => buildMicrovmSpec(l.input!).value.forwardPorts.map((f) => f.name);
  assert.equal(names(l1), ["SSH_PORT", "API_PORT", "B_PORT"]);
  assert.equal(names(l2), names(l1));
});

test("the host module imports the guest files by the paths the artifacts use", () => {
  const { spec, files } = render("");
  assert.is(files.guest!.path, `vms/${spec.name}.nix`);
  assert.is(files.extras!.path, `vms/${spec.name}.extras.nix`);
  assert.match(files.host!.text, `microvm.vms.${spec.name} = {`);
  assert.match(files.host!.text, `imports = [ ./vms/${spec.name}.nix ./vms/${spec.name}.extras.nix ];`);
  assert.match(files.host!.text, "nested_virt = true: nested KVM is a host-wide setting");
  const code = (t: string) => t.split("\n").filter((l) => !l.startsWith("#")).join("\n");
  assert.not.match(code(files.guest!.text), /networking|services|users/);
  assert.not.match(code(files.extras!.text), /microvm/);
});

test("the keystone block maps nat to user and warns that none has no keystone equivalent", () => {
  const agentNat = { defaults: { network: "nat" as const } };
  const r = renderKeystoneBlock(agentNat, () => undefined);
  assert.equal(r.diags, []);
  assert.match(r.value, 'network = "user";');
  const none = renderKeystoneBlock({ defaults: { network: "none" } }, () => ({ file: "agent.toml", start: { line: 2, col: 1 } }));
  assert.is(none.diags.length, 1);
  assert.is(none.diags[0]!.range?.start.line, 2);
  assert.not.match(none.value, "network =");
});

test.run();
