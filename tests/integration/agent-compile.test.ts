// `sbx compile --out` on agent.toml repositories writes microvm.nix modules that the real
// nix-instantiate parses and the checker (nix/checker) accepts; two slots give two VMs.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CHECKER, type HostProjection, type RealProjection } from "../helpers/microvm-cases.js";
import { jsonOf, nixEvalJson, nixOrSkip, nixParse } from "../helpers/nix.js";
import { makeRepo, newHome, sbx, tmpdir, walk } from "../helpers/sbx.js";

const HAVE_NIX = nixOrSkip("agent.toml compile tests (tests/integration/agent-compile.test.ts)");

async function compile(repo: string, slot?: number): Promise<{ out: string; vm: string; host: HostProjection }> {
  const out = tmpdir("sbx-compile-out-");
  const home = newHome();
  const r = await sbx(["compile", "--out", out, ...(slot === undefined ? [] : ["--slot", String(slot)])], { cwd: repo, home, env: { XDG_CONFIG_HOME: path.join(home, "xdg") } });
  assert.is(r.code, 0, r.stderr);
  assert.equal(walk(home), [], "compile needs no host state");
  const nix = walk(out).filter((f) => f.endsWith(".nix"));
  assert.is(nix.length, 4, nix.join(", "));
  for (const f of nix) {
    const p = nixParse(f);
    assert.is(p.status, 0, `${f}:\n${p.stderr}`);
  }
  const host = jsonOf(nixEvalJson({ file: CHECKER, argstr: { host: path.join(out, "host.nix") } })) as HostProjection;
  const vms = Object.keys(host.host.vms);
  assert.is(vms.length, 1);
  assert.ok(fs.existsSync(path.join(out, "vms", `${vms[0]}.nix`)));
  assert.ok(fs.existsSync(path.join(out, "vms", `${vms[0]}.extras.nix`)));
  // The alternative for hosts with keystone's NixOS module checks against keystone's options.
  jsonOf(nixEvalJson({ file: CHECKER, argstr: { keystone: path.join(out, "keystone-agent.nix") } }));
  return { out, vm: vms[0]!, host };
}

test("compile --out on an agent-only repository writes modules that parse and pass the checker", async () => {
  if (!HAVE_NIX) return;
  const repo = makeRepo({ "agent.toml": '[project]\nname = "agent-only"\n\n[defaults]\nmemory = 4096\nvcpus = 2\npersist = true\n' });
  const { vm, host } = await compile(repo);
  assert.is(vm, "agent-only-slot-1");
  const g = host.host.vms[vm]!.guest;
  assert.is(g.microvm.mem, 4096);
  assert.is(g.microvm.vcpu, 2);
  assert.equal(g.microvm.forwardPorts.map((f) => [f.host.address, f.host.port, f.guest.port]), [["127.0.0.1", 22201, 22]]);
  assert.equal(g.microvm.shares.map((s) => [s.tag, s.mountPoint, s.proto]), [["ro-store", "/nix/.ro-store", "virtiofs"], ["workspace", "/workspace", "virtiofs"]]);
  assert.equal(g.microvm.volumes.map((v) => v.mountPoint), ["/var"]);
  assert.equal(g.nixos.networking.firewall.allowedTCPPorts, [22]);
});

test("compile --slot 1 and --slot 2 give different VM names, interface ids, MACs and host ports, all accepted by the checker", async () => {
  if (!HAVE_NIX) return;
  const repo = makeRepo({
    "infra.toml": '[project]\nname = "shop"\n\n[sandbox.ports]\nAPI_PORT = { base = 18080, stride = 10 }\n',
    "agent.toml": '[backend]\ntype = "microvm"\n\n[backend.microvm.forward_ports]\nAPI_PORT = 8080\n',
  });
  const [a, b] = [await compile(repo, 1), await compile(repo, 2)];
  assert.equal([a.vm, b.vm], ["shop-slot-1", "shop-slot-2"]);
  const [ga, gb] = [a.host.host.vms[a.vm]!.guest, b.host.host.vms[b.vm]!.guest];
  assert.is.not(ga.microvm.interfaces[0]!.id, gb.microvm.interfaces[0]!.id);
  assert.is.not(ga.microvm.interfaces[0]!.mac, gb.microvm.interfaces[0]!.mac);
  const ports = (g: typeof ga) => g.microvm.forwardPorts.map((f) => f.host.port);
  assert.equal(ports(ga), [22201, 18090]);
  assert.equal(ports(gb), [22202, 18100]);
  assert.equal(ga.nixos.networking.firewall.allowedTCPPorts, [22, 8080], "the guest firewall opens the forwarded ports");
});

const REAL = { microvm: process.env.SBX_MICROVM_SRC, lib: process.env.SBX_NIXPKGS_LIB };
test("compile --out of an agent-only repository passes the real microvm.nix options and assertions (SBX_MICROVM_SRC, SBX_NIXPKGS_LIB)", async () => {
  if (!HAVE_NIX) return;
  if (!(REAL.microvm && REAL.lib)) {
    console.warn("\n!!! SKIPPING the compile --out check against the real microvm.nix: set SBX_MICROVM_SRC and SBX_NIXPKGS_LIB (docs/microvm.md) !!!\n");
    return;
  }
  const repo = makeRepo({ "agent.toml": "[defaults]\nmemory = 3072\n" });
  const { out, vm } = await compile(repo);
  const r = jsonOf(
    nixEvalJson({
      file: path.join(CHECKER, "check-real.nix"),
      argstr: { nixpkgsLib: REAL.lib, microvm: REAL.microvm, name: vm, vm: path.join(out, "vms", `${vm}.nix`), extras: path.join(out, "vms", `${vm}.extras.nix`), host: path.join(out, "host.nix") },
    }),
  ) as RealProjection;
  assert.is(r.vm.mem, 3072);
  assert.equal(Object.keys(r.host), [vm]);
});

test("validate and env work for an agent-only repository; SSH_PORT lands in the sandbox env", async () => {
  const repo = makeRepo({ "agent.toml": "[defaults]\nvcpus = 2\n" });
  const home = newHome();
  const env = { XDG_CONFIG_HOME: path.join(home, "xdg") };
  const v = await sbx(["validate"], { cwd: repo, home, env });
  assert.is(v.code, 0, v.stderr);
  assert.match(v.stdout, "✓ agent.toml (agent)\n1 file valid.");
  const c = await sbx(["compile", "--json"], { cwd: repo, home, env });
  const doc = JSON.parse(c.stdout) as { backend: string; env: Record<string, string> };
  assert.is(doc.backend, "microvm");
  assert.is(doc.env.SSH_PORT, "22201");
});

test("plan on any machine shows microvm warnings at their agent.toml line and exits 0", async () => {
  const repo = makeRepo({ "agent.toml": "[defaults]\nvcpus = 2\nmemory = 2048\n" });
  const home = newHome();
  const r = await sbx(["plan"], { cwd: repo, home, env: { XDG_CONFIG_HOME: path.join(home, "xdg") } });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, "agent.toml:3:10: warning: QEMU hangs with exactly 2048 MiB of memory\n     3 | memory = 2048\n       |          ^");
  assert.not.match(r.stderr, /\n\s+at /);
});

test.run();
