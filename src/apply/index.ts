// What the CLI may use from the apply layer: the workflows and the output redactor.
// (The CLI never touches a driver or a secret resolver directly.)

export { instanceId, NoSuchDirectory, projectPaths } from "./context.js";
export { knownFailure } from "./failures.js";
export { sbxHome } from "./host.js";
export { openProject, findInstance, type Instance, type Project, type RunOptions } from "./project.js";
export { globalRedactor as outputRedactor } from "./secrets/redact.js";
export { supervise } from "./supervise.js";
export { applyProject, type ApplyOutcome, type ApplyRequest } from "./workflows/apply.js";
export type { Interaction } from "./workflows/common.js";
export { compileProject, firstSlot, loadProjectConfig, validateProject, writeArtefacts } from "./workflows/compile.js";
export { diffAgainstBase } from "./workflows/diff.js";
export { collect, destroyInstance, knownInstances, type DestroyOutcome } from "./workflows/destroy.js";
export { envOf, extendTtl, listInstances, logsOf, shellExports, statusOf, type StatusReport } from "./workflows/inspect.js";
export { expiredInstances, expireInstances, type ExpiredInstance } from "./workflows/expire.js";
export { recreateProject, type RecreateOutcome } from "./workflows/recreate.js";
export { profileCatalog, profileNameFor, showProfile, type Catalog, type CatalogEntry } from "./workflows/profiles.js";
export { drainEvents, EVENT_NAMES, type EventName } from "./events.js";
export { hostConfigFile, loadHostConfig } from "./host-config.js";
export type { Reachability } from "./reachability.js";
export type { ProgressEvent } from "../kinds/driver.js";
export { planApply, planDestroy, planLocked } from "./workflows/plan.js";
export { sshArgv, sshInto, type SshRequest } from "./workflows/ssh.js";
export { planInitAt, writeInit, type InitOutcome } from "./workflows/init.js";
export { startInstance, stopInstance, type LifecycleOutcome } from "./workflows/lifecycle.js";
export { addWorktree, type WorktreeAddOutcome } from "./workflows/worktree-add.js";
export { doneWorktree, type WorktreeDoneOutcome } from "./workflows/worktree-done.js";
export { listWorktrees, type WorktreeRow } from "./workflows/worktree-list.js";
export { claimOf } from "./project.js";
export { restoreSnapshot, showSnapshot, snapshotInstance, type RestoreOutcome, type SnapshotOutcome } from "./workflows/snapshot.js";
export { listSnapshots, type Manifest as SnapshotManifest } from "./snapshot/store.js";
export { createApiServer, startReaper } from "./serve/server.js";
export { ensureToken, TokenFileError } from "./serve/token.js";
export { openApiDocument } from "./serve/openapi.js";
