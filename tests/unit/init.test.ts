// The pure core of `sbx init`: golden proposals and compose rewrites for every fixture
// under fixtures/init (UPDATE_GOLDEN=1 rewrites the golden files), the properties each
// one must have, and table tests for port syntax, naming, strides and the TOML merge.

import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseToml } from "smol-toml";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { loadConfig } from "../../src/compile/config.js";
import type { Diagnostic } from "../../src/compile/diagnostics.js";
import {
  chooseStride,
  isSecretName,
  mergeToml,
  normaliseProjectName,
  parseEnvExample,
  planInit,
  portVarName,
  rewriteComposePorts,
  scanCompose,
  schemaRef,
  STRIDES,
  type InitPlan,
  type InitReader,
} from "../../src/compile/init/index.js";
import { parseHostPort, scanRefs, splitShortSpec } from "../../src/compile/init/port-spec.js";
import { fixtureRepo, gitInitReader, initCases, INIT_FIXTURES } from "../helpers/init-reader.js";

const SCHEMA = "./node_modules/sbx/schemas/infra.schema.json";

function formatDiags(diags: readonly Diagnostic[]): string {
  return diags
    .map((d) => `${d.range ? `${d.range.file}:${d.range.start.line}:${d.range.start.col}: ` : ""}${d.severity}: ${d.summary}\n${(d.detail ?? "").split("\n").map((l) => `  ${l}`).join("\n")}\n`)
    .join("");
}

function golden(name: string, rel: string, actual: string): void {
  const file = path.join(INIT_FIXTURES, name, "expected", rel);
  if (process.env.UPDATE_GOLDEN) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, actual);
  }
  assert.ok(fs.existsSync(file), `missing golden ${file}; run with UPDATE_GOLDEN=1 and review it`);
  assert.fixture(actual, fs.readFileSync(file, "utf8"), `${name}/expected/${rel}`);
}

/** A reader that sees `files` on top of `base` (what the repository looks like once init has written). */
function overlay(base: InitReader, files: Record<string, string>): InitReader {
  return { read: (rel) => files[rel] ?? base.read(rel), list: () => base.list(), isIgnored: (rel) => base.isIgnored(rel) };
}

function memReader(files: Record<string, string>, ignored: readonly string[] = []): InitReader {
  return { read: (rel) => files[rel], list: () => Object.keys(files), isIgnored: (rel) => ignored.includes(rel) };
}

function written(plan: InitPlan): Record<string, string> {
  const out: Record<string, string> = { [plan.infraToml.path]: plan.infraToml.text };
  if (plan.compose) out[plan.compose.path] = plan.compose.text;
  return out;
}

const plans = new Map<string, { plan: InitPlan; reader: InitReader }>();
function planFor(name: string): { plan: InitPlan; reader: InitReader } {
  let p = plans.get(name);
  if (!p) {
    const reader = gitInitReader(fixtureRepo(name));
    p = { plan: planInit(reader, { dirName: name, schemaRef: SCHEMA }), reader };
    plans.set(name, p);
  }
  return p;
}

