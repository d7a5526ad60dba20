// The conformance suite every driver passes, against the real thing (files, git
// worktrees, processes and ports, the registry, Docker): create → read ok; changed outside
// sbx → drifted or missing; update → ok; delete → gone; delete again is harmless; a crash
// between the journal intent and the end of the action converges on the next run.

import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { runEngine } from "../../src/apply/engine.js";
import { groupMembers } from "../../src/apply/target/proc.js";
import { driverContext, type RunOptions } from "../../src/apply/project.js";
import { claimSlot } from "../../src/apply/registry.js";
import { StateStore, type InstanceState, type StateResource } from "../../src/apply/state.js";
import type { DriverContext } from "../../src/kinds/driver.js";
import { KINDS } from "../../src/kinds/index.js";
import type { Resource } from "../../src/kinds/spec.js";
import { diffResources } from "../../src/plan/diff.js";
import { addWorktree, makeRepo, newHome, ROOT, SERVER_JS, tmpdir } from "../helpers/sbx.js";
import { sshdAvailable, startSshd, type Sshd } from "../helpers/sshd.js";
import { freePortBase } from "../helpers/ports.js";
import { dockerAvailable } from "../helpers/docker.js";
import { joinSwarm, leaveSwarm } from "../helpers/swarm.js";
import { standinHost } from "../helpers/nixos-standin.js";

// Unique per run: other checkouts may run this suite against the same Docker engine at once.
const PROJECT = `confcompose-${process.pid}`;
const SWARM_OWNER = `conf-swarm-${process.pid}`;

interface Harness {
  ctx: DriverContext;
  /** The resource as first created, and a changed version for update. */
  desired: Resource;
  changed: Resource;
  /** Change or remove the real thing behind sbx's back. */
  tamper(prior: StateResource): Promise<void>;
  /** Whether the real thing exists. */
  exists(prior: StateResource): Promise<boolean>;
  cleanup(): Promise<void>;
}

interface Case {
  kind: string;
  /** Said in the test titles: what stands in for the real thing. */
  note?: string;
  /** Skip with a reason, or undefined to run. */
  unavailable?: () => string | undefined;
  make(): Promise<Harness>;
}

function context(home: string, worktree: string, main: string, id: string, extra: Partial<RunOptions> = {}, secretRefs: Record<string, string> = {}): DriverContext {
  const logs: string[] = [];
  const opts: RunOptions = { cwd: worktree, env: { ...process.env, SBX_SELF: path.join(ROOT, "dist", "sbx.mjs") }, home, sets: [], command: "conformance", log: (l) => logs.push(l), ...extra };
  return driverContext(opts, { id, stateDir: path.join(home, "instances", id), worktree, main }, secretRefs);
}

let sshd: Sshd | undefined;
const noSshd = sshdAvailable();

/** A context whose target is this machine reached over a real loopback sshd, with its remote root in a fresh directory. */
async function remoteContext(home: string, worktree: string, id: string): Promise<{ ctx: DriverContext; root: string }> {
  sshd ??= await startSshd();
  const root = path.join(tmpdir("sbx-conf-remote-"), "root");
  const opts: RunOptions = { cwd: worktree, env: { ...process.env, SBX_SSH_COMMAND: sshd.sshCommand }, home, sets: [], command: "conformance", log: () => undefined };
  process.env.SBX_SSH_COMMAND = sshd.sshCommand; // the ssh target reads it when it is made
  const placement = { kind: "ssh" as const, user: sshd.user, host: "127.0.0.1", port: sshd.port };
  return { ctx: driverContext(opts, { id, stateDir: path.join(home, "instances", id), worktree, main: worktree, placement, remoteRoot: root }, {}), root };
}

