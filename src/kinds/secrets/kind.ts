// secrets.env: the 0600 secrets file. The plan holds references and fingerprints, never values.

import type { KindSpec } from "../spec.js";

export interface SecretsAttrs {
  path: string;
  /** Name → reference as shown to users (`op://…`, `$VAR`, or "(literal, not shown)"). */
  refs: Record<string, string>;
  /** Name → HMAC fingerprint of the value, or "(known after apply)". */
  fingerprints?: Record<string, string>;
}

export const secretsSpec: KindSpec<SecretsAttrs> = {
  type: "secrets",
  description: "the secrets file (0600, in the state dir)",
  replaceOn: ["path"],
  restartsDependents: true,
  render: { refs: "map", fingerprints: "sensitive" },
  artefacts: (r) => [{ path: ".env.secrets.refs", content: Object.entries(r.attrs.refs).map(([k, v]) => `${k}=${v}`).join("\n") + "\n" }],
};
