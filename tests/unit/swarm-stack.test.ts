// The pure half of the swarm backend: compose-style variables, the compose file rewritten
// for `docker stack deploy`, and the resources the backend builds from an in-memory project.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { parse } from "yaml";
import { buildGraph } from "../../src/compile/backends/index.js";
import { escapeComposeVars, interpolateCompose } from "../../src/compile/compose-vars.js";
import { loadConfig, type SourceReader } from "../../src/compile/config.js";
import { rewriteForSwarm } from "../../src/compile/render/swarm-stack.js";

const ENV: Record<string, string> = { A: "a", EMPTY: "", WEB_PORT: "29001" };
const look = (n: string) => ENV[n];
const value = (t: string) => interpolateCompose(t, look).value;

test("compose variables: every operator, nesting, $$ and bare names, as compose evaluates them", () => {
  assert.is(value("x${A}y$A-$$A"), "xaya-$A");
  assert.is(value("${EMPTY:-d}|${EMPTY-d}|${NONE-d}|${NONE:-d}"), "d||d|d");
  assert.is(value("${A:+alt}|${EMPTY:+alt}|${EMPTY+alt}|${NONE+alt}"), "alt||alt|");
  assert.is(value("${NONE:-${A}-${WEB_PORT}}"), "a-29001");
  assert.is(value("cost: $5 and $"), "cost: $5 and $");
  const r = interpolateCompose("${NONE}${NONE:?set it}${EMPTY?x}${1BAD}", look);
  assert.equal(r.unset, ["NONE"]);
  assert.equal(r.errors, ["required variable NONE is not set: set it", 'invalid interpolation format "${1BAD}": a variable name must start with a letter or _']);
  assert.equal(r.used.sort(), ["EMPTY", "NONE"]);
});

test("an escaped value survives a second interpolation unchanged", () => {
  for (const v of ["plain", "$HOME", "${A}", "a$$b", "$"]) assert.is(value(escapeComposeVars(v)), v);
});

const compose = `version: "3.2"
x-common: &common
  image: sbx-busybox:test
  environment: ["FROM_LIST=1", "BARE"]
services:
  web:
    <<: *common
    ports:
      - "\${WEB_PORT:-8080}:80"
      - "127.0.0.1:9000:90/udp"
      - "7000"
      - { target: 443, published: 8443, mode: ingress }
    volumes:
      - ./data:/data
      - /abs:/abs
      - named:/named
      - { type: bind, source: ../up, target: /up }
    env_file: ./web.env
    labels: ["a=1"]
    deploy:
      replicas: 2
  worker:
    image: sbx-busybox:test
    command: echo $$HOME \${A}
    deploy:
      mode: global
networks:
  back: {}
  ext: { external: true }
volumes:
  named: { labels: { mine: "yes" } }
configs:
  motd: { file: ./motd.txt }
secrets:
  cert: { file: ./cert.pem, mode: 0440 }
`;

test("the copy for docker stack deploy: host-mode ports, absolute paths, labels, maps, a version with external names", () => {
  const labels = { "dev.sbx.instance": "i-1" };
  const rw = rewriteForSwarm({ text: compose, file: "docker-compose.yml", env: ENV, secretNames: new Set(["TOKEN"]), composeDir: "/wt/app", labels });
  const doc = parse(rw.text, { version: "1.1" });
  assert.is(rw.version, "3.8");
  assert.is(doc.version, "3.8");
  const web = doc.services.web;
  assert.equal(web.ports, [
    { target: 80, published: 29001, protocol: "tcp", mode: "host" },
    { target: 90, published: 9000, protocol: "udp", mode: "host" },
    { target: 7000, protocol: "tcp", mode: "host" },
    { target: 443, published: 8443, protocol: "tcp", mode: "host" },
  ]);
  assert.equal(web.volumes, ["/wt/app/data:/data", "/abs:/abs", "named:/named", { type: "bind", source: "/wt/up", target: "/up" }]);
  assert.is(web.env_file, "/wt/app/web.env");
  assert.equal(web.environment, { FROM_LIST: "1", BARE: null });
  assert.equal(web.labels, { a: "1" });
  assert.is(doc.services.worker.command, "echo $$HOME a");
  assert.equal(doc.networks.back.labels, labels);
  assert.equal(doc.networks.default.labels, labels);
  assert.equal(doc.networks.ext, { external: true });
  assert.equal(doc.volumes.named.labels, { mine: "yes", ...labels });
  assert.equal(doc.configs.motd, { file: "/wt/app/motd.txt", labels });
  assert.is(doc.secrets.cert.mode, 0o440, "YAML 1.1 octal stays the same number for docker's YAML 1.1 reader");
  assert.equal(
    rw.services.map((s) => [s.name, s.replicas, s.ports.length]),
    [
      ["web", 2, 4],
      ["worker", "global", 0],
    ],
  );
  assert.equal(rw.networks, ["back", "default"]);
  const said = rw.diags.map((d) => `${d.range?.start.line}:${d.range?.start.col} ${d.severity} ${d.summary}`);
  assert.equal(said, [
    "10:9 warning Host address is ignored on Swarm",
    "12:9 warning Port in ingress mode published in host mode",
    "21:17 warning Replicas share a host-mode port",
  ]);
});

