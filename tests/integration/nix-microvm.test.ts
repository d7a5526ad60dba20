// agent.toml → microvm.nix modules, checked with the real nix-instantiate: every file
// parses, and the plain-Nix checker (nix/checker) evaluates the host module, follows its
// imports into the guest modules, type-checks them against microvm.nix's declarations and
// returns values that must equal what agent.toml and infra.toml asked for.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { interfaceId, macAddress, vmName } from "../../src/compile/microvm/index.js";
import { CASES, CHECKER, checkHost, fileOf, generate, sshHostPort, type KeystoneProjection, type MicrovmProjection } from "../helpers/microvm-cases.js";
import { jsonOf, nixEvalJson, nixOrSkip, nixParse } from "../helpers/nix.js";

const HAVE_NIX = nixOrSkip("microvm.nix module tests (tests/integration/nix-microvm.test.ts)");

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
    const vms = out.host.vms;
    assert.equal(Object.keys(vms), [vmName(c.project, c.slot)]);
    const vm = vms[g.vm]!;
    const e = c.expect;
    assert.is(vm.autostart, e.autostart);
    assert.equal(vm.guest.files, [`${g.vm}.nix`, `${g.vm}.extras.nix`]);
    const m = vm.guest.microvm;
    assert.is(m.mem, e.mem);
    assert.is(m.vcpu, e.vcpu);
    assert.is(m.hypervisor, e.hypervisor);
    if (e.iface) {
      assert.is(m.interfaces.length, 1);
      const i = m.interfaces[0]!;
      assert.is(i.type, e.iface.type);
      assert.is(i.bridge, e.iface.bridge ?? null);
      assert.equal(i.macvtap, e.iface.macvtap ?? {});
      assert.is(i.id, interfaceId(c.project, c.slot));
      assert.ok(i.id.length <= 15, i.id);
      assert.is(i.mac, macAddress(c.project, c.slot));
      assert.match(i.mac, new RegExp(`^02(:[0-9a-f]{2}){3}:${(c.slot >> 8).toString(16).padStart(2, "0")}:${(c.slot & 255).toString(16).padStart(2, "0")}$`));
    } else assert.equal(m.interfaces, []);
    assert.equal(
      m.shares.map((s) => ({ tag: s.tag, source: s.source, mountPoint: s.mountPoint, proto: s.proto, readOnly: s.readOnly })),
      e.shares,
    );
    for (const s of m.shares) assert.is(s.socket, s.proto === "virtiofs" ? `${g.vm}-virtiofs-${s.tag}.sock` : null);
    assert.equal(
      m.forwardPorts.map((f) => ({ proto: f.proto, address: f.host.address, hostPort: f.host.port, guestPort: f.guest.port })),
      e.forwards,
    );
    for (const f of m.forwardPorts) assert.is(f.from, "host");
    assert.equal(
      m.volumes.map((v) => ({ image: v.image, mountPoint: v.mountPoint, size: v.size })),
      e.volumes,
    );
    assert.equal(m.qemu.extraArgs, e.qemuExtraArgs);
    const n = vm.guest.nixos;
    assert.equal(n.networking.firewall.allowedTCPPorts, e.tcp);
    assert.equal(n.networking.firewall.allowedUDPPorts, e.udp);
    assert.is(n.services.openssh.enable, true);
    assert.equal(n.users.users.agent!.openssh.authorizedKeys.keys, e.keys);
    assert.equal(n.users.users.agent!.extraGroups, ["wheel"]);
    for (const w of e.warnings ?? []) assert.ok(vm.guest.warnings.some((x) => w.test(x)), `${w} in ${vm.guest.warnings}`);
    if (!e.warnings) assert.equal(vm.guest.warnings, []);
  });

  test(`${c.name}: the guest module names every share's proto and holds only microvm.*`, () => {
    if (!HAVE_NIX) return;
    const g = generate(c);
    const guest = fileOf(g, "guest");
    const extras = fileOf(g, "extras");
    const r = jsonOf(
      nixEvalJson({
        expr: `let g = import ${JSON.stringify(guest)}; x = import ${JSON.stringify(extras)}; in { guestKeys = builtins.attrNames g; extrasHasMicrovm = x ? microvm; protos = map (s: s ? proto) g.microvm.shares; }`,
      }),
    ) as { guestKeys: string[]; extrasHasMicrovm: boolean; protos: boolean[] };
    assert.equal(r.guestKeys, ["microvm"]);
    assert.is(r.extrasHasMicrovm, false);
    assert.ok(r.protos.every((p) => p), JSON.stringify(r.protos));
  });

  test(`${c.name}: the keystone.agent block checks against keystone's option types`, () => {
    if (!HAVE_NIX) return;
    const g = generate(c);
    const out = jsonOf(nixEvalJson({ file: CHECKER, argstr: { keystone: fileOf(g, "keystone") } })) as KeystoneProjection;
    const a = out.keystone.keystone.agent;
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
  const out = jsonOf(nixEvalJson({ file: CHECKER, argstr: { keystone: fileOf(g, "keystone") } })) as KeystoneProjection;
  const a = out.keystone.keystone.agent;
  assert.equal(a.sandbox, { memory: 4096, vcpus: 2, nestedVirtualization: false, network: "user", syncMode: "auto-idle", persist: false });
  assert.equal(a.proxy, { enable: true, domain: "sandbox.test", port: 8080 });
});

test("two slots of one project get different VM names, interface ids, MACs and host ports", () => {
  if (!HAVE_NIX) return;
  const c = CASES.find((x) => x.name.startsWith("several forwarded"))!;
  const [a, b] = [generate(c, 21), generate(c, 22)];
  const va = checkHost(a).host.vms[a.vm]!.guest.microvm;
  const vb = checkHost(b).host.vms[b.vm]!.guest.microvm;
  assert.is.not(a.vm, b.vm);
  assert.is.not(va.interfaces[0]!.id, vb.interfaces[0]!.id);
  assert.is.not(va.interfaces[0]!.mac, vb.interfaces[0]!.mac);
  const ports = (v: MicrovmProjection) => v.forwardPorts.map((f) => f.host.port);
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

test.run();
