// agent.toml → microvm.nix modules, checked with the real nix-instantiate: every file
// parses, and the plain-Nix checker (nix/checker) evaluates the host module, follows its
// imports into the guest modules, type-checks them against microvm.nix's declarations and
// returns values that must equal what agent.toml and infra.toml asked for.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { hasErrors } from "../../src/compile/diagnostics.js";
import { buildMicrovmSpec, interfaceId, keystoneArtifact, macAddress, microvmArtifacts, vmName } from "../../src/compile/microvm/index.js";
import { loadMicrovmInput } from "../helpers/microvm.js";
import { jsonOf, nixEvalJson, nixOrSkip, nixParse } from "../helpers/nix.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CHECKER = path.join(ROOT, "nix/checker");
const HAVE_NIX = nixOrSkip("microvm.nix module tests (tests/integration/nix-microvm.test.ts)");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sbx-nix-microvm-"));

/** The documented SSH_PORT spec: base 22200, stride 1. */
const sshHostPort = (slot: number) => 22200 + slot;

interface Expect {
  mem: number;
  vcpu: number;
  hypervisor: string;
  iface?: { type: string; bridge?: string | null; macvtap?: { link: string; mode: string } };
  shares: { tag: string; source: string; mountPoint: string; proto: string; readOnly: boolean }[];
  forwards: { proto: string; address: string; hostPort: number; guestPort: number }[];
  volumes: { image: string; mountPoint: string; size: number }[];
  tcp: number[];
  udp: number[];
  autostart: boolean;
  keys: string[];
  qemuExtraArgs: string[];
  warnings?: RegExp[];
}

interface Case {
  name: string;
  project: string;
  slot: number;
  worktree: string;
  infraPorts?: string;
  agent: string;
  expect: Expect;
}

const store = (proto = "virtiofs") => ({ tag: "ro-store", source: "/nix/store", mountPoint: "/nix/.ro-store", proto, readOnly: true });
const workspace = (source: string, proto = "virtiofs", mountPoint = "/workspace") => ({ tag: "workspace", source, mountPoint, proto, readOnly: false });
const ssh = (slot: number) => ({ proto: "tcp", address: "127.0.0.1", hostPort: sshHostPort(slot), guestPort: 22 });
const persist = (size = 8192, mountPoint = "/var", image = "persist.img") => [{ image, mountPoint, size }];
const base = { autostart: false, keys: [] as string[], qemuExtraArgs: [] as string[], udp: [] as number[] };

const WEIRD = '/tmp/wt/we"ird ${HOME} \'\'q\'\' \\ ü $${x} $$\nnext line';