for (const name of initCases()) {
  test(`${name}: proposal, compose rewrite and gaps match the golden files`, () => {
    const { plan } = planFor(name);
    golden(name, "infra.toml", plan.infraToml.text);
    if (plan.compose) golden(name, plan.compose.path, plan.compose.text);
    golden(name, "gaps.txt", formatDiags(plan.gaps));
    golden(name, "remaining.txt", formatDiags(plan.remaining));
    golden(name, "diags.txt", formatDiags(plan.diags));
  });

  test(`${name}: the proposed infra.toml loads with no diagnostics and keeps its #:schema line first`, () => {
    const { plan } = planFor(name);
    const text = plan.infraToml.text;
    const r = loadConfig({ paths: { cwd: "/repo", worktree: "/repo", main: "/repo" }, reader: { read: (p) => (p === `/repo/${plan.infraToml.path}` ? text : undefined) } });
    assert.equal(formatDiags(r.diags), "");
    assert.ok(r.config);
    assert.match(text.split("\n")[0]!, /^#:schema \S+$/);
  });

  test(`${name}: every host port variable the compose file uses is declared, and no fixed port is left behind`, () => {
    const { plan } = planFor(name);
    if (!plan.compose) return;
    const ports = Object.keys((parseToml(plan.infraToml.text) as { sandbox?: { ports?: object } }).sandbox?.ports ?? {});
    const scan = scanCompose(plan.compose.text, plan.compose.path);
    for (const u of scan.services.flatMap((s) => s.ports)) {
      if (u.host.kind === "var") assert.ok(ports.includes(u.host.name), `${u.host.name} not declared`);
      assert.is.not(u.host.kind, "fixed", `services.${u.service}.ports[${u.index}] still fixed`);
    }
  });

  test(`${name}: the rewrite touches only port tokens, and re-running init changes nothing`, () => {
    const { plan, reader } = planFor(name);
    if (plan.compose) {
      // Putting each old token back gives the original file, byte for byte.
      // Positions are in the original file: undo left to right, so everything before a token is original again.
      const lines = plan.compose.text.split("\n");
      for (const c of [...plan.compose.changes].sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col)) {
        const line = lines[c.pos.line - 1]!;
        const at = c.pos.col - 1;
        assert.is(line.slice(at, at + c.after.length), c.after, `${c.after} expected at ${c.pos.line}:${c.pos.col}`);
        lines[c.pos.line - 1] = line.slice(0, at) + c.before + line.slice(at + c.after.length);
      }
      assert.is(lines.join("\n"), plan.compose.before);
    }
    const again = planInit(overlay(reader, written(plan)), { dirName: name, schemaRef: SCHEMA });
    assert.is(again.infraToml.changed, false, again.infraToml.added.join(", "));
    assert.is(again.compose?.changed ?? false, false);
    assert.equal(again.compose?.changes ?? [], []);
  });
}

test("re-running on a user-edited infra.toml keeps every line and value the user wrote, and only adds", () => {
  const { plan } = planFor("rerun");
  const before = plan.infraToml.before!;
  const after = plan.infraToml.text;
  assert.ok(plan.infraToml.added.length > 0, "the fixture has something missing");
  // Deleting whole lines of the merged file gives the original: nothing was rewritten.
  const orig = before.split("\n");
  const merged = after.split("\n");
  let i = 0;
  const inserted: string[] = [];
  for (const line of merged) {
    if (i < orig.length && line === orig[i]) i++;
    else inserted.push(line);
  }
  assert.is(i, orig.length, "every original line, in order");
  for (const line of inserted) assert.ok(line === "" || line.startsWith("# added by sbx init") || /^\[[a-z.]+\]$/.test(line) || plan.infraToml.added.some((k) => line.startsWith(`${k.split(".").pop()} = `)), `unexpected insertion: ${line}`);
  // Every value the user set is still there, unchanged.
  const contains = (a: unknown, b: unknown): boolean =>
    a !== null && typeof a === "object" ? Object.entries(a).every(([k, v]) => contains(v, (b as Record<string, unknown>)?.[k])) : a === b;
  assert.ok(contains(parseToml(before), parseToml(after)));
  const user = parseToml(after) as { sandbox: { ports: Record<string, { base: number; stride: number }>; health: { timeout: number } } };
  assert.is(user.sandbox.ports.RERUN_WEB_PORT!.base, 18080);
  assert.is(user.sandbox.health.timeout, 120);
  // New ports share the stride the user chose.
  for (const k of plan.infraToml.added.filter((k) => k.startsWith("sandbox.ports.")))
    assert.is(user.sandbox.ports[k.slice("sandbox.ports.".length)]!.stride, 100);
});

test("a declared port that the compose file does not use yet is reused for the matching fixed port, keeping the user's base", () => {
  const reader = memReader({
    "docker-compose.yml": 'services:\n  web:\n    image: x\n    ports:\n      - "8080:80"\n',
    "infra.toml": '[project]\nname = "p"\n\n[sandbox.ports]\nP_WEB_PORT = 9999\n',
  });
  const plan = planInit(reader, { dirName: "p", schemaRef: SCHEMA });
  assert.is(plan.compose!.changes[0]!.variable, "P_WEB_PORT");
  assert.equal(plan.infraToml.added, ["#:schema"]);
  assert.is(parseToml(plan.infraToml.text).sandbox !== undefined, true);
  assert.match(plan.infraToml.text, "P_WEB_PORT = 9999\n");
});

