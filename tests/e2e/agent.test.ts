// Agent sandboxes from agent.toml, through the CLI as a user runs it: plan and compile on any
// machine; apply refused on a host that is not NixOS with nothing changed; and the whole
// lifecycle on a stand-in NixOS host (temp root with etc/NIXOS, stand-in systemctl,
// nixos-rebuild, journalctl and ssh on PATH that record their calls).

import * as fs from "node:fs";
import { spawn, spawnSync } from "node:child_process";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { macAddress } from "../../src/compile/microvm/index.js";
import type { Plan } from "../../src/plan/model.js";
import { CHECKER } from "../helpers/microvm-cases.js";
import { NIX_VERSION, nixOrSkip } from "../helpers/nix.js";
import { standinHost, type StandinHost } from "../helpers/nixos-standin.js";
import { addWorktree, makeRepo, newHome, portOpen, readRegistry, sbx, tmpdir, walk } from "../helpers/sbx.js";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHN0YW5kLWluIGtleSBmb3Igc2J4IHRlc3Rz test@sbx";
const AGENT = `[defaults]\nmemory = 4096\nvcpus = 2\n\n[backend]\ntype = "microvm"\n\n[backend.microvm]\nssh_authorized_keys = ["${KEY}"]\n`;

function planOf(stdout: string): Plan {
  return JSON.parse(stdout) as Plan;
}

function vmOf(plan: Plan): { name: string; port: number; guest: string } {
  const vm = plan.resource_changes.find((c) => c.type === "microvm")!;
  const guest = plan.resource_changes.find((c) => c.type === "nix.guest")!;
  const after = vm.after as { name: string; ssh: { port: number } };
  return { name: after.name, port: after.ssh.port, guest: (guest.after as { guest: string }).guest };
}

function hostFiles(h: StandinHost, vm: string): string[] {
  return [`etc/nixos/sbx/${vm}/host.nix`, `etc/nixos/sbx/${vm}/vms/${vm}.nix`, `etc/nixos/sbx/${vm}/vms/${vm}.extras.nix`].map((f) => path.join(h.root, f));
}

test("an agent-only repository plans a microVM for its worktree on any machine, and apply here changes nothing and says what it needs", async () => {
  const repo = makeRepo({ "agent.toml": AGENT });
  const home = newHome();
  const env = { XDG_CONFIG_HOME: path.join(home, "no-xdg") };
  const p = await sbx(["plan", "--json"], { cwd: repo, home, env });
  assert.is(p.code, 0, p.stderr);
  const plan = planOf(p.stdout);
  assert.is(plan.instance.backend, "microvm");
  assert.is(plan.instance.project, path.basename(repo), "the project is named after the directory");
  assert.equal(plan.resource_changes.map((c) => c.address), ["file.env_sandbox", `microvm.${vmOf(plan).name}`, `nix.guest["${vmOf(plan).name}"]`, "nix.host", "slot.this"]);
  assert.is(plan.ports.SSH_PORT, 22200 + plan.slot.number, "SSH joins the slot's ports without being declared");
  const text = await sbx(["plan"], { cwd: repo, home, env });
  assert.match(text.stdout, `+ resource nix.guest "${vmOf(plan).name}" {`);
  assert.match(text.stdout, "Plan: 5 to add, 0 to change, 0 to replace, 0 to destroy.");
  assert.equal(walk(home), [], "plan wrote nothing");

  if (fs.existsSync("/etc/NIXOS")) {
    console.warn("\n!!! SKIPPING the not-NixOS apply check: this machine is NixOS !!!\n");
    return;
  }
  const a = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env });
  assert.is(a.code, 1, a.stdout);
  assert.not.match(a.stderr, /internal error|\n\s+at /);
  assert.match(a.stderr, "error: This host cannot run the microvm backend");
  assert.match(a.stderr, "there is no /etc/NIXOS, so this host is not NixOS");
  assert.match(a.stderr, "microvm@.service");
  assert.match(a.stderr, "Nothing was changed");
  assert.equal(walk(home), [], "no registry claim, no state, no files");
  assert.equal(readRegistry(home).slots, {});
  assert.not.ok(fs.existsSync("/etc/nixos/sbx"), "no module written on the host");
});