const CASES: Case[] = [
  {
    name: "defaults",
    project: "shop",
    slot: 1,
    worktree: "/home/dev/shop",
    agent: '[backend]\ntype = "microvm"\n',
    expect: { ...base, mem: 8192, vcpu: 4, hypervisor: "qemu", iface: { type: "user", bridge: null }, shares: [store(), workspace("/home/dev/shop")], forwards: [ssh(1)], volumes: persist(), tcp: [22] },
  },
  {
    name: "keystone example file, persist off",
    project: "shop",
    slot: 7,
    worktree: "/home/dev/shop-7",
    agent: '[defaults]\nmemory = 4096\nvcpus = 2\nnested_virt = false\nsync_mode = "auto-idle"\npersist = false\n\n[backend]\ntype = "microvm"\n\n[backend.microvm]\nshare_proto = "virtiofs"\n\n[proxy]\nenable = true\ndomain = "sandbox.test"\n',
    expect: { ...base, mem: 4096, vcpu: 2, hypervisor: "qemu", iface: { type: "user", bridge: null }, shares: [store(), workspace("/home/dev/shop-7")], forwards: [ssh(7)], volumes: [], tcp: [22] },
  },
  {
    name: "persist on with a custom volume, autostart, extra qemu args",
    project: "shop",
    slot: 2,
    worktree: "/srv/shop",
    agent: '[defaults]\npersist = true\n[backend.microvm]\nautostart = true\nqemu_extra_args = ["-sandbox", "off"]\n[backend.microvm.volume]\nsize = 2048\nmount_point = "/persist"\nimage = "state.img"\n',
    expect: { ...base, autostart: true, qemuExtraArgs: ["-sandbox", "off"], mem: 8192, vcpu: 4, hypervisor: "qemu", iface: { type: "user", bridge: null }, shares: [store(), workspace("/srv/shop")], forwards: [ssh(2)], volumes: persist(2048, "/persist", "state.img"), tcp: [22] },
  },
  {
    name: "9p shares, no store share, another workspace mount",
    project: "shop",
    slot: 3,
    worktree: "/srv/shop",
    agent: '[backend.microvm]\nshare_proto = "9p"\nstore_share = false\nworkspace_mount = "/home/agent/src"\n',
    expect: { ...base, mem: 8192, vcpu: 4, hypervisor: "qemu", iface: { type: "user", bridge: null }, shares: [workspace("/srv/shop", "9p", "/home/agent/src")], forwards: [ssh(3)], volumes: persist(), tcp: [22] },
  },
  {
    name: "extra shares: relative source, read-only, per-share proto",
    project: "shop",
    slot: 4,
    worktree: "/srv/shop",
    agent: '[[backend.microvm.shares]]\ntag = "cache"\nsource = ".cache/sbx"\nmount_point = "/cache"\n\n[[backend.microvm.shares]]\ntag = "datasets"\nsource = "/data/sets"\nmount_point = "/data"\nread_only = true\nproto = "9p"\n',
    expect: {
      ...base,
      mem: 8192,
      vcpu: 4,
      hypervisor: "qemu",
      iface: { type: "user", bridge: null },
      shares: [store(), workspace("/srv/shop"), { tag: "cache", source: "/srv/shop/.cache/sbx", mountPoint: "/cache", proto: "virtiofs", readOnly: false }, { tag: "datasets", source: "/data/sets", mountPoint: "/data", proto: "9p", readOnly: true }],
      forwards: [ssh(4)],
      volumes: persist(),
      tcp: [22],
    },
  },
  {
    name: "several forwarded ports (tcp, udp, another host address)",
    project: "shop",
    slot: 5,
    worktree: "/srv/shop",
    infraPorts: "API_PORT = { base = 18080, stride = 10 }\nMETRICS = 19000\nWEB = { base = 13000, stride = 2 }\n",
    agent: '[backend.microvm.forward_ports]\nAPI_PORT = 8080\nMETRICS = { guest = 9125, proto = "udp" }\nWEB = { guest = 3000, host_address = "0.0.0.0" }\n',
    expect: {
      ...base,
      mem: 8192,
      vcpu: 4,
      hypervisor: "qemu",
      iface: { type: "user", bridge: null },
      shares: [store(), workspace("/srv/shop")],
      forwards: [ssh(5), { proto: "tcp", address: "127.0.0.1", hostPort: 18080 + 5 * 10, guestPort: 8080 }, { proto: "udp", address: "127.0.0.1", hostPort: 19000 + 5, guestPort: 9125 }, { proto: "tcp", address: "0.0.0.0", hostPort: 13000 + 5 * 2, guestPort: 3000 }],
      volumes: persist(),
      tcp: [22, 3000, 8080],
      udp: [9125],
    },
  },
  {
    name: "network tap on cloud-hypervisor (no forwards)",
    project: "shop",
    slot: 6,
    worktree: "/srv/shop",
    agent: '[defaults]\nnetwork = "tap"\n[backend.microvm]\nhypervisor = "cloud-hypervisor"\n',
    expect: { ...base, mem: 8192, vcpu: 4, hypervisor: "cloud-hypervisor", iface: { type: "tap", bridge: null }, shares: [store(), workspace("/srv/shop")], forwards: [], volumes: persist(), tcp: [22] },
  },
  {
    name: "network bridge",
    project: "shop",
    slot: 8,
    worktree: "/srv/shop",
    agent: '[defaults]\nnetwork = "bridge"\n[backend.microvm]\nbridge = "br-lan"\n',
    expect: { ...base, mem: 8192, vcpu: 4, hypervisor: "qemu", iface: { type: "bridge", bridge: "br-lan" }, shares: [store(), workspace("/srv/shop")], forwards: [], volumes: persist(), tcp: [22] },
  },
  {
    name: "network macvtap",
    project: "shop",
    slot: 9,
    worktree: "/srv/shop",
    agent: '[defaults]\nnetwork = "macvtap"\n[backend.microvm]\nmacvtap_link = "enp3s0"\nmacvtap_mode = "vepa"\n',
    expect: { ...base, mem: 8192, vcpu: 4, hypervisor: "qemu", iface: { type: "macvtap", bridge: null, macvtap: { link: "enp3s0", mode: "vepa" } }, shares: [store(), workspace("/srv/shop")], forwards: [], volumes: persist(), tcp: [22] },
  },
  {
    name: "network none",
    project: "shop",
    slot: 10,
    worktree: "/srv/shop",
    agent: '[defaults]\nnetwork = "none"\n',
    expect: { ...base, mem: 8192, vcpu: 4, hypervisor: "qemu", shares: [store(), workspace("/srv/shop")], forwards: [], volumes: persist(), tcp: [22] },
  },
  {
    name: "keystone's old network name nat is user networking",
    project: "shop",
    slot: 11,
    worktree: "/srv/shop",
    agent: '[defaults]\nnetwork = "nat"\n',
    expect: { ...base, mem: 8192, vcpu: 4, hypervisor: "qemu", iface: { type: "user", bridge: null }, shares: [store(), workspace("/srv/shop")], forwards: [ssh(11)], volumes: persist(), tcp: [22] },
  },
  {
    name: "exactly 2048 MiB on qemu still generates, with the warning",
    project: "shop",
    slot: 12,
    worktree: "/srv/shop",
    agent: "[defaults]\nmemory = 2048\n",
    expect: { ...base, mem: 2048, vcpu: 4, hypervisor: "qemu", iface: { type: "user", bridge: null }, shares: [store(), workspace("/srv/shop")], forwards: [ssh(12)], volumes: persist(), tcp: [22], warnings: [/QEMU hangs if memory is exactly 2GB/] },
  },
  {
    name: "names and paths that need escaping",
    project: "2fa.app",
    slot: 13,
    worktree: WEIRD,
    agent: [
      "[backend.microvm]",
      "ssh_authorized_keys = ['ssh-ed25519 AAAA \"quoted\" ${USER} $${x} \\\\ key']",
      String.raw`qemu_extra_args = ['-append', "console=ttyS0 $` + String.raw`{x} \"q\" ''"]`,
      "workspace_mount = '/work space/${x}'",
      "[[backend.microvm.shares]]",
      "tag = 'we\"ird ${tag}'",
      "source = 'rel ${dir}/\"x\"'",
      "mount_point = '/mnt/\"odd\" ${y}'",
    ].join("\n"),
    expect: {
      ...base,
      keys: ['ssh-ed25519 AAAA "quoted" ${USER} $${x} \\\\ key'],
      qemuExtraArgs: ["-append", "console=ttyS0 ${x} \"q\" ''"],
      mem: 8192,
      vcpu: 4,
      hypervisor: "qemu",
      iface: { type: "user", bridge: null },
      shares: [store(), workspace(WEIRD, "virtiofs", "/work space/${x}"), { tag: 'we"ird ${tag}', source: `${WEIRD}/rel \${dir}/"x"`, mountPoint: '/mnt/"odd" ${y}', proto: "virtiofs", readOnly: false }],
      forwards: [ssh(13)],
      volumes: persist(),
      tcp: [22],
    },
  },
];