test("an unparseable infra.toml is reported and nothing is rewritten", () => {
  const reader = memReader({ "docker-compose.yml": 'services:\n  web:\n    ports: ["8080:80"]\n', "infra.toml": "[project\nname = 1\n" });
  const plan = planInit(reader, { dirName: "p", schemaRef: SCHEMA });
  assert.is(plan.infraToml.changed, false);
  assert.is(plan.compose!.changed, false);
  assert.match(formatDiags(plan.diags), "infra.toml:1:");
  assert.match(formatDiags(plan.diags), "not valid TOML");
});

test("short port syntax: every form compose accepts", () => {
  const cases: [string, string | undefined, string | undefined, string, string | undefined][] = [
    // spec, hostIp, hostText, container, protocol
    ["3000", undefined, undefined, "3000", undefined],
    ["3000-3005", undefined, undefined, "3000-3005", undefined],
    ["8000:8000", undefined, "8000", "8000", undefined],
    ["9090-9091:8080-8081", undefined, "9090-9091", "8080-8081", undefined],
    ["127.0.0.1:8001:8001", "127.0.0.1", "8001", "8001", undefined],
    ["127.0.0.1:5000-5010:5000-5010", "127.0.0.1", "5000-5010", "5000-5010", undefined],
    ["6060:6060/udp", undefined, "6060", "6060", "udp"],
    ["[::1]:6001:6001", "[::1]", "6001", "6001", undefined],
    ["::1:6001:6001", "::1", "6001", "6001", undefined],
    ["127.0.0.1::80", "127.0.0.1", "", "80", undefined],
    ["${WEB_PORT:-8080}:80", undefined, "${WEB_PORT:-8080}", "80", undefined],
    ["${BIND:-127.0.0.1}:${WEB_PORT:-8080}:80/tcp", "${BIND:-127.0.0.1}", "${WEB_PORT:-8080}", "80", "tcp"],
  ];
  for (const [spec, ip, host, container, proto] of cases) {
    const s = splitShortSpec(spec);
    assert.equal([s.hostIp, s.hostText, s.container, s.protocol], [ip, host, container, proto], spec);
  }
});

test("host port text: fixed, range, variable forms, ephemeral and what init cannot read", () => {
  assert.equal(parseHostPort("8080"), { kind: "fixed", port: 8080 });
  assert.equal(parseHostPort("8080-8082"), { kind: "range", from: 8080, to: 8082 });
  assert.equal(parseHostPort("${A:-8080}"), { kind: "var", name: "A", op: ":-", default: 8080 });
  assert.equal(parseHostPort("${A-8080}"), { kind: "var", name: "A", op: "-", default: 8080 });
  assert.equal(parseHostPort("${A}"), { kind: "var", name: "A" });
  assert.equal(parseHostPort("$A"), { kind: "var", name: "A" });
  assert.equal(parseHostPort("${A:?set A}"), { kind: "var", name: "A", op: ":?" });
  assert.equal(parseHostPort(""), { kind: "ephemeral" });
  assert.equal(parseHostPort("${A}-${B}"), { kind: "unknown", text: "${A}-${B}" });
  assert.equal(parseHostPort("$A$B"), { kind: "unknown", text: "$A$B" });
});

test("interpolation scan: $$ escapes, nested defaults, bare names", () => {
  assert.equal(scanRefs("$$HOME and $$$X").map((r) => r.name), ["X"]);
  assert.equal(scanRefs("${A:-${B:-x}}/$C").map((r) => [r.name, r.op, r.arg]), [["A", ":-", "${B:-x}"], ["C", undefined, undefined]]);
  assert.equal(scanRefs("${unterminated"), []);
});