test("apply on a host without microvm.nix's host module changes nothing and names it (stand-in NixOS host)", async () => {
  const h = standinHost({ extraEnv: { STANDIN_NO_MICROVM: "1" } });
  const repo = makeRepo({ "agent.toml": AGENT });
  const home = newHome();
  const a = await sbx(["apply", "--auto-approve"], { cwd: repo, home, env: h.env });
  assert.is(a.code, 1, a.stdout);
  assert.match(a.stderr, "import microvm.nixosModules.host");
  assert.not.match(a.stderr, "/etc/NIXOS");
  assert.equal(walk(home), []);
  assert.not.ok(fs.existsSync(path.join(h.root, "etc/nixos")));
  assert.equal(h.calls(), ["systemctl cat microvm@.service"], "only the preflight looked");
});

test("apply writes the modules, rebuilds and starts microvm@<vm>; drift, status, logs; destroy stops it and removes what sbx wrote (stand-in NixOS host)", async () => {
  const h = standinHost({ checker: NIX_VERSION ? CHECKER : undefined });
  if (!NIX_VERSION) nixOrSkip("checking the modules the stand-in nixos-rebuild imports");
  const repo = makeRepo({ "agent.toml": AGENT });
  const home = newHome();
  const run = (args: string[]) => sbx(args, { cwd: repo, home, env: h.env });

  const a = await run(["apply", "--auto-approve"]);
  assert.is(a.code, 0, a.stderr + a.stdout);
  assert.match(a.stdout, "Apply complete! Resources: 5 added, 0 changed, 0 replaced, 0 destroyed.");
  const plan = planOf((await run(["plan", "--json"])).stdout);
  const vm = vmOf(plan);
  assert.match(a.stdout, `ssh  ssh://agent@127.0.0.1:${vm.port}`);
  for (const f of hostFiles(h, vm.name)) assert.ok(fs.existsSync(f), `${f} written`);
  const [hostNix, guestNix, extrasNix] = hostFiles(h, vm.name).map((f) => fs.readFileSync(f, "utf8"));
  assert.match(hostNix!, `microvm.vms.${vm.name} = {`);
  assert.match(hostNix!, `./vms/${vm.name}.nix`);
  assert.match(hostNix!, `./vms/${vm.name}.extras.nix`);
  assert.match(guestNix!, `source = "${repo}";`, "the worktree is the /workspace share");
  assert.match(guestNix!, "mem = 4096; # agent.toml:2");
  assert.match(guestNix!, `host.port = ${vm.port};`);
  assert.match(extrasNix!, KEY);
  assert.equal(h.calls().slice(0, 3), ["systemctl cat microvm@.service", "nixos-rebuild switch", `systemctl start microvm@${vm.name}`], "preflight, then rebuild, then start");
  assert.ok(h.active(vm.name));
  const claim = Object.values(readRegistry(home).slots)[0]!;
  assert.is(claim.ports.SSH_PORT, vm.port);

  assert.is((await run(["plan", "--detailed-exitcode"])).code, 0, "nothing to do after apply");

  const st = await run(["status"]);
  assert.match(st.stdout, new RegExp(`microvm\\.${vm.name}\\s+running\\s+microvm@${vm.name} active`));
  const logs = await run(["logs"]);
  assert.is(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, `stand-in journal: microvm@${vm.name} booted`);
  assert.ok(h.calls().includes(`journalctl -u microvm@${vm.name} -n 100 --no-pager`));

  // Stopped behind sbx's back: drift comes from systemctl is-active.
  h.kill(vm.name);
  const drift = await run(["plan", "--detailed-exitcode"]);
  assert.is(drift.code, 2, drift.stderr);
  assert.match(drift.stdout, `# microvm.${vm.name} will be created`);
  assert.match(drift.stdout, `# (drift: microvm@${vm.name} is inactive)`);
  assert.is((await run(["apply", "--auto-approve"])).code, 0);
  assert.ok(h.active(vm.name), "apply started it again");

  // A module edited by hand: drift shown, apply restores it and restarts the VM.
  const guestFile = hostFiles(h, vm.name)[1]!;
  fs.writeFileSync(guestFile, "# edited by hand\n{ }\n");
  const edited = await run(["plan"]);
  assert.match(edited.stdout, `# nix.guest["${vm.name}"] will be updated in-place`);
  assert.match(edited.stdout, "edited outside sbx");
  const before = h.calls().length;
  assert.is((await run(["apply", "--auto-approve"])).code, 0);
  assert.is(fs.readFileSync(guestFile, "utf8"), guestNix);
  assert.equal(h.calls().slice(before).filter((c) => !c.includes("is-active") && !c.includes("cat microvm@")), ["nixos-rebuild switch", `systemctl restart microvm@${vm.name}`]);

  const d = await run(["destroy", "--auto-approve"]);
  assert.is(d.code, 0, d.stderr + d.stdout);
  assert.ok(h.calls().includes(`systemctl stop microvm@${vm.name}`));
  assert.not.ok(h.active(vm.name));
  assert.not.ok(fs.existsSync(path.join(h.root, "etc/nixos/sbx")), "the modules and the directories sbx made are gone");
  assert.ok(fs.existsSync(path.join(h.root, "etc/NIXOS")), "nothing else touched");
  assert.equal(readRegistry(home).slots, {});
  assert.equal(walk(path.join(home, "instances")), []);
});