const cases: Case[] = [
  {
    kind: "sync",
    note: "onto a loopback ssh host",
    unavailable: () => noSshd,
    async make() {
      const repo = makeRepo({ "a.txt": "one\n", "dir/b.txt": "two\n" });
      fs.writeFileSync(path.join(repo, "untracked.txt"), "not ignored\n");
      const home = newHome();
      const { ctx, root } = await remoteContext(home, repo, "conf-sync");
      const wt = path.join(root, "conf-sync", "worktree");
      return {
        ctx,
        desired: { address: "sync.worktree", type: "sync", attrs: { path: wt, exclude: [] }, dependsOn: [] },
        // The update ships a.txt no more: the copy shipped before goes from the host.
        changed: { address: "sync.worktree", type: "sync", attrs: { path: wt, exclude: ["a.txt"] }, dependsOn: [] },
        tamper: async () => fs.writeFileSync(path.join(wt, "dir", "b.txt"), "edited on the host\n"),
        exists: async (prior) => {
          const there = fs.existsSync(path.join(root, "conf-sync"));
          if (there && prior.attrs.exclude && (prior.attrs.exclude as string[]).includes("a.txt")) assert.not.ok(fs.existsSync(path.join(wt, "a.txt")), "a file no longer shipped is removed");
          if (there) assert.is(fs.readFileSync(path.join(wt, "untracked.txt"), "utf8"), "not ignored\n");
          return there;
        },
        cleanup: async () => fs.rmSync(home, { recursive: true, force: true }),
      };
    },
  },
  {
    kind: "copy",
    note: "from this machine onto a loopback ssh host",
    unavailable: () => noSshd,
    async make() {
      const repo = makeRepo({ "config.yaml": "a: 1\n", "other.yaml": "b: 2\n" });
      const home = newHome();
      const { ctx, root } = await remoteContext(home, repo, "conf-copy-ssh");
      const dest = path.join(root, "conf-copy-ssh", "worktree", "local.yaml");
      return {
        ctx,
        desired: { address: 'copy["local.yaml"]', type: "copy", attrs: { source: "config.yaml", dest: "local.yaml" }, dependsOn: [] },
        changed: { address: 'copy["local.yaml"]', type: "copy", attrs: { source: "other.yaml", dest: "local.yaml" }, dependsOn: [] },
        tamper: async () => fs.writeFileSync(dest, "edited: yes\n"),
        exists: async () => fs.existsSync(dest) && !fs.existsSync(path.join(repo, "local.yaml")),
        cleanup: async () => fs.rmSync(home, { recursive: true, force: true }),
      };
    },
  },
  {
    kind: "file",
    async make() {
      const home = newHome();
      const ctx = context(home, home, home, "conf-file");
      const p = path.join(ctx.stateDir, "gen.env");
      return {
        ctx,
        desired: { address: "file.gen", type: "file", attrs: { path: p, content: "A=1\n", mode: "0644" }, dependsOn: [] },
        changed: { address: "file.gen", type: "file", attrs: { path: p, content: "A=2\n", mode: "0600" }, dependsOn: [] },
        tamper: async () => fs.writeFileSync(p, "edited by hand\n"),
        exists: async () => fs.existsSync(p),
        cleanup: async () => fs.rmSync(home, { recursive: true, force: true }),
      };
    },
  },
  {
    kind: "git_exclude",
    async make() {
      const repo = makeRepo({ "README.md": "x\n" });
      const wt = addWorktree(repo, "conf-exclude");
      const home = newHome();
      const ctx = context(home, wt, repo, "conf-exclude");
      const exclude = path.join(repo, ".git", "info", "exclude"); // the common git dir's, shared by every worktree
      const ours = (pattern: string) => `# added by sbx for sandbox conf-exclude (sbx destroy removes these two lines)\n${pattern}\n`;
      return {
        ctx,
        desired: { address: "git_exclude.env_sandbox", type: "git_exclude", attrs: { worktree: wt, pattern: "/.env.sandbox" }, dependsOn: [] },
        changed: { address: "git_exclude.env_sandbox", type: "git_exclude", attrs: { worktree: wt, pattern: "/.env.sbx" }, dependsOn: [] },
        tamper: async () => fs.writeFileSync(exclude, fs.readFileSync(exclude, "utf8").replace(ours("/.env.sandbox"), "")),
        exists: async (prior) => fs.readFileSync(exclude, "utf8").split(ours(String(prior.attrs.pattern))).length === 2,
        cleanup: async () => fs.rmSync(home, { recursive: true, force: true }),
      };
    },
  },
  {
    kind: "copy",
    async make() {
      const repo = makeRepo({ "config.yaml": "a: 1\n", "other.yaml": "b: 2\n" });
      const wt = addWorktree(repo, "conf");
      const home = newHome();
      const ctx = context(home, wt, repo, "conf-copy");
      return {
        ctx,
        desired: { address: 'copy["local.yaml"]', type: "copy", attrs: { source: "config.yaml", dest: "local.yaml" }, dependsOn: [] },
        changed: { address: 'copy["local.yaml"]', type: "copy", attrs: { source: "other.yaml", dest: "local.yaml" }, dependsOn: [] },
        tamper: async () => fs.writeFileSync(path.join(wt, "local.yaml"), "edited: yes\n"),
        exists: async () => fs.existsSync(path.join(wt, "local.yaml")),
        cleanup: async () => fs.rmSync(home, { recursive: true, force: true }),
      };
    },
  },
  {
    kind: "secrets",
    async make() {
      const home = newHome();
      const ctx = context(home, home, home, "conf-secrets", { env: { ...process.env, CONF_TOKEN: "conformance-token-1" } }, { TOKEN: "$CONF_TOKEN", LIT: "literal-value" });
      const p = path.join(ctx.stateDir, ".env.secrets");
      const attrs = { path: p, refs: { LIT: "(literal, not shown)", TOKEN: "$CONF_TOKEN" } };
      return {
        ctx,
        desired: { address: "secrets.env", type: "secrets", attrs, dependsOn: [] },
        changed: { address: "secrets.env", type: "secrets", attrs: { ...attrs, refs: { ...attrs.refs } }, dependsOn: [] },
        tamper: async () => fs.writeFileSync(p, "TOKEN=stolen\n", { mode: 0o600 }),
        exists: async () => fs.existsSync(p),
        cleanup: async () => fs.rmSync(home, { recursive: true, force: true }),
      };
    },
  },
  {
    kind: "process",
    async make() {
      const repo = makeRepo({ "server.mjs": SERVER_JS });
      const home = newHome();
      const ctx = context(home, repo, repo, "conf-process");
      const port = await freePortBase(2);
      const attrs = (p: number) => ({ name: "svc", command: ["node", "server.mjs"], cwd: repo, env: { PORT: String(p) }, secrets_file: null, port: p, ready: { type: "http", port: p, path: "/", timeout: 15 }, stop_grace: 2 });
      const pidOf = (prior: StateResource) => prior.output.pid as number;
      return {
        ctx,
        desired: { address: "process.svc", type: "process", attrs: attrs(port), dependsOn: [] },
        changed: { address: "process.svc", type: "process", attrs: attrs(port + 1), dependsOn: [] },
        tamper: async (prior) => {
          process.kill(-pidOf(prior), "SIGKILL");
          const end = Date.now() + 5000;
          while (groupMembers(pidOf(prior)).length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
        },
        // Live (non-zombie) members of the process group.
        exists: async (prior) => groupMembers(pidOf(prior)).length > 0,
        cleanup: async () => fs.rmSync(home, { recursive: true, force: true }),
      };
    },
  },
  {
    kind: "slot",
    async make() {
      const home = newHome();
      const ctx = context(home, home, home, "conf-slot");
      const base = await freePortBase(1);
      await claimSlot({ home, instance: "conf-slot", project: "conf", worktree: home, specs: [{ name: "P", base, stride: 1, standard: base }], range: { min: 1, max: 1 }, who: { command: "conformance", log: () => undefined } });
      const registry = () => JSON.parse(fs.readFileSync(path.join(home, "registry.json"), "utf8")) as { slots: Record<string, { instance: string; expires_at: string | null }> };
      const attrs = { project: "conf", slot: 1, ports: { P: base + 1 }, ttl: null };
      return {
        ctx,
        desired: { address: "slot.this", type: "slot", attrs, dependsOn: [] },
        changed: { address: "slot.this", type: "slot", attrs: { ...attrs, ttl: "2h" }, dependsOn: [] },
        tamper: async () => {
          const r = registry();
          delete r.slots["1"];
          fs.writeFileSync(path.join(home, "registry.json"), JSON.stringify(r));
        },
        exists: async () => Object.values(registry().slots).some((c) => c.instance === "conf-slot"),
        cleanup: async () => fs.rmSync(home, { recursive: true, force: true }),
      };
    },
  },
  {
    kind: "compose",
    unavailable: () => (dockerAvailable() ? undefined : "no Docker engine"),
    async make() {
      const port = await freePortBase(1);
      const compose = `services:\n  web:\n    image: sbx-busybox:test\n    command: ["/bin/httpd", "-f", "-p", "80", "-h", "/www"]\n    ports:\n      - "\${WEB_PORT:-8080}:80"\n`;
      const repo = makeRepo({ "docker-compose.yml": compose });
      const home = newHome();
      const ctx = context(home, repo, repo, "conf-compose");
      const sd = ctx.stateDir;
      fs.mkdirSync(sd, { recursive: true });
      fs.writeFileSync(path.join(sd, ".env.sandbox"), `COMPOSE_PROJECT_NAME=${PROJECT}\nWEB_PORT=${port}\n`);
      fs.copyFileSync(path.join(repo, "docker-compose.yml"), path.join(sd, "docker-compose.yml"));
      const override = (label: string) => `services:\n  web:\n    labels:\n      dev.sbx.instance: conf-compose\n      conformance: "${label}"\n`;
      fs.writeFileSync(path.join(sd, "o1.yml"), override("one"));
      fs.writeFileSync(path.join(sd, "o2.yml"), override("two"));
      const attrs = (o: string) => ({ project: PROJECT, compose_file: path.join(repo, "docker-compose.yml"), copy: path.join(sd, "docker-compose.yml"), override: path.join(sd, o), env_file: path.join(sd, ".env.sandbox"), secrets_file: null, services: ["web"] });
      const { execFileSync } = await import("node:child_process");
      const ps = () => execFileSync("docker", ["ps", "-aq", "--filter", `label=com.docker.compose.project=${PROJECT}`], { encoding: "utf8" }).trim();
      return {
        ctx,
        desired: { address: "compose.stack", type: "compose", attrs: attrs("o1.yml"), dependsOn: [] },
        changed: { address: "compose.stack", type: "compose", attrs: attrs("o2.yml"), dependsOn: [] },
        tamper: async () => void execFileSync("docker", ["stop", "-t", "1", ...ps().split("\n")]),
        exists: async () => ps() !== "",
        cleanup: async () => {
          const ids = ps();
          if (ids) execFileSync("docker", ["rm", "-f", ...ids.split("\n")]);
          fs.rmSync(home, { recursive: true, force: true });
        },
      };
    },
  },
  {
    kind: "swarm",
    unavailable: () => (dockerAvailable() ? undefined : "no Docker engine"),
    async make() {
      const lease = joinSwarm();
      const port = await freePortBase(1);
      const home = newHome();
      const ctx = context(home, home, home, SWARM_OWNER);
      const sd = ctx.stateDir;
      const stack = `confswarm${process.pid}-slot-1`;
      fs.mkdirSync(sd, { recursive: true });
      fs.writeFileSync(path.join(sd, ".env.secrets"), "TOKEN=conformance-swarm-token\n", { mode: 0o600 });
      const compose = `services:\n  web:\n    image: sbx-busybox:test\n    command: ["/bin/httpd", "-f", "-p", "80", "-h", "/www"]\n    stop_grace_period: 1s\n    ports:\n      - { target: 80, published: ${port}, mode: host }\n`;
      fs.writeFileSync(path.join(sd, "docker-stack.yml"), compose);
      const owner = `dev.sbx.instance: ${SWARM_OWNER}`;
      const override = (label: string) =>
        `services:\n  web:\n    labels: { ${owner} }\n    deploy:\n      labels: { ${owner}, conformance: "${label}" }\n    secrets: [{ source: sbx_TOKEN, target: TOKEN }]\nsecrets:\n  sbx_TOKEN: { external: true, name: "\${SBX_SECRET_OBJECT_TOKEN}" }\nnetworks:\n  default: { labels: { ${owner} } }\n`;
      fs.writeFileSync(path.join(sd, "o1.yml"), override("one"));
      fs.writeFileSync(path.join(sd, "o2.yml"), override("two"));
      const attrs = (o: string) => ({
        stack,
        compose_file: path.join(sd, "docker-stack.yml"),
        copy: path.join(sd, "docker-stack.yml"),
        override: path.join(sd, o),
        secrets_file: path.join(sd, ".env.secrets"),
        services: ["web"],
        replicas: { web: 1 },
        ports: [`web: ${port} -> 80/tcp (host mode)`],
        secrets: ["TOKEN"],
        wait_timeout: 60,
      });
      const { execFileSync } = await import("node:child_process");
      const ls = (...args: string[]) => execFileSync("docker", args, { encoding: "utf8" }).split("\n").filter(Boolean);
      const owned = () => [
        ...ls("service", "ls", "-q", "--filter", `label=dev.sbx.instance=${SWARM_OWNER}`),
        ...ls("secret", "ls", "-q", "--filter", `label=dev.sbx.instance=${SWARM_OWNER}`),
        ...ls("network", "ls", "-q", "--filter", `label=dev.sbx.instance=${SWARM_OWNER}`),
      ];
      return {
        ctx,
        desired: { address: "swarm.stack", type: "swarm", attrs: attrs("o1.yml"), dependsOn: [] },
        changed: { address: "swarm.stack", type: "swarm", attrs: attrs("o2.yml"), dependsOn: [] },
        tamper: async () => void execFileSync("docker", ["service", "scale", "-d", `${stack}_web=0`], { stdio: "ignore" }),
        exists: async () => owned().length > 0,
        cleanup: async () => {
          try {
            for (const kind of ["service", "secret", "network", "volume"]) {
              const ids = ls(kind, "ls", "-q", "--filter", `label=dev.sbx.instance=${SWARM_OWNER}`);
              if (ids.length) execFileSync("docker", [kind, "rm", ...ids], { stdio: "ignore" });
            }
          } finally {
            fs.rmSync(home, { recursive: true, force: true });
            await leaveSwarm(lease);
          }
        },
      };
    },
  },
  ...(["nix.guest", "nix.host"] as const).map(
    (kind): Case => ({
      kind,
      note: "stand-in NixOS host",
      // Module files on a stand-in NixOS host: a temp root reached through SBX_TEST_HOST_ROOT.
      async make() {
        const home = newHome();
        const host = standinHost();
        const ctx = context(home, home, home, `conf-${kind}`, { env: { ...process.env, ...host.env } });
        const dir = "/etc/nixos/sbx/conf-slot-1";
        const attrs = (v: string) => (kind === "nix.guest" ? { vm: "conf-slot-1", dir, guest: `{ microvm.mem = ${v}; }\n`, extras: "{ }\n" } : { vm: "conf-slot-1", dir, content: `{ microvm.vms.conf-slot-1.autostart = ${v}; }\n` });
        const address = kind === "nix.guest" ? 'nix.guest["conf-slot-1"]' : "nix.host";
        const file = path.join(host.root, dir, kind === "nix.guest" ? "vms/conf-slot-1.nix" : "host.nix");
        return {
          ctx,
          desired: { address, type: kind, attrs: attrs(kind === "nix.guest" ? "4096" : "false"), dependsOn: [] },
          changed: { address, type: kind, attrs: attrs(kind === "nix.guest" ? "8192" : "true"), dependsOn: [] },
          tamper: async () => fs.writeFileSync(file, "# edited by hand\n"),
          exists: async () => fs.existsSync(file),
          cleanup: async () => {
            fs.rmSync(home, { recursive: true, force: true });
            fs.rmSync(host.root, { recursive: true, force: true });
          },
        };
      },
    }),
  ),
  {
    kind: "microvm",
    note: "stand-in NixOS host",
    // A stand-in NixOS host: recording systemctl and nixos-rebuild on PATH (no NixOS here).
    async make() {
      const home = newHome();
      const host = standinHost();
      const ctx = context(home, home, home, "conf-microvm", { env: { ...process.env, ...host.env } });
      // The stand-in nixos-rebuild declares the VMs whose host.nix exists.
      const dir = "/etc/nixos/sbx/conf-slot-1";
      fs.mkdirSync(path.join(host.root, dir), { recursive: true });
      fs.writeFileSync(path.join(host.root, dir, "host.nix"), "{ }\n");
      const attrs = (port: number) => ({ name: "conf-slot-1", dir, rebuild: ["nixos-rebuild", "switch"], ssh: { address: "127.0.0.1", port, user: "agent" }, ports: [port], workspace: "/workspace" });
      return {
        ctx,
        desired: { address: "microvm.conf-slot-1", type: "microvm", attrs: attrs(22201), dependsOn: [] },
        changed: { address: "microvm.conf-slot-1", type: "microvm", attrs: attrs(22202), dependsOn: [] },
        tamper: async () => host.kill("conf-slot-1"),
        exists: async () => host.active("conf-slot-1"),
        cleanup: async () => {
          fs.rmSync(home, { recursive: true, force: true });
          fs.rmSync(host.root, { recursive: true, force: true });
        },
      };
    },
  },
  {
    kind: "k8s.deployment",
    note: "recording stand-in for kubectl, no API server here",
    async make() {
      // kubectl on the target's PATH is tests/fixtures/fake-kubectl keeping what was applied.
      const home = newHome();
      const bin = path.join(home, "bin");
      fs.mkdirSync(bin);
      fs.writeFileSync(path.join(bin, "kubectl"), `#!/bin/sh\nexec "${process.execPath}" "${path.join(ROOT, "tests", "fixtures", "fake-kubectl.mjs")}" "$@"\n`, { mode: 0o755 });
      const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, FAKE_KUBECTL_DIR: home, FAKE_KUBECTL_STORE: "1" };
      const ctx = context(home, home, home, "conf-k8s", { env });
      const store = () => (fs.existsSync(path.join(home, "store.json")) ? (JSON.parse(fs.readFileSync(path.join(home, "store.json"), "utf8")) as { kind: string; spec: { replicas: number } }[]) : []);
      const labels = { "app.kubernetes.io/managed-by": "sbx", "dev.sbx.instance": "conf-k8s" };
      const attrs = (image: string) => ({
        context: "kind-conf",
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace: "team", labels },
        spec: { replicas: 1, selector: { matchLabels: { "dev.sbx.service": "web" } }, template: { metadata: { labels: { ...labels, "dev.sbx.service": "web" } }, spec: { containers: [{ name: "web", image }] } } },
      });
      return {
        ctx,
        desired: { address: "k8s.deployment.web", type: "k8s.deployment", attrs: attrs("busybox:1.36"), dependsOn: [] },
        changed: { address: "k8s.deployment.web", type: "k8s.deployment", attrs: attrs("busybox:1.37"), dependsOn: [] },
        tamper: async () => {
          const s = store();
          s.find((o) => o.kind === "Deployment")!.spec.replicas = 4;
          fs.writeFileSync(path.join(home, "store.json"), JSON.stringify(s));
        },
        exists: async () => store().some((o) => o.kind === "Deployment"),
        cleanup: async () => fs.rmSync(home, { recursive: true, force: true }),
      };
    },
  },
];