test("long-form ports are read, and host_ip and protocol are kept in the description", () => {
  const scan = scanCompose("services:\n  a:\n    ports:\n      - target: 80\n        published: 8080\n        host_ip: 127.0.0.1\n        protocol: udp\n      - target: 81\n      - { target: 82, published: '${X:-9}' }\n", "c.yml");
  const [p0, p1, p2] = scan.services[0]!.ports;
  assert.equal([p0!.host, p0!.hostIp, p0!.protocol, p0!.container, p0!.pos], [{ kind: "fixed", port: 8080 }, "127.0.0.1", "udp", "80", { line: 5, col: 20 }]);
  assert.equal(p1!.host, { kind: "ephemeral" });
  assert.equal(p2!.host, { kind: "var", name: "X", op: ":-", default: 9 });
});

test("the rewrite keeps CRLF line ends, flow collections valid, and a shared anchor rewritten once", () => {
  const crlf = 'services:\r\n  web:\r\n    ports:\r\n      - "8080:80" # c\r\n';
  const r = rewriteComposePorts(crlf, "c.yml", new Map([[8080, "W"]]));
  assert.is(r.text, 'services:\r\n  web:\r\n    ports:\r\n      - "${W:-8080}:80" # c\r\n');
  const flow = "services:\n  a: { image: x, ports: [8080:80, { target: 81, published: 8081 }] }\n";
  const f = rewriteComposePorts(flow, "c.yml", new Map([[8080, "A"], [8081, "B"]]));
  assert.is(f.text, 'services:\n  a: { image: x, ports: ["${A:-8080}:80", { target: 81, published: "${B:-8081}" }] }\n');
  const anchored = "x-ports: &p\n  - 8080:80\nservices:\n  a:\n    ports: *p\n  b:\n    ports: *p\n";
  const a = rewriteComposePorts(anchored, "c.yml", new Map([[8080, "A"]]));
  assert.is(a.text, "x-ports: &p\n  - ${A:-8080}:80\nservices:\n  a:\n    ports: *p\n  b:\n    ports: *p\n");
  assert.is(a.changes.length, 1);
});

test("secret-looking names: suffixes and segments, not look-alikes", () => {
  for (const n of ["API_KEY", "GITHUB_TOKEN", "DB_PASSWORD", "DB_PASS", "SECRET_KEY_BASE", "STRIPE_SECRET", "AWS_SECRET_ACCESS_KEY", "SENTRY_DSN", "password"]) assert.ok(isSecretName(n), n);
  for (const n of ["KEYBOARD", "TOKEN_TTL", "LOG_LEVEL", "PASSTHROUGH", "DATABASE_URL", "MONKEY_COUNT"]) assert.not.ok(isSecretName(n), n);
});

test("project names and kinfra port names", () => {
  assert.is(normaliseProjectName("@acme/Shop_Front"), "shop_front");
  assert.is(normaliseProjectName("My Cool.App!"), "my-cool-app");
  assert.is(normaliseProjectName("--x--"), "x");
  assert.is(normaliseProjectName("日本"), "");
  assert.is(portVarName("my-app", "web"), "MY_APP_WEB_PORT");
  assert.is(portVarName("shop", "api.v2", "443"), "SHOP_API_V2_PORT_443");
  assert.is(portVarName("3d", "web"), "_3D_WEB_PORT");
});

test("project name: .devops-ai/project.md, then pyproject, then package.json, then the directory", () => {
  const all = {
    ".devops-ai/project.md": "# P\n**Name:** From-Md\n",
    "pyproject.toml": '[project]\nname = "from-py"\n',
    "package.json": '{"name":"from-pkg"}',
  };
  const name = (files: Record<string, string>) => planInit(memReader(files), { dirName: "From Dir", schemaRef: SCHEMA }).detection.project;
  assert.equal(name(all), { name: "from-md", origin: ".devops-ai/project.md" });
  const { [".devops-ai/project.md"]: _md, ...noMd } = all;
  assert.equal(name(noMd), { name: "from-py", origin: "pyproject.toml" });
  assert.equal(name({ "package.json": all["package.json"] }), { name: "from-pkg", origin: "package.json" });
  assert.equal(name({ "package.json": "{not json" }), { name: "from-dir", origin: "directory" });
});

