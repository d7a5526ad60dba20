// The pure core of `sbx init`: detection, proposal, compose rewrite and gap check.

export { planInit, schemaRef, SCHEMA_LINE, type InitOptions, type InitPlan, type InfraTomlPlan, type ComposePlan } from "./plan.js";
export { detect, parseEnvExample, COMPOSE_NAMES, EXAMPLE_SUFFIXES, type DetectOptions } from "./detect.js";
export { assignPorts, chooseStride, STRIDES, type PortAssignment, type PortDecl, type DeclaredPort, type ExistingConfig } from "./assign.js";
export { proposeSections, renderProposal, resolveHealth, type ExistingTables, type ProposeInput, type ResolvedHealth } from "./propose.js";
export { mergeToml, type MergeResult } from "./toml-merge.js";
export { rewriteComposePorts, portExpression, type PortChange, type ComposeRewrite } from "./rewrite-compose.js";
export { checkGaps, type CheckInput } from "./check.js";
export { readExisting, type ExistingInfra } from "./existing.js";
export { scanCompose } from "./compose-scan.js";
export { isSecretName, normaliseProjectName, portVarName } from "./names.js";
export type { InitReader, Detection, ComposeScan, PortUse, HostPort, EnvCandidate, SecretCandidate, FileCandidate, HealthCandidate } from "./types.js";
