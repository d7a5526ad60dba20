// secrets.env: resolves every reference in one pass and writes .env.secrets (0600).

import * as fs from "node:fs";
import { fingerprintAll, hostKey } from "../secrets/fingerprint.js";
import { readSecretsFile, writeSecretsFile } from "../secrets/file.js";
import { resolveAll } from "../secrets/resolve.js";
import { DriverError, type Driver, type DriverContext, type ResourceInput } from "./types.js";

/** Raw references live outside the plan (literals are values); the orchestrator passes them here. */
const rawRefs = new WeakMap<DriverContext, Record<string, string>>();

export function provideSecretRefs(ctx: DriverContext, refs: Record<string, string>): void {
  rawRefs.set(ctx, refs);
}

async function materialise(ctx: DriverContext, r: ResourceInput): Promise<Record<string, unknown>> {
  const refs = rawRefs.get(ctx) ?? {};
  const { values, errors } = await resolveAll(refs, { main: ctx.main, env: ctx.env });
  ctx.redactor.add(...values.values());
  if (errors.length) {
    const lines = errors.map((e) => `${e.name} (${e.display})\n    ${e.message}`);
    throw new DriverError(`${errors.length} secret${errors.length === 1 ? "" : "s"} could not be resolved`, lines, "provision");
  }
  writeSecretsFile(String(r.attrs.path), values);
  return { fingerprints: fingerprintAll(hostKey(ctx.home), values) };
}

export const secretsDriver = {
  type: "secrets",
  async read(ctx, prior) {
    const values = readSecretsFile(String(prior.attrs.path));
    if (!values) return { status: "missing", reason: "secrets file deleted outside sbx" };
    const fp = fingerprintAll(hostKey(ctx.home), values);
    if (JSON.stringify(fp) !== JSON.stringify(prior.output.fingerprints)) return { status: "drifted", reason: "secrets file edited outside sbx", action: "update" };
    if ((fs.statSync(String(prior.attrs.path)).mode & 0o777) !== 0o600) return { status: "drifted", reason: "secrets file mode is not 0600", action: "update" };
    return { status: "ok" };
  },
  create: materialise,
  async update(ctx, r) {
    return materialise(ctx, r);
  },
  async delete(_ctx, prior) {
    fs.rmSync(String(prior.attrs.path), { force: true });
  },
} satisfies Driver;
