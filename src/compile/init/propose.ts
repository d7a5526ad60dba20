// The infra.toml that `sbx init` proposes: sections built from detection and the port
// assignment, rendered as a new commented file or handed to the merge for a re-run.

import type { DeclaredPort, PortAssignment } from "./assign.js";
import { renderSection, tomlString, type TomlEntry, type TomlSection } from "./toml-text.js";
import type { Detection, HealthCandidate, PortUse } from "./types.js";

/** What an existing infra.toml already defines, as far as the proposal cares. */
export interface ExistingTables {
  projectName?: string;
  composeFile?: string;
  ports: Record<string, DeclaredPort>;
  env: readonly string[];
  secrets: readonly string[];
  files: readonly string[];
  hasHealth: boolean;
}

export interface ProposeInput {
  det: Detection;
  ports: PortAssignment;
  /** Set on a re-run: only what is missing is proposed, and no commented candidates. */
  existing?: ExistingTables;
}

export interface ResolvedHealth {
  endpoint: string;
  portVar?: string;
  /** False when init could not tell which port serves it: proposed as a comment. */
  certain: boolean;
  evidence: string;
}

function varOf(u: PortUse, a: PortAssignment): string | undefined {
  if (u.host.kind === "fixed") return a.varByPort.get(u.host.port);
  if (u.host.kind === "var") return u.host.name;
  return undefined;
}

/** Pick the health endpoint and its port variable: a compose healthcheck is certain, a flag or a route literal needs one obvious port. */
export function resolveHealth(det: Detection, a: PortAssignment): ResolvedHealth | undefined {
  const services = det.compose?.services ?? [];
  const published = det.compose
    ? services.map((s) => ({ vars: s.ports.map((u) => varOf(u, a)).filter((v): v is string => v !== undefined) })).filter((x) => x.vars.length)
    : a.declare.map((d) => ({ vars: [d.name] }));
  const pick = (c: HealthCandidate): ResolvedHealth => {
    if (c.origin === "healthcheck") {
      const svc = services.find((s) => s.name === c.service);
      const use = svc?.ports.find((u) => u.container === String(c.containerPort) && (u.protocol ?? "tcp") === "tcp" && varOf(u, a));
      if (use) return { endpoint: c.endpoint, portVar: varOf(use, a)!, certain: true, evidence: c.evidence };
      return { endpoint: c.endpoint, certain: false, evidence: `${c.evidence}; container port ${c.containerPort} is not published` };
    }
    const only = published.length === 1 ? published[0]!.vars[0] : undefined;
    const first = published[0]?.vars[0];
    if (c.origin === "flag" && first) return { endpoint: c.endpoint, portVar: only ?? first, certain: true, evidence: c.evidence };
    return { endpoint: c.endpoint, ...(first ? { portVar: only ?? first } : {}), certain: only !== undefined, evidence: only ? c.evidence : `${c.evidence}; pick the port that serves it` };
  };
  const order: HealthCandidate["origin"][] = ["flag", "healthcheck", "source"];
  const ranked = [...det.health].sort((x, y) => order.indexOf(x.origin) - order.indexOf(y.origin));
  const resolved = ranked.map(pick);
  return resolved.find((r) => r.certain && r.portVar) ?? resolved[0];
}