test("a secret interpolated into the spec is an error; an unset variable a warning; both located", () => {
  const text = 'services:\n  web:\n    image: x\n    environment:\n      - "TOKEN=${TOKEN}"\n      - "WHO=${WHO}"\n';
  const rw = rewriteForSwarm({ text, file: "c.yml", env: {}, secretNames: new Set(["TOKEN"]), composeDir: "/wt", labels: {} });
  const said = rw.diags.map((d) => `${d.range?.file}:${d.range?.start.line}:${d.range?.start.col} ${d.severity} ${d.summary}`);
  assert.equal(said, ["c.yml:5:9 error Secret `TOKEN' would be visible in `docker service inspect'", "c.yml:6:9 warning Variable `WHO' is not set"]);
  assert.match(rw.diags[0]!.detail!, "/run/secrets/TOKEN");
});

function graph(files: Record<string, string>, slot = 3) {
  const reader: SourceReader = { read: (p) => files[p.replace(/^\/repo\//, "")] };
  const { config, diags } = loadConfig({ paths: { cwd: "/repo", worktree: "/repo", main: "/repo" }, reader, sets: [] });
  assert.equal(diags, []);
  return buildGraph(config!, { slot, configRel: "", instanceId: "demo-1234", roots: { worktree: "/repo", main: "/repo", state: "/state" }, sourceDir: "/repo", reader });
}

const project = {
  "infra.toml": '[project]\nname = "demo"\n\n[sandbox]\nbackend = "swarm"\n\n[sandbox.ports]\nWEB_PORT = 29000\n\n[sandbox.env]\nMODE = "dev"\n\n[sandbox.secrets]\nTOKEN = "$DEMO_TOKEN"\n',
  "docker-compose.yml": 'services:\n  web:\n    image: sbx-busybox:test\n    environment:\n      MODE: "own"\n    ports:\n      - "${WEB_PORT:-8080}:80"\n',
};

test("the backend: copy, override (owner labels, env that never overrides the service's own, secrets by versioned name), the stack", () => {
  const g = graph(project);
  assert.equal(g.diags, []);
  assert.equal(g.resources.map((r) => r.address), ["file.env_sandbox", "file.swarm_compose", "file.swarm_override", "secrets.env", "slot.this", "swarm.stack"]);
  const stack = g.resources.find((r) => r.address === "swarm.stack")!;
  assert.equal(stack.attrs, {
    stack: "demo-slot-3",
    compose_file: "/repo/docker-compose.yml",
    copy: "/state/docker-stack.yml",
    override: "/state/docker-stack.override.yml",
    secrets_file: "/state/.env.secrets",
    services: ["web"],
    replicas: { web: 1 },
    ports: ["web: 29003 -> 80/tcp (host mode)"],
    secrets: ["TOKEN"],
    wait_timeout: 120,
  });
  assert.ok(stack.dependsOn.includes("secrets.env") && stack.dependsOn.includes("file.swarm_override"));
  const over = parse(g.resources.find((r) => r.address === "file.swarm_override")!.attrs.content as string);
  const owner = { "dev.sbx.instance": "demo-1234", "dev.sbx.project": "demo", "dev.sbx.slot": "3" };
  assert.equal(over.services.web, {
    labels: owner,
    deploy: { labels: owner },
    environment: { COMPOSE_PROJECT_NAME: "demo-slot-3", WEB_PORT: "29003", TOKEN_FILE: "/run/secrets/TOKEN" },
    secrets: [{ source: "sbx_TOKEN", target: "TOKEN" }],
  });
  assert.equal(over.secrets, { sbx_TOKEN: { external: true, name: "${SBX_SECRET_OBJECT_TOKEN}" } });
  assert.equal(g.env.MODE, "dev");
});

test("a profile's placement swarm:// selects the swarm backend; swarm://host is refused where the placement is written", () => {
  const infra = 'profile = "team"\n' + project["infra.toml"].replace('[sandbox]\nbackend = "swarm"\n\n', "");
  const local = graph({ ...project, "infra.toml": infra, "profiles/team.toml": 'id = "team"\nversion = 1\nplacement = "swarm://"\n' });
  assert.equal(local.diags, []);
  assert.ok(local.resources.some((r) => r.address === "swarm.stack"));
  const reader: SourceReader = { read: (p) => ({ ...project, "infra.toml": infra, "profiles/team.toml": 'id = "team"\nversion = 1\nplacement = "swarm://dev@manager:2222"\n' })[p.replace(/^\/repo\//, "")] };
  const { config } = loadConfig({ paths: { cwd: "/repo", worktree: "/repo", main: "/repo" }, reader, sets: [] });
  assert.is(config!.backend, "swarm");
  const remote = buildGraph(config!, { slot: 1, configRel: "", instanceId: "demo-1234", roots: { worktree: "/repo", main: "/repo", state: "/state" }, sourceDir: "/repo", reader });
  assert.equal(
    remote.diags.map((d) => `${d.range?.file}:${d.range?.start.line}:${d.range?.start.col} ${d.summary}`),
    ["profiles/team.toml:3:13 A remote swarm manager is not supported yet"],
  );
  // An explicit backend in infra.toml (priority 100) wins over the placement's default (1000).
  const explicit = graph({ ...project, "infra.toml": `${infra}\n[sandbox]\nbackend = "compose"\n`, "profiles/team.toml": 'id = "team"\nversion = 1\nplacement = "swarm://"\n' });
  assert.ok(explicit.resources.some((r) => r.address === "compose.stack"));
});

test("a missing compose file is a located error", () => {
  const g = graph({ "infra.toml": project["infra.toml"] });
  assert.equal(
    g.diags.map((d) => `${d.range?.file}:${d.range?.start.line} ${d.summary}`),
    ["infra.toml:1 Compose file not found"],
  );
});

test.run();