test("a module file that was there before sbx is restored on destroy; one edited since apply is kept (stand-in NixOS host)", async () => {
  const h = standinHost();
  const repo = makeRepo({ "agent.toml": AGENT });
  const home = newHome();
  const run = (args: string[]) => sbx(args, { cwd: repo, home, env: h.env });
  const vm = vmOf(planOf((await run(["plan", "--json"])).stdout)).name;
  const [hostFile, guestFile] = hostFiles(h, vm);
  fs.mkdirSync(path.dirname(hostFile!), { recursive: true });
  fs.writeFileSync(hostFile!, "# the user's own module\n{ }\n");
  assert.is((await run(["apply", "--auto-approve"])).code, 0);
  assert.match(fs.readFileSync(hostFile!, "utf8"), "Generated by sbx");
  fs.appendFileSync(guestFile!, "# a note by hand\n");
  const d = await run(["destroy", "--auto-approve"]);
  assert.is(d.code, 0, d.stderr);
  assert.is(fs.readFileSync(hostFile!, "utf8"), "# the user's own module\n{ }\n", "the original came back");
  assert.match(fs.readFileSync(guestFile!, "utf8"), "# a note by hand", "an edited file is kept");
  assert.match(d.stderr + d.stdout, "edited outside sbx; kept");
  assert.ok(fs.existsSync(path.join(h.root, `etc/nixos/sbx/${vm}`)), "its directory stays: it holds the user's files");
});

test("two worktrees of one repository get different slots, VM names, MACs and SSH ports (stand-in NixOS host)", async () => {
  const h = standinHost();
  const repo = makeRepo({ "agent.toml": AGENT });
  const other = addWorktree(repo, "feature");
  const home = newHome();
  assert.is((await sbx(["apply", "--auto-approve"], { cwd: repo, home, env: h.env })).code, 0);
  const first = planOf((await sbx(["plan", "--json"], { cwd: repo, home, env: h.env })).stdout);
  const second = planOf((await sbx(["plan", "--json"], { cwd: other, home, env: h.env })).stdout);
  assert.is(first.instance.project, second.instance.project, "one project: named after the main repository");
  assert.is.not(first.slot.number, second.slot.number);
  const [a, b] = [vmOf(first), vmOf(second)];
  assert.is.not(a.name, b.name);
  assert.is.not(a.port, b.port);
  const mac = (g: string) => /mac = "([^"]+)"/.exec(g)![1]!;
  assert.is(mac(a.guest), macAddress(first.instance.project, first.slot.number));
  assert.is(mac(b.guest), macAddress(second.instance.project, second.slot.number));
  assert.is.not(mac(a.guest), mac(b.guest));
  assert.match(b.guest, `source = "${other}";`, "each VM shares its own worktree");
});

/** Something listening on the VM's SSH port, so sbx sees the port open. */
function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer((c) => c.end());
    s.once("error", reject);
    s.listen(port, "127.0.0.1", () => resolve(s));
  });
}