/** The sections of the proposal, in kinfra's table order. */
export function proposeSections(input: ProposeInput): TomlSection[] {
  const { det, ports, existing } = input;
  const rerun = existing !== undefined;
  const sections: TomlSection[] = [];
  const compose = det.composeFile;

  sections.push({ table: ["project"], intro: [`Name from ${det.project.origin}; lowercase letters, digits, - and _.`], entries: [{ key: "name", value: tomlString(det.project.name) }] });

  const sandbox: TomlEntry[] = [];
  if (!rerun) sandbox.push({ key: "backend", value: tomlString(compose ? "compose" : "process") });
  if (compose && (!rerun || (existing.composeFile === undefined && compose !== "docker-compose.yml"))) sandbox.push({ key: "compose_file", value: tomlString(compose) });
  sections.push({ table: ["sandbox"], intro: [], entries: sandbox });

  sections.push({
    table: ["sandbox", "ports"],
    intro: [
      "Host ports. In slot N a port is base + N*stride; slot 0 (the main checkout) keeps base.",
      ...(compose ? [`${compose} reads each as \${NAME:-base}, so plain \`docker compose up\` still works.`] : []),
      `One stride for all ports, chosen so that no two of them meet in any slot.`,
    ],
    entries: ports.declare.map((d) => ({
      key: d.name,
      value: `{ base = ${d.base}, stride = ${d.stride} }`,
      comment: [d.uses.join(", "), d.note].filter(Boolean).join("; "),
    })),
  });

  if (!rerun || !existing.hasHealth) {
    const h = resolveHealth(det, ports);
    const entries: TomlEntry[] = h ? [{ key: "endpoint", value: tomlString(h.endpoint), comment: h.evidence }] : [{ key: "endpoint", value: tomlString("/health"), comment: "no health endpoint found: set the path that answers 200" }];
    const portVar = h?.portVar ?? ports.declare[0]?.name;
    if (portVar) entries.push({ key: "port_var", value: tomlString(portVar) });
    const certain = h?.certain === true && h.portVar !== undefined;
    if (certain || !rerun)
      sections.push({
        table: ["sandbox", "health"],
        intro: certain ? ["sbx apply waits until GET http://localhost:<port_var><endpoint> answers 200."] : ["Uncomment once you know the path that answers 200, so sbx apply waits for the app."],
        entries,
        ...(certain ? {} : { commented: true }),
      });
  }

  const known = new Set([...(existing?.env ?? []), ...(existing?.secrets ?? []), ...Object.keys(existing?.ports ?? {}), ...ports.declare.map((d) => d.name)]);
  sections.push({
    table: ["sandbox", "env"],
    intro: [`Environment for the ${compose ? "containers" : "processes"} (written to .env.sandbox). Values are the defaults found; a commented one had none.`],
    entries: det.env
      .filter((e) => !known.has(e.name))
      .filter((e) => !rerun || e.value !== undefined)
      .map((e) => ({ key: e.name, value: tomlString(e.value ?? ""), comment: e.value === undefined ? `${e.source}, no default` : e.source, ...(e.value === undefined ? { commented: true } : {}) })),
  });
  sections.push({
    table: ["sandbox", "secrets"],
    intro: ["References, never values: $NAME reads your environment at apply; op://vault/item/field reads 1Password."],
    entries: det.secrets.filter((s) => !known.has(s.name)).map((s) => ({ key: s.name, value: tomlString(`$${s.name}`), comment: s.source })),
  });
  const files = new Set(existing?.files ?? []);
  sections.push({
    table: ["sandbox", "files"],
    intro: ['Git-ignored files each worktree needs, copied from the main checkout: "<in the worktree>" = "<in the main checkout>".'],
    entries: det.files
      .filter((f) => !files.has(f.dest))
      .filter((f) => !rerun || f.source !== undefined)
      .map((f) => ({ key: f.dest, value: tomlString(f.source ?? f.dest), comment: f.source ? f.reason : `${f.reason}; missing here, or a directory ([sandbox.files] copies files)`, ...(f.source ? {} : { commented: true }) })),
  });

  if (!compose && !rerun) {
    const port = ports.declare[0]?.name;
    sections.push({
      table: ["services", "app"],
      intro: ["No compose file found: describe the local processes to run. For example:"],
      entries: [
        { key: "command", value: tomlString(det.command ?? "npm run dev"), ...(det.command ? { comment: `from ${det.commandSource}` } : {}) },
        { key: "port", value: tomlString(port ?? "APP_PORT"), ...(port ? {} : { comment: "declare APP_PORT = { base = 3000, stride = 10 } under [sandbox.ports]" }) },
        { key: "ready", value: `{ type = "http", path = "/" }` },
      ],
      commented: true,
    });
  }
  return sections.filter((s) => s.entries.length > 0);
}

/** A new infra.toml: the `#:schema` line, a header, then each non-empty section. */
export function renderProposal(schemaRef: string, det: Detection, sections: readonly TomlSection[]): string {
  const lines = [
    `#:schema ${schemaRef}`,
    `# Sandbox configuration for sbx, proposed by \`sbx init\`${det.composeFile ? ` from ${det.composeFile}` : ""}.`,
    "# Every git worktree gets its own slot, ports, env files and containers.",
    "# Check it with `sbx validate`, preview with `sbx plan`, start with `sbx apply`.",
  ];
  for (const s of sections) lines.push("", ...renderSection(s));
  return `${lines.join("\n")}\n`;
}
