// The kubernetes backend (src/compile/backends/kubernetes.ts) on in-memory projects: what
// selects it, the resources it makes from compose and agent inputs (one per object, attributes
// = the manifest plus its context, dependencies), its schema check and its compile artefact.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseAllDocuments } from "yaml";
import { backendOf, buildGraph, placementOf } from "../../../src/compile/backends/index.js";
import type { BuildResult } from "../../../src/compile/backends/types.js";
import { loadConfig, type ResolvedConfig } from "../../../src/compile/config.js";
import type { Diagnostic } from "../../../src/compile/diagnostics.js";

const CANARY = "CANARY-backend-unit-51d2";

function project(files: Record<string, string>): { config?: ResolvedConfig; diags: Diagnostic[] } {
  const reader = { read: (p: string) => files[p.replace(/^\/repo\//, "")] };
  return loadConfig({ paths: { cwd: "/repo", worktree: "/repo", main: "/repo" }, reader, sets: [] });
}

function build(files: Record<string, string>, slot = 1): BuildResult {
  const { config, diags } = project(files);
  assert.ok(config, JSON.stringify(diags));
  const reader = { read: (p: string) => files[p.replace(/^\/repo\//, "")] };
  return buildGraph(config!, { slot, configRel: "", instanceId: "kb-0a1b2c3d", roots: { worktree: "/repo", main: "/repo", state: "/state" }, sourceDir: "/repo", reader });
}

const COMPOSE = `services:
  web:
    image: nginx:1.27
    ports: ["\${WEB_PORT:-8080}:80"]
    environment:
      TOKEN: \${API_TOKEN}
    volumes: ["data:/data"]
  db:
    image: postgres:16
    volumes: ["pg:/var/lib/postgresql/data"]
volumes: { data: {}, pg: {} }
`;

const INFRA = `[project]\nname = "kb"\n\n[sandbox.ports]\nWEB_PORT = { base = 18080, stride = 10 }\n\n[sandbox.secrets]\nAPI_TOKEN = "${CANARY}"\n`;
const PROFILE = (placement: string) => `id = "cluster"\nversion = 1\nplacement = "${placement}"\n\n[defaults.agent.defaults]\nmemory = 2048\nvcpus = 2\npersist = true\n\n[defaults.agent.backend.kubernetes]\nstorage_class = "local-path"\n`;

test("what selects the backend: a k8s:// placement, agent.toml's type, or backend = kubernetes; an explicit backend wins", () => {
  const cases: [Record<string, string>, string][] = [
    [{ "infra.toml": `profile = "c"\n${INFRA}`, "profiles/c.toml": PROFILE("k8s://kind-sbx") }, "kubernetes"],
    [{ "infra.toml": INFRA, "agent.toml": `[backend]\ntype = "kubernetes"\n` }, "kubernetes"],
    [{ "infra.toml": INFRA.replace("[sandbox.ports]", '[sandbox]\nbackend = "kubernetes"\n\n[sandbox.ports]') }, "kubernetes"],
    [{ "infra.toml": `profile = "c"\n${INFRA.replace("[sandbox.ports]", '[sandbox]\nbackend = "compose"\n\n[sandbox.ports]')}`, "profiles/c.toml": PROFILE("k8s://kind-sbx") }, "compose"],
    [{ "infra.toml": `profile = "c"\n${INFRA}`, "profiles/c.toml": PROFILE("local") }, "compose"],
    [{ "infra.toml": INFRA }, "compose"],
  ];
  for (const [files, want] of cases) assert.is(backendOf(project(files).config!), want, JSON.stringify(files));
  assert.equal(placementOf(project({ "infra.toml": `profile = "c"\n${INFRA}`, "profiles/c.toml": PROFILE("k8s://kind-sbx/team") }).config!), { kind: "k8s", context: "kind-sbx", namespace: "team" });
});

test("compose services in the sandbox's own namespace: one resource per object, the manifest as attributes, dependencies, no local secrets file", async () => {
  const built = build({ "infra.toml": `profile = "c"\n${INFRA}`, "profiles/c.toml": PROFILE("k8s://kind-sbx"), "docker-compose.yml": COMPOSE });
  assert.equal(built.diags, []);
  const by = new Map(built.resources.map((r) => [r.address, r]));
  assert.equal(
    built.resources.map((r) => `${r.address} ${r.type}`),
    [
      "file.env_sandbox file",
      "k8s.configmap k8s.configmap",
      "k8s.deployment.db k8s.deployment",
      "k8s.deployment.web k8s.deployment",
      "k8s.namespace k8s.namespace",
      "k8s.pvc.data k8s.pvc",
      "k8s.pvc.pg k8s.pvc",
      "k8s.ready k8s.ready",
      "k8s.secret k8s.secret",
      "k8s.service.web k8s.service",
      "slot.this slot",
    ],
  );
  const web = by.get("k8s.deployment.web")!;
  assert.is(web.attrs.context, "kind-sbx");
  assert.is(web.attrs.kind, "Deployment");
  assert.is((web.attrs.metadata as { namespace: string }).namespace, "sbx-kb-0a1b2c3d");
  assert.equal(web.dependsOn, ["slot.this", "k8s.namespace", "k8s.configmap", "k8s.secret", "k8s.pvc.data"]);
  assert.equal(by.get("k8s.deployment.db")!.dependsOn, ["slot.this", "k8s.namespace", "k8s.configmap", "k8s.secret", "k8s.pvc.pg"]);
  assert.equal(by.get("k8s.service.web")!.dependsOn, ["slot.this", "k8s.namespace"]);
  assert.equal(by.get("k8s.namespace")!.dependsOn, ["slot.this"]);
  assert.equal(by.get("k8s.ready")!.dependsOn, ["k8s.deployment.db", "k8s.deployment.web"]);
  assert.equal(by.get("k8s.ready")!.attrs.timeout, 180);
  const secret = by.get("k8s.secret")!.attrs;
  assert.equal(secret.stringData, { API_TOKEN: "(sensitive value, set at apply)" });
  assert.equal(secret.refs, { API_TOKEN: "(literal, not shown)" });
  assert.equal((by.get("k8s.pvc.data")!.attrs.spec as { storageClassName: string }).storageClassName, "local-path");
  assert.not.ok(JSON.stringify(built).includes(CANARY), "no secret value in any resource");
  assert.equal(built.urls.map((u) => u.name), ["WEB_PORT"]);
  assert.match(built.urls[0]!.url, "localhost:18090 (kubectl --context kind-sbx --namespace sbx-kb-0a1b2c3d port-forward service/web 18090:80)");
  assert.equal(await built.check!(), [], "every manifest passes the Kubernetes API schema");
  const yaml = built.artefacts!.find((a) => a.path === "kubernetes.yaml")!.content;
  assert.equal(parseAllDocuments(yaml).map((d) => (d.toJS() as { kind: string }).kind), ["Namespace", "ConfigMap", "Secret", "PersistentVolumeClaim", "PersistentVolumeClaim", "Service", "Deployment", "Deployment"]);
  assert.not.ok(yaml.includes(CANARY));
});

test("the agent in a shared namespace: no namespace object, the Pod reads the ConfigMap, the Secret and its workspace claim", async () => {
  const built = build({
    "infra.toml": INFRA,
    "agent.toml": `[defaults]\nmemory = 4096\nvcpus = 2\npersist = true\n\n[backend]\ntype = "kubernetes"\n\n[backend.kubernetes]\ncontext = "k3d-dev"\nnamespace = "agents"\nimage = "ghcr.io/acme/agent:1"\n`,
  });
  assert.equal(built.diags, []);
  const by = new Map(built.resources.map((r) => [r.address, r]));
  assert.not.ok(by.has("k8s.namespace"), "a shared namespace is never an object of the plan");
  assert.equal(by.get("k8s.pod.agent")!.dependsOn, ["slot.this", "k8s.configmap", "k8s.secret", "k8s.pvc.workspace"]);
  const md = by.get("k8s.pod.agent")!.attrs.metadata as { name: string; namespace: string };
  assert.equal([md.name, md.namespace], ["kb-0a1b2c3d-agent", "agents"]);
  const res = ((by.get("k8s.pod.agent")!.attrs.spec as { containers: { resources: unknown }[] }).containers[0]!.resources);
  assert.equal(res, { limits: { cpu: "2", memory: "4Gi" }, requests: { cpu: "2", memory: "4Gi" } });
  assert.equal(by.get("k8s.ready")!.attrs.workloads, [{ address: "k8s.pod.agent", kind: "Pod", namespace: "agents", name: "kb-0a1b2c3d-agent" }]);
  assert.equal(await built.check!(), []);
});

test("mistakes are located diagnostics: conflicting contexts, a placement another backend cannot run at, another agent backend, health checks that cannot run", () => {
  const conflict = build({ "infra.toml": `profile = "c"\n${INFRA}`, "profiles/c.toml": PROFILE("k8s://kind-sbx"), "agent.toml": `[backend.kubernetes]\ncontext = "other"\n`, "docker-compose.yml": COMPOSE });
  assert.equal(conflict.diags.map((d) => [d.summary, d.range?.file, d.range?.start.line]), [["Conflicting Kubernetes context", "agent.toml", 2]]);
  const other = build({ "infra.toml": `profile = "c"\n${INFRA.replace("[sandbox.ports]", '[sandbox]\nbackend = "process"\n\n[sandbox.ports]')}`, "profiles/c.toml": PROFILE("ssh://dev@box") });
  assert.equal(other.diags.map((d) => [d.summary, d.range?.file, d.range?.start.line]), [["Placement ssh:// does not fit the process backend", "profiles/c.toml", 3]]);
  const microvm = build({ "infra.toml": `profile = "c"\n${INFRA}`, "profiles/c.toml": PROFILE("k8s://kind-sbx"), "agent.toml": `[backend]\ntype = "microvm"\n`, "docker-compose.yml": COMPOSE });
  // agent.toml's [backend] type (priority 100) outranks the profile's placement (1000): the placement is the mistake.
  assert.equal(microvm.diags.filter((d) => d.severity === "error").map((d) => [d.summary, d.range?.file]), [["Placement k8s:// does not fit the microvm backend", "profiles/c.toml"]]);
  const health = build({ "infra.toml": `profile = "c"\n${INFRA}\n[sandbox.health]\nendpoint = "/"\nport_var = "WEB_PORT"\ntimeout = 30\n`, "profiles/c.toml": PROFILE("k8s://kind-sbx"), "docker-compose.yml": COMPOSE });
  assert.equal(health.diags.map((d) => [d.severity, d.summary]), [["warning", "[sandbox.health] checks are not run on Kubernetes"]]);
  assert.is(health.resources.find((r) => r.address === "k8s.ready")!.attrs.timeout, 30);
  assert.not.ok(health.resources.some((r) => r.type === "health"), "no local health gate");
});

test.run();
