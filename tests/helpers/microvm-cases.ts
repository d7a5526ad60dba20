// The agent.toml matrix of the microvm.nix tests: each case's inputs and the values the
// generated modules must evaluate to (written from the inputs, never from sbx's output),
// plus the types of the checker's JSON projections.

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import * as assert from "uvu/assert";
import { hasErrors } from "../../src/compile/diagnostics.js";
import { buildMicrovmSpec, keystoneArtifact, microvmArtifacts } from "../../src/compile/microvm/index.js";
import { loadMicrovmInput } from "./microvm.js";
import { jsonOf, nixEvalJson } from "./nix.js";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CHECKER = path.join(ROOT, "nix/checker");
/** Scratch directory of this test process; removed on exit. */
export const TMP = fs.mkdtempSync(path.join(os.tmpdir(), "sbx-nix-microvm-"));
process.on("exit", () => fs.rmSync(TMP, { recursive: true, force: true }));

export interface MicrovmProjection {
  mem: number;
  vcpu: number;
  hypervisor: string;
  interfaces: { type: string; id: string; mac: string; bridge: string | null; macvtap: { link?: string; mode?: string } }[];
  shares: { tag: string; source: string; mountPoint: string; proto: string; readOnly: boolean; socket: string | null }[];
  forwardPorts: { from: string; proto: string; host: { address: string; port: number }; guest: { address: string; port: number } }[];
  volumes: { image: string; mountPoint: string; size: number }[];
  qemu: { extraArgs: string[] };
}

export interface NixosProjection {
  networking: { firewall: { allowedTCPPorts: number[]; allowedUDPPorts: number[] } };
  services: { openssh: { enable: boolean } };
  users: { users: Record<string, { extraGroups: string[]; openssh: { authorizedKeys: { keys: string[] } } }> };
}

export interface GuestProjection {
  files: string[];
  warnings: string[];
  microvm: MicrovmProjection;
  nixos: NixosProjection;
}

export interface HostProjection {
  host: { vms: Record<string, { autostart: boolean; guest: GuestProjection }> };
}

export interface KeystoneProjection {
  keystone: { keystone: { agent: { enable: boolean; sandbox: Record<string, unknown>; proxy: Record<string, unknown>; backend: { type: string; microvm: { hypervisor: string; shareType: string } } } } };
}

/** check-real.nix's projection. */
export interface RealProjection {
  vm: Omit<MicrovmProjection, "qemu"> & { firewall: { allowedTCPPorts: number[] }; warnings: string[] };
  host: Record<string, { autostart: boolean }>;
}

/** The documented SSH_PORT spec: base 22200, stride 1. */
export const sshHostPort = (slot: number) => 22200 + slot;

export interface Expect {
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

export interface Case {
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

export const CASES: Case[] = [
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

export interface Generated {
  dir: string;
  vm: string;
  files: { role: string; file: string; text: string }[];
  warnings: string[];
}

export function generate(c: Case, slot = c.slot): Generated {
  const infra = `[project]\nname = "${c.project}"\n${c.infraPorts ? `[sandbox.ports]\n${c.infraPorts}` : ""}`;
  const loaded = loadMicrovmInput({ infra, agent: c.agent, slot, worktree: c.worktree });
  // The loader warns about settings sbx's own VM ignores (keystone's proxy, sync_mode), which
  // the keystone block does carry; that warning is tested in tests/unit/agent-config.test.ts.
  assert.equal(
    loaded.diags.filter((d) => !/ignored by the microvm backend$/.test(d.summary)),
    [],
    `${c.name}: loading`,
  );
  const built = buildMicrovmSpec(loaded.input!);
  assert.not.ok(hasErrors(built.diags), `${c.name}: ${JSON.stringify(built.diags)}`);
  const ks = keystoneArtifact(loaded.input!.agent, loaded.input!.locate);
  const dir = fs.mkdtempSync(path.join(TMP, "case-"));
  const files = [...microvmArtifacts(built.value), ks.value].map((a) => {
    const file = path.join(dir, a.path);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, a.text);
    return { role: a.role, file, text: a.text };
  });
  return { dir, vm: built.value.name, files, warnings: built.diags.map((d) => d.summary) };
}

/** The checker's projection of a host module (and the guests it imports). */
export function checkHost(g: Generated): HostProjection {
  return jsonOf(nixEvalJson({ file: CHECKER, argstr: { host: path.join(g.dir, "host.nix") } })) as HostProjection;
}

/** The file of one generated artefact. */
export const fileOf = (g: Generated, role: string): string => g.files.find((f) => f.role === role)!.file;