interface Generated {
  dir: string;
  vm: string;
  files: { role: string; file: string; text: string }[];
  warnings: string[];
}

function generate(c: Case, slot = c.slot): Generated {
  const infra = `[project]\nname = "${c.project}"\n${c.infraPorts ? `[sandbox.ports]\n${c.infraPorts}` : ""}`;
  const loaded = loadMicrovmInput({ infra, agent: c.agent, slot, worktree: c.worktree });
  assert.equal(loaded.diags, [], `${c.name}: loading`);
  const built = buildMicrovmSpec(loaded.input!);
  assert.not.ok(hasErrors(built.diags), `${c.name}: ${JSON.stringify(built.diags)}`);
  const ks = keystoneArtifact(loaded.input!.agent, loaded.input!.locate);
  const dir = fs.mkdtempSync(path.join(tmp, "case-"));
  const files = [...microvmArtifacts(built.value), ks.value].map((a) => {
    const file = path.join(dir, a.path);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, a.text);
    return { role: a.role, file, text: a.text };
  });
  return { dir, vm: built.value.name, files, warnings: built.diags.map((d) => d.summary) };
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function checkHost(g: Generated): Json {
  return jsonOf(nixEvalJson({ file: CHECKER, argstr: { host: path.join(g.dir, "host.nix") } })) as Json;
}

