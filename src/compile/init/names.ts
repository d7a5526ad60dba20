// Names init reasons about: secret-looking variables, ambient shell variables, the
// project name pattern and kinfra's port variable naming.

/** Last `_` segment (or whole name) that marks a secret: API_KEY, GITHUB_TOKEN, DB_PASSWORD. */
const SECRET_SUFFIX = /(^|_)(PASSWORD|PASSWD|PASS|SECRET|TOKEN|KEY|APIKEY|CREDENTIAL|CREDENTIALS|DSN)$/;
/** SECRET or PASSWORD anywhere as a segment: SECRET_KEY_BASE, PASSWORD_FILE. */
const SECRET_SEGMENT = /(^|_)(SECRET|PASSWORD)(_|$)/;

export function isSecretName(name: string): boolean {
  const n = name.toUpperCase();
  return SECRET_SUFFIX.test(n) || SECRET_SEGMENT.test(n);
}

/** Variables the shell or compose provide; never proposed as sandbox env. */
const AMBIENT = new Set(["HOME", "USER", "UID", "GID", "PWD", "SHELL", "PATH", "HOSTNAME", "TMPDIR", "LANG", "TERM", "DOCKER_HOST"]);

/** Variables sbx itself writes into .env.sandbox or the compose override. */
const SBX_OWNED = new Set(["COMPOSE_PROJECT_NAME", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_RESOURCE_ATTRIBUTES"]);

export function isAmbientOrOwned(name: string): boolean {
  return AMBIENT.has(name) || SBX_OWNED.has(name) || name.startsWith("COMPOSE_") || name.startsWith("XDG_");
}

/** The schema's project name pattern, narrowed to what compose accepts as a project name. */
export const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * Normalise a package or directory name into a project name: drop an npm scope,
 * lowercase, anything outside [a-z0-9_-] becomes `-`, no leading or repeated separators.
 * Returns "" when nothing usable is left.
 */
export function normaliseProjectName(raw: string): string {
  const unscoped = raw.replace(/^@[^/]+\//, "");
  return unscoped
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "-")
    .replace(/-{2,}/g, "-")
    .replace(/^[-_]+/, "")
    .replace(/[-_]+$/, "");
}

/** An environment-variable fragment: upper case, anything else becomes `_`. */
export function envFragment(raw: string): string {
  const s = raw
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/** kinfra's port variable name: `<PREFIX>_<SERVICE>_PORT` (plus a suffix for extra ports). */
export function portVarName(prefix: string, service: string, suffix?: string): string {
  const p = envFragment(prefix);
  const s = envFragment(service).replace(/^_/, "");
  const base = [p, s, "PORT"].filter(Boolean).join("_");
  return suffix ? `${base}_${envFragment(suffix).replace(/^_/, "")}` : base;
}
