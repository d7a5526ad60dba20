// The checkers can fail: hand-edited generated modules are rejected by sbx's plain-Nix
// checker, and (when SBX_MICROVM_SRC and SBX_NIXPKGS_LIB are set) the generated modules
// pass the real microvm.nix options and assertions, which reject the same mistakes.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CASES, CHECKER, fileOf, generate, type Generated, type RealProjection } from "../helpers/microvm-cases.js";
import { jsonOf, nixEvalJson, nixOrSkip } from "../helpers/nix.js";

const HAVE_NIX = nixOrSkip("checker tests (tests/integration/nix-checker.test.ts)");

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
    const guest = fileOf(g, "guest");
    const extras = fileOf(g, "extras");
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
      const role = (r: string) => fileOf(g, r);
      const out = jsonOf(nixEvalJson({ file: path.join(CHECKER, "check-real.nix"), argstr: { ...real, vm: role("guest"), extras: role("extras"), name: g.vm, host: role("host") } })) as RealProjection;
      assert.is(out.vm.mem, c.expect.mem);
      assert.is(out.vm.vcpu, c.expect.vcpu);
      assert.is(out.vm.hypervisor, c.expect.hypervisor);
      assert.equal(out.vm.shares.map((s) => [s.tag, s.source, s.mountPoint, s.proto, s.readOnly]), c.expect.shares.map((s) => [s.tag, s.source, s.mountPoint, s.proto, s.readOnly]));
      assert.equal(out.vm.forwardPorts.map((f) => [f.proto, f.host.address, f.host.port, f.guest.port]), c.expect.forwards.map((f) => [f.proto, f.address, f.hostPort, f.guestPort]));
      assert.equal(out.vm.volumes.map((v) => [v.image, v.mountPoint, v.size]), c.expect.volumes.map((v) => [v.image, v.mountPoint, v.size]));
      assert.equal(out.vm.firewall.allowedTCPPorts, c.expect.tcp);
      assert.is(out.host[g.vm]!.autostart, c.expect.autostart);
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

test.run();