for (const c of CASES) {
  test(`${c.name}: every generated file parses`, () => {
    if (!HAVE_NIX) return;
    const g = generate(c);
    assert.is(g.files.length, 4);
    for (const f of g.files) {
      const r = nixParse(f.file);
      assert.is(r.status, 0, `${f.file}:\n${r.stderr}`);
    }
  });

  test(`${c.name}: the checker evaluates the host module and its guest to the input's values`, () => {
    if (!HAVE_NIX) return;
    const g = generate(c);
    const out = checkHost(g);
    const vms = out.host.vms as Json;
    assert.equal(Object.keys(vms), [vmName(c.project, c.slot)]);
    const vm = vms[g.vm] as Json;
    const e = c.expect;
    assert.is(vm.autostart, e.autostart);
    assert.equal(vm.guest.files, [`${g.vm}.nix`, `${g.vm}.extras.nix`]);
    const m = vm.guest.microvm as Json;
    assert.is(m.mem, e.mem);
    assert.is(m.vcpu, e.vcpu);
    assert.is(m.hypervisor, e.hypervisor);
    if (e.iface) {
      assert.is(m.interfaces.length, 1);
      const i = m.interfaces[0];
      assert.is(i.type, e.iface.type);
      assert.is(i.bridge, e.iface.bridge ?? null);
      assert.equal(i.macvtap, e.iface.macvtap ?? {});
      assert.is(i.id, interfaceId(c.project, c.slot));
      assert.ok(i.id.length <= 15, i.id);
      assert.is(i.mac, macAddress(c.project, c.slot));
      assert.match(i.mac, new RegExp(`^02(:[0-9a-f]{2}){3}:${(c.slot >> 8).toString(16).padStart(2, "0")}:${(c.slot & 255).toString(16).padStart(2, "0")}$`));
    } else assert.equal(m.interfaces, []);
    assert.equal(
      m.shares.map((s: Json) => ({ tag: s.tag, source: s.source, mountPoint: s.mountPoint, proto: s.proto, readOnly: s.readOnly })),
      e.shares,
    );
    for (const s of m.shares) assert.is(s.socket, s.proto === "virtiofs" ? `${g.vm}-virtiofs-${s.tag}.sock` : null);
    assert.equal(
      m.forwardPorts.map((f: Json) => ({ proto: f.proto, address: f.host.address, hostPort: f.host.port, guestPort: f.guest.port })),
      e.forwards,
    );
    for (const f of m.forwardPorts) assert.is(f.from, "host");
    assert.equal(
      m.volumes.map((v: Json) => ({ image: v.image, mountPoint: v.mountPoint, size: v.size })),
      e.volumes,
    );
    assert.equal(m.qemu.extraArgs, e.qemuExtraArgs);
    const n = vm.guest.nixos as Json;
    assert.equal(n.networking.firewall.allowedTCPPorts, e.tcp);
    assert.equal(n.networking.firewall.allowedUDPPorts, e.udp);
    assert.is(n.services.openssh.enable, true);
    assert.equal(n.users.users.agent.openssh.authorizedKeys.keys, e.keys);
    assert.equal(n.users.users.agent.extraGroups, ["wheel"]);
    for (const w of e.warnings ?? []) assert.ok(vm.guest.warnings.some((x: string) => w.test(x)), `${w} in ${vm.guest.warnings}`);
    if (!e.warnings) assert.equal(vm.guest.warnings, []);
  });

  test(`${c.name}: the guest module names every share's proto and holds only microvm.*`, () => {
    if (!HAVE_NIX) return;
    const g = generate(c);
    const guest = g.files.find((f) => f.role === "guest")!.file;
    const extras = g.files.find((f) => f.role === "extras")!.file;
    const r = jsonOf(
      nixEvalJson({
        expr: `let g = import ${JSON.stringify(guest)}; x = import ${JSON.stringify(extras)}; in { guestKeys = builtins.attrNames g; extrasHasMicrovm = x ? microvm; protos = map (s: s ? proto) g.microvm.shares; }`,
      }),
    ) as Json;
    assert.equal(r.guestKeys, ["microvm"]);
    assert.is(r.extrasHasMicrovm, false);
    assert.ok(r.protos.every((p: boolean) => p), JSON.stringify(r.protos));
  });

  test(`${c.name}: the keystone.agent block checks against keystone's option types`, () => {
    if (!HAVE_NIX) return;
    const g = generate(c);
    const ks = g.files.find((f) => f.role === "keystone")!.file;
    const out = jsonOf(nixEvalJson({ file: CHECKER, argstr: { keystone: ks } })) as Json;
    const a = out.keystone.keystone.agent as Json;
    assert.is(a.enable, true);
    assert.is(a.sandbox.memory, c.expect.mem);
    assert.is(a.sandbox.vcpus, c.expect.vcpu);
    assert.is(a.backend.type, "microvm");
    assert.is(a.backend.microvm.hypervisor, c.expect.hypervisor);
  });
}