function stateOf(r: Resource, out: { output: Record<string, unknown>; attrs?: object }): StateResource {
  return { address: r.address, type: r.type, attrs: { ...r.attrs, ...(out.attrs ?? {}) }, output: out.output, dependsOn: r.dependsOn };
}

for (const c of cases) {
  const title = `${c.kind} driver${c.note ? ` (${c.note})` : ""}`;
  test(`${title}: create, read, drift, update, delete, delete again`, async () => {
    const why = c.unavailable?.();
    if (why) {
      if (process.env.SBX_REQUIRE_DOCKER || process.env.SBX_REQUIRE_SSHD) assert.unreachable(`${c.kind} conformance needs ${why}`);
      console.log(`  SKIPPING ${c.kind} conformance: ${why}`);
      return;
    }
    const h = await c.make();
    const d = KINDS.driver(c.kind);
    try {
      const created = stateOf(h.desired, await d.create(h.ctx, h.desired));
      assert.ok(await h.exists(created), "created for real");
      assert.equal(await d.read(h.ctx, created), { status: "ok" });
      await h.tamper(created);
      const seen = await d.read(h.ctx, created);
      assert.ok(seen.status === "drifted" || seen.status === "missing", `changed outside sbx is seen: ${JSON.stringify(seen)}`);
      const updated = stateOf(h.changed, await d.update(h.ctx, h.changed, created));
      assert.equal(await d.read(h.ctx, updated), { status: "ok" }, "update converges");
      await d.delete(h.ctx, updated);
      assert.not.ok(await h.exists(updated), "deleted for real");
      const after = await d.read(h.ctx, updated);
      if (c.kind !== "slot") assert.is(after.status, "missing");
      await d.delete(h.ctx, updated); // a second delete is harmless
    } finally {
      await h.cleanup();
    }
  });

  test(`${title}: a crash after the journal intent converges on the next run`, async () => {
    const why = c.unavailable?.();
    if (why) {
      if (process.env.SBX_REQUIRE_DOCKER) assert.unreachable(`${c.kind} conformance needs ${why}`);
      return;
    }
    const h = await c.make();
    const d = KINDS.driver(c.kind);
    const store = new StateStore(h.ctx.stateDir);
    try {
      store.init();
      // The run that crashed: its intent reached the journal, the action ran, the completion did not.
      store.append({ op: "intent", address: h.desired.address, action: "create" });
      await d.create(h.ctx, h.desired);
      const { state } = store.load();
      assert.is(state.pending?.[h.desired.address], "create", "the journal remembers the unfinished create");
      assert.not.ok(state.resources[h.desired.address]);
      // The next run plans a create and converges, recovering rather than duplicating.
      const changes = diffResources({ desired: [h.desired], prior: [], observed: new Map(), mode: "apply", specs: KINDS });
      const result = await runEngine({ changes, store, state, ctx: h.ctx, kinds: KINDS, parallelism: 1 });
      assert.equal(result.failures.map((f) => f.error.message), []);
      store.commit(state);
      const again = store.load().state;
      assert.not.ok(again.pending, "nothing left pending");
      const r = again.resources[h.desired.address]!;
      assert.equal(await d.read(h.ctx, r), { status: "ok" });
      await d.delete(h.ctx, r);
      assert.not.ok(await h.exists(r), "what the crashed run made is sbx's and goes on delete");
    } finally {
      await h.cleanup();
    }
  });
}

