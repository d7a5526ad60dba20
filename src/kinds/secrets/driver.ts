// Resolves every reference in one pass and writes .env.secrets (0600). At plan time it
// fingerprints what is cheap to resolve, so a rotated secret shows as a change.

import { fingerprintAll, hostKey } from "../../apply/secrets/fingerprint.js";
import { parseSecretsFile, renderSecretsFile } from "../../apply/secrets/file.js";
import { resolveAll } from "../../apply/secrets/resolve.js";
import { parseSecretRef } from "../../compile/secret-refs.js";
import { DriverError, type Driver, type DriverContext, type Planner } from "../driver.js";
import type { SecretsAttrs } from "./kind.js";

export const KNOWN_AFTER_APPLY = "(known after apply)";

async function materialise(ctx: DriverContext, attrs: SecretsAttrs) {
  const { values, errors } = await resolveAll(ctx.secretRefs, { main: ctx.main, env: ctx.env });
  ctx.redactor.add(...values.values());
  if (errors.length) {
    const lines = errors.map((e) => `${e.name} (${e.display})\n  ${e.message}`);
    throw new DriverError(`${errors.length} secret${errors.length === 1 ? "" : "s"} could not be resolved`, lines, "provision");
  }
  await ctx.target.writeFile(attrs.path, renderSecretsFile(values), 0o600);
  const fingerprints = fingerprintAll(hostKey(ctx.home), values);
  return { output: { fingerprints }, attrs: { fingerprints } };
}

/**
 * Fingerprints of the references in `refs` at plan time (cheap ones resolved; op:// reuses the
 * last fingerprint unless --refresh-secrets), and which of them changed since `priorFp`.
 */
export async function planFingerprints(
  ctx: DriverContext,
  refs: Readonly<Record<string, string>>,
  priorRefs: Readonly<Record<string, string>>,
  priorFp: Readonly<Record<string, string>>,
): Promise<{ fingerprints: Record<string, string>; rotated: string[] }> {
  const cheap: Record<string, string> = {};
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(refs)) {
    const ref = parseSecretRef(name, raw).ref;
    if (!ref) continue;
    // op:// is slow and may prompt: reuse the last fingerprint unless asked to refresh.
    if (ref.scheme === "op" && !ctx.refreshSecrets) out[name] = priorRefs[name] === ref.display && priorFp[name] ? priorFp[name]! : KNOWN_AFTER_APPLY;
    else cheap[name] = raw;
  }
  if (Object.keys(cheap).length) {
    const { values, errors } = await resolveAll(cheap, { main: ctx.main, env: ctx.env });
    ctx.redactor.add(...values.values());
    Object.assign(out, fingerprintAll(hostKey(ctx.home), values));
    for (const e of errors) out[e.name] = KNOWN_AFTER_APPLY;
  }
  const fingerprints = Object.fromEntries(Object.entries(out).sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  const rotated = Object.keys(fingerprints).filter((k) => priorFp[k] && fingerprints[k] !== priorFp[k] && fingerprints[k] !== KNOWN_AFTER_APPLY);
  return { fingerprints, rotated };
}

export const secretsDriver: Driver<SecretsAttrs> & Planner<SecretsAttrs> = {
  type: "secrets",
  async plan(ctx, desired, prior) {
    const { fingerprints, rotated } = await planFingerprints(ctx, ctx.secretRefs, prior?.attrs.refs ?? {}, (prior?.output.fingerprints ?? {}) as Record<string, string>);
    return { attrs: { ...desired.attrs, fingerprints }, reasons: rotated.length ? [`secret value changed: ${rotated.join(", ")}`] : [] };
  },
  async read(ctx, prior) {
    const data = await ctx.target.readFile(prior.attrs.path);
    const values = data === undefined ? undefined : parseSecretsFile(data.toString("utf8"));
    if (!values) return { status: "missing", reason: "secrets file deleted outside sbx" };
    const fp = fingerprintAll(hostKey(ctx.home), values);
    if (JSON.stringify(fp) !== JSON.stringify(prior.output.fingerprints)) return { status: "drifted", reason: "secrets file edited outside sbx", action: "update" };
    const st = await ctx.target.stat(prior.attrs.path);
    if (st && st.mode !== 0o600) return { status: "drifted", reason: "secrets file mode is not 0600", action: "update" };
    return { status: "ok" };
  },
  create: (ctx, r) => materialise(ctx, r.attrs),
  update: (ctx, r) => materialise(ctx, r.attrs),
  async delete(ctx, prior) {
    await ctx.target.remove(prior.attrs.path);
  },
};