test("the keystone block carries sync mode, proxy and nested virtualisation from agent.toml", () => {
  if (!HAVE_NIX) return;
  const g = generate(CASES[1]!);
  const out = jsonOf(nixEvalJson({ file: CHECKER, argstr: { keystone: g.files.find((f) => f.role === "keystone")!.file } })) as Json;
  const a = out.keystone.keystone.agent as Json;
  assert.equal(a.sandbox, { memory: 4096, vcpus: 2, nestedVirtualization: false, network: "user", syncMode: "auto-idle", persist: false });
  assert.equal(a.proxy, { enable: true, domain: "sandbox.test", port: 8080 });
});

test("two slots of one project get different VM names, interface ids, MACs and host ports", () => {
  if (!HAVE_NIX) return;
  const c = CASES.find((x) => x.name.startsWith("several forwarded"))!;
  const [a, b] = [generate(c, 21), generate(c, 22)];
  const va = checkHost(a).host.vms[a.vm].guest.microvm as Json;
  const vb = checkHost(b).host.vms[b.vm].guest.microvm as Json;
  assert.is.not(a.vm, b.vm);
  assert.is.not(va.interfaces[0].id, vb.interfaces[0].id);
  assert.is.not(va.interfaces[0].mac, vb.interfaces[0].mac);
  const ports = (v: Json) => v.forwardPorts.map((f: Json) => f.host.port) as number[];
  for (const p of ports(va)) assert.not.ok(ports(vb).includes(p), `host port ${p} used by both slots`);
  assert.is(ports(va)[0], sshHostPort(21));
  assert.is(ports(vb)[0], sshHostPort(22));
  // Same project and slot again: the same names (compile never asks the host).
  assert.is(generate(c, 21).vm, a.vm);
});

test("two projects on the same slot get different names, ids and MACs", () => {
  const names = ["shop", "shop2", "Shop", "sh.op", "sh-op"].map((p) => ({ vm: vmName(p, 1), id: interfaceId(p, 1), mac: macAddress(p, 1) }));
  for (const k of ["vm", "id", "mac"] as const) assert.is(new Set(names.map((n) => n[k])).size, names.length, k);
});

// --- the checker can fail ----------------------------------------------------------------