test("health driver owns nothing: it passes against a live server, fails as a health failure against a closed port, and deletes harmlessly", async () => {
  const home = newHome();
  const ctx = context(home, home, home, "conf-health");
  const port = await freePortBase(1);
  const http = await import("node:http");
  const server = http.createServer((_q, res) => res.end("ok")).listen(port, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  const d = KINDS.driver("health");
  const gate = (p: number): Resource => ({ address: "health.gate", type: "health", attrs: { checks: [{ name: "web", type: "http", host: "127.0.0.1", port: p, path: "/", status: [200] }], timeout: 2, interval: 1 }, dependsOn: [] });
  try {
    const ok = stateOf(gate(port), await d.create(ctx, gate(port)));
    assert.equal(await d.read(ctx, ok), { status: "ok" });
    server.close();
    await new Promise((r) => server.once("close", r));
    try {
      await d.create(ctx, gate(port));
      assert.unreachable("a closed port fails the gate");
    } catch (e) {
      assert.is((e as { kind?: string }).kind, "health");
      assert.match((e as { lines: string[] }).lines.join("\n"), `http://127.0.0.1:${port}/`);
    }
    await d.delete(ctx, ok);
    await d.delete(ctx, ok);
  } finally {
    server.close();
    fs.rmSync(home, { recursive: true, force: true });
  }
});

test.after(async () => {
  await sshd?.stop();
});

test.run();
