// `sbx init` as one pure call: detect, name the ports, rewrite the compose file, propose
// or merge infra.toml, and list the gaps before and after. The CLI prompts and writes.

import * as path from "node:path";
import { pathToFileURL } from "node:url";
import type { Diagnostic } from "../diagnostics.js";
import { assignPorts, type PortAssignment } from "./assign.js";
import { checkGaps } from "./check.js";
import { detect } from "./detect.js";
import { readExisting, type ExistingInfra } from "./existing.js";
import { proposeSections, renderProposal } from "./propose.js";
import { rewriteComposePorts, type PortChange } from "./rewrite-compose.js";
import { mergeToml } from "./toml-merge.js";
import type { Detection, InitReader } from "./types.js";

export interface InitOptions {
  /** Base name of the repository directory (last resort for the project name). */
  dirName: string;
  /** What the `#:schema` line of a new infra.toml points at; see schemaRef(). */
  schemaRef: string;
  /** `--health-endpoint`. */
  healthEndpoint?: string;
}

export interface InfraTomlPlan {
  /** Relative to the repository root: the existing file, else "infra.toml". */
  path: string;
  /** Current text; undefined when the file does not exist yet. */
  before?: string;
  text: string;
  changed: boolean;
  /** Dotted keys added to an existing file (empty for a new file). */
  added: string[];
}

export interface ComposePlan {
  path: string;
  before: string;
  text: string;
  changed: boolean;
  /** Where to keep the original: written once, before the first rewrite. */
  backupPath: string;
  /** A backup from an earlier run exists: keep it (it holds the original), do not overwrite. */
  backupExists: boolean;
  changes: PortChange[];
}

export interface InitPlan {
  infraToml: InfraTomlPlan;
  /** Undefined when the repository has no (parseable) compose file. */
  compose?: ComposePlan;
  detection: Detection;
  ports: PortAssignment;
  /** Gaps in the files as they are now: what `--check` prints (exit 1 when any). */
  gaps: Diagnostic[];
  /** Gaps still there once infraToml and compose are written. */
  remaining: Diagnostic[];
  /** Problems planning: an unreadable infra.toml, a table init cannot add to, a port left alone. */
  diags: Diagnostic[];
}

const INFRA_NAMES = ["infra.toml", ".devops-ai/infra.toml"];
export const SCHEMA_LINE = /^\uFEFF?#:schema\s+\S+/;

/**
 * The `#:schema` target for a config in `configDir`: a relative path when the schema
 * is inside the same tree (a project-local install), else a file:// URL. Editors
 * (taplo, Even Better TOML) then find it offline.
 */
export function schemaRef(opts: { configDir: string; schemaFile: string }): string {
  const rel = path.relative(opts.configDir, opts.schemaFile);
  if (!rel.startsWith("..") && !path.isAbsolute(rel)) return `./${rel.split(path.sep).join("/")}`;
  return pathToFileURL(opts.schemaFile).href;
}

function understand(reader: InitReader, infraPath: string, infraText: string | undefined, opts: InitOptions): { det: Detection; existing?: ExistingInfra; ports: PortAssignment; diags: Diagnostic[] } {
  const diags: Diagnostic[] = [];
  let existing: ExistingInfra | undefined;
  if (infraText !== undefined) {
    const r = readExisting(infraPath, infraText);
    diags.push(...r.diags);
    existing = r.value;
  }
  const det = detect(reader, {
    dirName: opts.dirName,
    ...(existing?.tables.composeFile ? { composeFile: existing.tables.composeFile } : {}),
    declaredPorts: Object.keys(existing?.tables.ports ?? {}),
    ...(opts.healthEndpoint ? { healthEndpoint: opts.healthEndpoint } : {}),
  });
  const ports = assignPorts(det, existing?.config ?? { ports: {}, otherNames: [] });
  return { det, ...(existing ? { existing } : {}), ports, diags };
}

export function planInit(reader: InitReader, opts: InitOptions): InitPlan {
  const infraPath = INFRA_NAMES.find((n) => reader.read(n) !== undefined) ?? INFRA_NAMES[0]!;
  const infraBefore = reader.read(infraPath);
  const now = understand(reader, infraPath, infraBefore, opts);
  const { det, existing, ports } = now;
  const diags: Diagnostic[] = [...now.diags, ...ports.diags];
  const broken = infraBefore !== undefined && !existing; // unparseable: touch nothing

  let compose: ComposePlan | undefined;
  if (det.composeFile && det.compose?.ok) {
    const before = reader.read(det.composeFile) ?? "";
    const r = broken ? { text: before, changes: [], diags: [] } : rewriteComposePorts(before, det.composeFile, ports.varByPort);
    diags.push(...r.diags.filter((d) => !det.compose!.diags.includes(d)));
    const backupPath = `${det.composeFile}.bak`;
    compose = { path: det.composeFile, before, text: r.text, changed: r.text !== before, backupPath, backupExists: reader.read(backupPath) !== undefined, changes: r.changes };
  }

  let infraToml: InfraTomlPlan;
  if (broken) infraToml = { path: infraPath, before: infraBefore, text: infraBefore, changed: false, added: [] };
  else if (existing && infraBefore !== undefined) {
    const m = mergeToml(infraPath, infraBefore, proposeSections({ det, ports, existing: existing.tables }));
    diags.push(...m.diags);
    let text = m.text;
    const added = [...m.added];
    if (!SCHEMA_LINE.test(text)) {
      const bom = text.startsWith("\uFEFF") ? "\uFEFF" : "";
      text = `${bom}#:schema ${opts.schemaRef}${text.includes("\r\n") ? "\r\n" : "\n"}${text.slice(bom.length)}`;
      added.unshift("#:schema");
    }
    infraToml = { path: infraPath, before: infraBefore, text, changed: text !== infraBefore, added };
  } else infraToml = { path: infraPath, text: renderProposal(opts.schemaRef, det, proposeSections({ det, ports })), changed: true, added: [] };

  const gaps = checkGaps({ det, ...(existing ? { infra: existing } : {}), infraFile: infraPath, varByPort: ports.varByPort, stride: ports.stride });
  const overlay: InitReader = {
    read: (rel) => (rel === infraToml.path ? infraToml.text : compose && rel === compose.path ? compose.text : reader.read(rel)),
    list: () => reader.list(),
    isIgnored: (rel) => reader.isIgnored(rel),
  };
  const after = understand(overlay, infraToml.path, infraToml.text, opts);
  const remaining = checkGaps({ det: after.det, ...(after.existing ? { infra: after.existing } : {}), infraFile: infraToml.path, varByPort: after.ports.varByPort, stride: after.ports.stride });
  return { infraToml, ...(compose ? { compose } : {}), detection: det, ports, gaps, remaining, diags };
}