function mutate(g: Generated, role: string, from: RegExp, to: string): string {
  const f = g.files.find((x) => x.role === role)!;
  assert.match(f.text, from, `mutation target ${from} not found in ${role}`);
  const file = path.join(g.dir, `bad-${role}.nix`);
  fs.writeFileSync(file, f.text.replace(from, to));
  return file;
}

const BAD: { name: string; role: "guest" | "extras"; from: RegExp; to: string; error: RegExp }[] = [
  { name: "memory as a string", role: "guest", from: /mem = (\d+);/, to: 'mem = "$1";', error: /`microvm\.mem' is not of type `positive integer, meaning >0'/ },
  { name: "a misspelt option", role: "guest", from: /mem = /, to: "memory = ", error: /`microvm\.memory' does not exist/ },
  { name: "an unknown hypervisor", role: "guest", from: /hypervisor = "qemu";/, to: 'hypervisor = "virtualbox";', error: /`microvm\.hypervisor' is not of type `one of "qemu"/ },
  { name: "a relative mount point", role: "guest", from: /mountPoint = "\/workspace";/, to: 'mountPoint = "workspace";', error: /`microvm\.shares\[1\]\.mountPoint' is not of type `absolute path'/ },
  { name: "a duplicate share tag", role: "guest", from: /tag = "ro-store";/, to: 'tag = "workspace";', error: /share tag "workspace" is used 2 > 1 times/ },
  { name: "a port out of range", role: "guest", from: /host\.port = \d+;/, to: "host.port = 70000;", error: /host\.port' is not of type `16 bit unsigned integer/ },
  { name: "forwarded ports without a user interface", role: "guest", from: /type = "user";/, to: 'type = "tap";', error: /forwardPorts` works only with qemu/ },
  { name: "an interface id over 15 characters", role: "guest", from: /id = "([^"]+)";/, to: 'id = "$1-much-too-long";', error: /longer than the maximum length of 15/ },
  { name: "a share without proto", role: "guest", from: /\n\s*proto = "virtiofs";/, to: "", error: /does not set proto/ },
  { name: "a forwarded port the firewall keeps closed", role: "extras", from: /allowedTCPPorts = \[ 22 \];/, to: "allowedTCPPorts = [ ];", error: /guest port 22\/tcp .* is not opened/ },
  { name: "microvm options in the extras module", role: "extras", from: /\{\n/, to: "{\n  microvm.vcpu = 2;\n", error: /mixes microvm\.\* with other NixOS options/ },
  { name: "a global MAC", role: "guest", from: /mac = "02:/, to: 'mac = "00:', error: /not a locally administered unicast address/ },
  { name: "a multi-line SSH key", role: "extras", from: /keys = \[ \];/, to: 'keys = [ "ssh-ed25519 A\\nB" ];', error: /not of type `\(optionally newline-terminated\) single-line string'/ },
];

for (const bad of BAD) {
  test(`the checker rejects a hand-edited module with ${bad.name}`, () => {
    if (!HAVE_NIX) return;
    const g = generate(CASES.find((c) => c.name === "defaults")!, 30);
    const guest = g.files.find((f) => f.role === "guest")!.file;
    const extras = g.files.find((f) => f.role === "extras")!.file;
    // The unmodified pair passes; the mutated one fails with the expected message.
    const ok = nixEvalJson({ file: CHECKER, argstr: { vm: guest, extras, name: g.vm } });
    assert.is(ok.status, 0, ok.stderr);
    const badFile = mutate(g, bad.role, bad.from, bad.to);
    const args = bad.role === "guest" ? { vm: badFile, extras, name: g.vm } : { vm: guest, extras: badFile, name: g.vm };
    const r = nixEvalJson({ file: CHECKER, argstr: args });
    assert.is.not(r.status, 0, `accepted:\n${fs.readFileSync(badFile, "utf8")}`);
    assert.match(r.stderr, bad.error);
    assert.is(r.stdout, "", "no partial JSON on failure");
  });
}

test("the host checker rejects guest options one level too high and flake + config", () => {
  if (!HAVE_NIX) return;
  const g = generate(CASES[0]!, 31);
  const host = g.files.find((f) => f.role === "host")!;
  const bad1 = path.join(g.dir, "bad-host-1.nix");
  fs.writeFileSync(bad1, host.text.replace("autostart = false;", "autostart = false;\n    mem = 4096;"));
  const r1 = nixEvalJson({ file: CHECKER, argstr: { host: bad1 } });
  assert.is.not(r1.status, 0);
  assert.match(r1.stderr, /`microvm\.vms\.shop-slot-31\.mem' does not exist/);
  const bad2 = path.join(g.dir, "bad-host-2.nix");
  fs.writeFileSync(bad2, host.text.replace("autostart = false;", 'autostart = false;\n    updateFlake = "git+file:///etc/nixos";'));
  const r2 = nixEvalJson({ file: CHECKER, argstr: { host: bad2 } });
  assert.is.not(r2.status, 0);
  assert.match(r2.stderr, /Fully-declarative VMs cannot set a updateFlake/);
});

// --- optional: the real microvm.nix and nixpkgs lib ----------------------------------------

const REAL = { microvm: process.env.SBX_MICROVM_SRC, lib: process.env.SBX_NIXPKGS_LIB };
if (HAVE_NIX && !(REAL.microvm && REAL.lib))
  console.warn("\n!!! SKIPPING checks against the real microvm.nix: set SBX_MICROVM_SRC (a microvm.nix checkout) and SBX_NIXPKGS_LIB (nixpkgs' lib directory) to run them (docs/microvm.md) !!!\n");

if (REAL.microvm && REAL.lib) {
  const real = { nixpkgsLib: REAL.lib, microvm: REAL.microvm };
  for (const c of CASES) {
    test(`${c.name}: the modules pass the real microvm.nix options and assertions`, () => {
      if (!HAVE_NIX) return;
      const g = generate(c);
      const role = (r: string) => g.files.find((f) => f.role === r)!.file;
      const out = jsonOf(nixEvalJson({ file: path.join(CHECKER, "check-real.nix"), argstr: { ...real, vm: role("guest"), extras: role("extras"), name: g.vm, host: role("host") } })) as Json;
      assert.is(out.vm.mem, c.expect.mem);
      assert.is(out.vm.vcpu, c.expect.vcpu);
      assert.is(out.vm.hypervisor, c.expect.hypervisor);
      assert.equal(out.vm.shares.map((s: Json) => [s.tag, s.source, s.mountPoint, s.proto, s.readOnly]), c.expect.shares.map((s) => [s.tag, s.source, s.mountPoint, s.proto, s.readOnly]));
      assert.equal(out.vm.forwardPorts.map((f: Json) => [f.proto, f.host.address, f.host.port, f.guest.port]), c.expect.forwards.map((f) => [f.proto, f.address, f.hostPort, f.guestPort]));
      assert.equal(out.vm.volumes.map((v: Json) => [v.image, v.mountPoint, v.size]), c.expect.volumes.map((v) => [v.image, v.mountPoint, v.size]));
      assert.equal(out.vm.firewall.allowedTCPPorts, c.expect.tcp);
      assert.is(out.host[g.vm].autostart, c.expect.autostart);
    });
  }
  test("the real microvm.nix rejects a misspelt option and a failed assertion", () => {
    if (!HAVE_NIX) return;
    const g = generate(CASES[0]!, 32);
    const r1 = nixEvalJson({ file: path.join(CHECKER, "check-real.nix"), argstr: { ...real, vm: mutate(g, "guest", /mem = /, "memory = "), name: g.vm } });
    assert.is.not(r1.status, 0);
    assert.match(r1.stderr, /The option `microvm\.memory' does not exist/);
    const r2 = nixEvalJson({ file: path.join(CHECKER, "check-real.nix"), argstr: { ...real, vm: mutate(g, "guest", /type = "user";/, 'type = "tap";'), name: g.vm } });
    assert.is.not(r2.status, 0);
    assert.match(r2.stderr, /forwardPorts` works only with qemu/);
  });
}

test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
test.run();