test("the chosen stride keeps every pair of ports apart in every slot, and no smaller candidate does", () => {
  const meet = (a: { base: number; stride: number }, b: { base: number; stride: number }, slots: number) => {
    for (let i = 0; i <= slots; i++) for (let j = 0; j <= slots; j++) if (a.base + i * a.stride === b.base + j * b.stride) return true;
    return false;
  };
  const cases: { bases: number[]; existing: Record<string, { base: number; stride: number }> }[] = [
    { bases: [8080, 8090], existing: {} },
    { bases: [8000, 9000], existing: {} },
    { bases: [3000], existing: { WEB: { base: 3100, stride: 1 } } },
    { bases: [8080, 8443, 3000, 9229, 5432], existing: {} },
  ];
  for (const c of cases) {
    const { stride, clash } = chooseStride(c.existing, c.bases, 100);
    assert.is(clash, undefined, JSON.stringify(c));
    const ports = [...c.bases.map((b) => ({ base: b, stride })), ...Object.values(c.existing)];
    for (let i = 0; i < ports.length; i++) for (let j = i + 1; j < ports.length; j++) assert.not.ok(meet(ports[i]!, ports[j]!, 100), `${JSON.stringify(ports[i])} meets ${JSON.stringify(ports[j])}`);
    for (const smaller of STRIDES.filter((s) => s < stride)) {
      const ps = [...c.bases.map((b) => ({ base: b, stride: smaller })), ...Object.values(c.existing)];
      let any = false;
      for (let i = 0; i < c.bases.length; i++) for (let j = i + 1; j < ps.length; j++) any ||= meet(ps[i]!, ps[j]!, 100);
      assert.ok(any, `stride ${smaller} would have worked for ${JSON.stringify(c)}`);
    }
  }
  // A kinfra port (stride 1) that covers the new base: no stride helps, and init says so.
  assert.ok(chooseStride({ A: { base: 8000, stride: 1 } }, [8010], 100).clash);
});

test("#:schema points inside the tree relatively, elsewhere with a file:// URL", () => {
  assert.is(schemaRef({ configDir: "/w/repo", schemaFile: "/w/repo/node_modules/sbx/schemas/infra.schema.json" }), "./node_modules/sbx/schemas/infra.schema.json");
  assert.is(schemaRef({ configDir: "/w/repo", schemaFile: "/usr/lib/node_modules/sbx/schemas/infra.schema.json" }), "file:///usr/lib/node_modules/sbx/schemas/infra.schema.json");
});

test("example env files: comments, export, quotes, inline comments", () => {
  const e = parseEnvExample('# c\nA=1\nexport B="x # not a comment"\nC=plain # comment\n  D=\nnot a line\n');
  assert.equal(e.map((x) => [x.name, x.value, x.line]), [["A", "1", 2], ["B", "x # not a comment", 3], ["C", "plain", 4], ["D", "", 5]]);
});

const ports = [{ table: ["sandbox", "ports"], intro: [], entries: [{ key: "NEW", value: "{ base = 1, stride = 10 }" }] }];

test("merge: keys go at the end of their [table], before the comments of the next one", () => {
  const text = '[sandbox.ports]\nA = 1 # mine\n\n# next\n[sandbox.env]\nX = "y"\n';
  const m = mergeToml("infra.toml", text, ports);
  assert.is(m.text, '[sandbox.ports]\nA = 1 # mine\n# added by sbx init\nNEW = { base = 1, stride = 10 }\n\n# next\n[sandbox.env]\nX = "y"\n');
  assert.equal(m.added, ["sandbox.ports.NEW"]);
});

test("merge: dotted-key tables grow with dotted keys; missing tables are appended; nothing missing means no change", () => {
  const dotted = '[sandbox]\nports.A = 1\nbackend = "compose"\n';
  assert.is(mergeToml("infra.toml", dotted, ports).text, '[sandbox]\nports.A = 1\n# added by sbx init\nports.NEW = { base = 1, stride = 10 }\nbackend = "compose"\n');
  const none = '[project]\nname = "x"';
  assert.is(mergeToml("infra.toml", none, ports).text, '[project]\nname = "x"\n\n# added by sbx init\n[sandbox.ports]\nNEW = { base = 1, stride = 10 }\n');
  const full = "[sandbox.ports]\nNEW = 5\n";
  const same = mergeToml("infra.toml", full, ports);
  assert.is(same.text, full);
  assert.equal(same.added, []);
});