test("sbx ssh and sbx exec run ssh to 127.0.0.1 on the VM's SSH port as the guest user, in /workspace (stand-in ssh on PATH, stand-in NixOS host)", async () => {
  const h = standinHost({ withSsh: true });
  const repo = makeRepo({ "agent.toml": AGENT });
  const home = newHome();
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) => sbx(args, { cwd: repo, home, env: { ...h.env, ...env } });
  const none = await run(["exec", "--", "true"]);
  assert.is(none.code, 1);
  assert.match(none.stderr, "Run `sbx apply` first");
  assert.is((await run(["apply", "--auto-approve"])).code, 0);
  const vm = vmOf(planOf((await run(["plan", "--json"])).stdout));
  const closed = await run(["ssh"]);
  assert.is(closed.code, 1);
  assert.match(closed.stderr, `Nothing answers on 127.0.0.1:${vm.port}`);
  const server = await listen(vm.port);
  try {
    assert.is((await run(["ssh", "--", "-L", "8080:localhost:8080"])).code, 0);
    const ex = await run(["exec", "--", "ls", "-la", "it's here"], { STANDIN_SSH_EXIT: "7" });
    assert.is(ex.code, 7, "exec exits with the command's status");
  } finally {
    server.close();
  }
  const common = ["-p", String(vm.port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"];
  assert.equal(h.sshCalls(), [
    [...common, "-t", "-L", "8080:localhost:8080", "agent@127.0.0.1", `cd '/workspace' && exec "$SHELL" -l`],
    [...common, "agent@127.0.0.1", `cd '/workspace' && exec 'ls' '-la' 'it'\\''s here'`],
  ]);
  assert.is((await run(["destroy", "--auto-approve"])).code, 0);
});

/** A loopback sshd on `port` accepting `key` for the current user; undefined (with the reason) when it cannot run here. */
async function loopbackSshd(port: number, dir: string): Promise<{ key: string; stop: () => void } | string> {
  if (!fs.existsSync("/usr/sbin/sshd") || spawnSync("ssh", ["-V"]).error) return "no OpenSSH (sshd and ssh)";
  const madeRun = !fs.existsSync("/run/sshd");
  if (madeRun) {
    if (process.getuid?.() !== 0) return "sshd needs /run/sshd, which only root may create";
    fs.mkdirSync("/run/sshd", { mode: 0o755 });
  }
  for (const k of ["host_key", "id"]) spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", path.join(dir, k)]);
  fs.copyFileSync(path.join(dir, "id.pub"), path.join(dir, "authorized_keys"));
  const conf = [`Port ${port}`, "ListenAddress 127.0.0.1", `HostKey ${dir}/host_key`, `AuthorizedKeysFile ${dir}/authorized_keys`, `PidFile ${dir}/sshd.pid`, "UsePAM no", "StrictModes no", "PermitRootLogin prohibit-password", "PasswordAuthentication no"];
  fs.writeFileSync(path.join(dir, "sshd_config"), conf.join("\n") + "\n");
  const child = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", path.join(dir, "sshd_config")], { stdio: "ignore" });
  const end = Date.now() + 5000;
  while (Date.now() < end && !(await portOpen(port))) await new Promise((r) => setTimeout(r, 50));
  return {
    key: path.join(dir, "id"),
    stop: () => {
      child.kill("SIGTERM");
      if (madeRun) fs.rmSync("/run/sshd", { recursive: true, force: true });
    },
  };
}

test("sbx exec and sbx ssh reach the guest over real SSH: the OpenSSH client (a wrapper ssh on PATH adds the test key) and a loopback sshd standing in for the guest (stand-in NixOS host)", async () => {
  const h = standinHost();
  const repo = makeRepo({ "README": "hello\n" });
  const user = os.userInfo().username;
  // The loopback "guest" has no /workspace: the worktree's own path stands in for it.
  fs.writeFileSync(path.join(repo, "agent.toml"), `${AGENT}user = "${user}"\nworkspace_mount = "${repo}"\n`);
  const home = newHome();
  const run = (args: string[]) => sbx(args, { cwd: repo, home, env: h.env });
  assert.is((await run(["apply", "--auto-approve"])).code, 0);
  const vm = vmOf(planOf((await run(["plan", "--json"])).stdout));
  const sshd = await loopbackSshd(vm.port, tmpdir("sbx-sshd-"));
  if (typeof sshd === "string") {
    console.warn(`\n!!! SKIPPING the real SSH check: ${sshd} !!!\n`);
    await run(["destroy", "--auto-approve"]);
    return;
  }
  try {
    const bin = path.join(h.root, "ssh-wrapper");
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(bin, "ssh"), `#!/bin/sh\n# Test wrapper: the real ssh with the test key.\nexec ${spawnSync("sh", ["-c", "command -v ssh"], { encoding: "utf8" }).stdout.trim()} -i ${sshd.key} -o IdentitiesOnly=yes "$@"\n`, { mode: 0o755 });
    const env = { ...h.env, PATH: `${bin}:${h.env.PATH}` };
    const ex = await sbx(["exec", "--", "sh", "-c", 'pwd; printf "%s|" "$@"; cat README', "sh", "it's a b", "$HOME"], { cwd: repo, home, env });
    assert.is(ex.code, 0, ex.stderr);
    assert.is(ex.stdout, `${repo}\nit's a b|$HOME|hello\n`, "each word arrives as given, in the workspace");
    const failing = await sbx(["exec", "--", "sh", "-c", "exit 3"], { cwd: repo, home, env });
    assert.is(failing.code, 3);
    const login = await sbx(["ssh", "--", "-T"], { cwd: repo, home, env });
    assert.is(login.code, 0, login.stderr);
  } finally {
    sshd.stop();
  }
  assert.is((await run(["destroy", "--auto-approve"])).code, 0);
});

test.run();
