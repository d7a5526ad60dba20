// TOML as text for init: sections of entries with comments, quoting of keys and strings.

export interface TomlEntry {
  key: string;
  /** The value, already TOML-encoded (`"text"`, `8080`, `{ base = 8080, stride = 10 }`). */
  value: string;
  /** Trailing comment (without `#`). */
  comment?: string;
  /** Written as a comment: a candidate the user has to confirm. Never merged into an existing file. */
  commented?: boolean;
}

export interface TomlSection {
  /** Table path, e.g. ["sandbox", "ports"]. */
  table: string[];
  /** Comment lines (without `#`) above the header in a new file. */
  intro: string[];
  entries: TomlEntry[];
  /** The whole table is a commented-out suggestion. */
  commented?: boolean;
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** A TOML basic string. JSON's escapes are TOML's, except DEL, which TOML wants escaped. */
export function tomlString(s: string): string {
  return JSON.stringify(s).replace(/\u007f/g, "\\u007f");
}

export function tomlKey(k: string): string {
  return BARE_KEY.test(k) ? k : tomlString(k);
}

export function tomlDottedKey(path: readonly string[]): string {
  return path.map(tomlKey).join(".");
}

/** `key = value # comment`, with `keyPrefix` for dotted definitions (`ports.WEB = ...`). */
export function renderEntry(e: TomlEntry, keyPrefix: readonly string[] = []): string {
  const line = `${tomlDottedKey([...keyPrefix, e.key])} = ${e.value}${e.comment ? ` # ${e.comment}` : ""}`;
  return e.commented ? `# ${line}` : line;
}

export function renderHeader(table: readonly string[]): string {
  return `[${tomlDottedKey(table)}]`;
}

/** A whole section as lines: intro comments, header, entries (all commented when the section is). */
export function renderSection(s: TomlSection): string[] {
  const body = [renderHeader(s.table), ...s.entries.map((e) => renderEntry(e))];
  const lines = s.commented ? body.map((l) => (l.startsWith("#") ? l : `# ${l}`)) : body;
  return [...s.intro.map((c) => (c ? `# ${c}` : "#")), ...lines];
}