test("merge: an inline table is left alone with a located warning naming the lines to add", () => {
  const text = '[project]\nname = "x"\n[sandbox]\nports = { A = 1 }\n';
  const m = mergeToml("infra.toml", text, ports);
  assert.is(m.text, text);
  assert.match(formatDiags(m.diags), "infra.toml:4:1: warning: Cannot add to [sandbox.ports]");
  assert.match(formatDiags(m.diags), "NEW = { base = 1, stride = 10 }");
});

test("merge: CRLF files get CRLF lines, and a BOM stays first", () => {
  const m = mergeToml("infra.toml", "\uFEFF[sandbox.ports]\r\nA = 1\r\n", ports);
  assert.is(m.text, "\uFEFF[sandbox.ports]\r\nA = 1\r\n# added by sbx init\r\nNEW = { base = 1, stride = 10 }\r\n");
});

test("a secret written in the compose file is reported by name, never by value", () => {
  const plan = planInit(memReader({ "compose.yaml": "services:\n  db:\n    image: x\n    environment:\n      POSTGRES_PASSWORD: hunter2-canary\n      - bad\n" }), { dirName: "d", schemaRef: SCHEMA });
  const ok = planInit(memReader({ "compose.yaml": "services:\n  db:\n    image: x\n    environment:\n      POSTGRES_PASSWORD: hunter2-canary\n      LOG: x\n" }), { dirName: "d", schemaRef: SCHEMA });
  assert.match(formatDiags(plan.gaps), "Invalid compose file");
  const gaps = formatDiags(ok.gaps);
  assert.match(gaps, "compose.yaml:5:26: warning: Secret written in the compose file");
  assert.not.match(gaps + ok.infraToml.text, "hunter2-canary");
});

test("--health-endpoint wins over what the compose file says; a route in the sources is a guess when several services publish ports", () => {
  const files = {
    "compose.yaml": 'services:\n  a:\n    ports: ["8080:80"]\n    healthcheck:\n      test: ["CMD", "curl", "-f", "http://localhost:80/up"]\n  b:\n    ports: ["9090:90"]\n',
    "src/app.ts": 'app.get("/healthz", ok);\n',
  };
  const flag = planInit(memReader(files), { dirName: "d", schemaRef: SCHEMA, healthEndpoint: "ready" });
  assert.match(flag.infraToml.text, '[sandbox.health]\nendpoint = "/ready" # --health-endpoint\nport_var = "D_A_PORT"\n');
  const hc = planInit(memReader(files), { dirName: "d", schemaRef: SCHEMA });
  assert.match(hc.infraToml.text, '[sandbox.health]\nendpoint = "/up" # services.a.healthcheck (compose.yaml:5)\nport_var = "D_A_PORT"\n');
  const { "compose.yaml": _c, ...srcOnly } = files;
  const guess = planInit(memReader({ ...srcOnly, "compose.yaml": 'services:\n  a:\n    ports: ["8080:80"]\n  b:\n    ports: ["9090:90"]\n' }), { dirName: "d", schemaRef: SCHEMA });
  assert.match(guess.infraToml.text, '# [sandbox.health]\n# endpoint = "/healthz" # route "/healthz" in src/app.ts:1; pick the port that serves it\n');
});

test("an override file is never the compose file init picks, and host networking is a located gap", () => {
  const only = planInit(memReader({ "docker-compose.override.yml": "services:\n  a:\n    image: x\n" }), { dirName: "d", schemaRef: SCHEMA });
  assert.is(only.detection.composeFile, undefined);
  assert.equal(only.detection.otherComposeFiles, ["docker-compose.override.yml"]);
  const host = planInit(memReader({ "compose.yaml": "services:\n  a:\n    image: x\n    network_mode: host\n" }), { dirName: "d", schemaRef: SCHEMA });
  assert.match(formatDiags(host.remaining), "compose.yaml:4:19: error: Host networking");
});

test.run();
