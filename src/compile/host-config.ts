// $SBX_HOME/config.toml: settings of this host rather than of a project (where lifecycle
// events are POSTed, where `sbx serve` listens). Pure: the text is handed in.

import { parseDuration } from "./duration.js";
import { error, type Diagnostic, type SourceRange } from "./diagnostics.js";
import { loadToml, type LoadedFile, type TomlValue } from "./load.js";
import { didYouMean } from "./merge.js";
import { pathKey, type OptionPath } from "./path.js";

export interface HostConfig {
  events: {
    /** Where each event is POSTed as JSON; unset: events only go to events.jsonl. */
    url?: string;
    /** One attempt's deadline. */
    timeoutMs: number;
    /** Attempts after the first, for a receiver that is down, slow or answers 5xx/408/429. */
    retries: number;
    /** How long a command waits at its end for deliveries still in flight (what is left goes to the outbox). */
    waitMs: number;
  };
  serve: {
    /** host:port `sbx serve` listens on. */
    listen: string;
    /** How often `sbx serve` destroys expired sandboxes; 0 turns it off. */
    reapIntervalMs: number;
  };
}

export const DEFAULT_HOST_CONFIG: HostConfig = {
  events: { timeoutMs: 3000, retries: 3, waitMs: 2000 },
  serve: { listen: "127.0.0.1:7878", reapIntervalMs: 60_000 },
};

type Check = (v: TomlValue, at: SourceRange, key: string) => { value?: unknown; diag?: Diagnostic };

const duration =
  (zeroOk: boolean): Check =>
  (v, at, key) => {
    if (zeroOk && (v === 0 || v === "0")) return { value: 0 };
    const ms = typeof v === "string" ? parseDuration(v) : undefined;
    return ms === undefined ? { diag: error(`Invalid duration for \`${key}'`, { range: at, detail: `Use a number and a unit: 500ms, 2s, 1m${zeroOk ? ", or 0 to turn it off" : ""}.` }) } : { value: ms };
  };

const KEYS: Record<"events" | "serve", Record<string, { field: string; check: Check }>> = {
  events: {
    url: {
      field: "url",
      check: (v, at, key) => {
        let u: URL | undefined;
        try {
          u = typeof v === "string" ? new URL(v) : undefined;
        } catch {
          u = undefined;
        }
        if (!u || (u.protocol !== "http:" && u.protocol !== "https:"))
          return { diag: error(`Invalid URL for \`${key}'`, { range: at, detail: "Events are POSTed to an http:// or https:// URL, such as url = \"http://127.0.0.1:9000/sbx-events\"." }) };
        return { value: u.toString() };
      },
    },
    timeout: { field: "timeoutMs", check: duration(false) },
    wait: { field: "waitMs", check: duration(true) },
    retries: {
      field: "retries",
      check: (v, at, key) => (Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 10 ? { value: v } : { diag: error(`Invalid \`${key}'`, { range: at, detail: "retries is a whole number from 0 to 10." }) }),
    },
  },
  serve: {
    listen: {
      field: "listen",
      check: (v, at, key) =>
        typeof v === "string" && parseListen(v) ? { value: v } : { diag: error(`Invalid \`${key}'`, { range: at, detail: "Write host:port, such as listen = \"127.0.0.1:7878\" (an [IPv6] address in brackets)." }) },
    },
    reap_interval: { field: "reapIntervalMs", check: duration(true) },
  },
};

/** "host:port" → parts; undefined when malformed. */
export function parseListen(text: string): { host: string; port: number } | undefined {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  return { host: m[1]!.replace(/^\[|\]$/g, ""), port };
}

function at(f: LoadedFile, p: OptionPath): SourceRange {
  return { file: f.file, start: f.valuePos.get(pathKey(p)) ?? f.keyPos.get(pathKey(p)) ?? { line: 1, col: 1 } };
}

function keyAt(f: LoadedFile, p: OptionPath): SourceRange {
  return { file: f.file, start: f.keyPos.get(pathKey(p)) ?? { line: 1, col: 1 } };
}

/** Parse the host configuration; every problem is a located diagnostic and the defaults stand in. */
export function parseHostConfig(shown: string, text: string | undefined): { config: HostConfig; diags: Diagnostic[] } {
  const config: HostConfig = { events: { ...DEFAULT_HOST_CONFIG.events }, serve: { ...DEFAULT_HOST_CONFIG.serve } };
  if (text === undefined) return { config, diags: [] };
  const loaded = loadToml(shown, text);
  if (!loaded.value) return { config, diags: loaded.diags };
  const f = loaded.value;
  const diags: Diagnostic[] = [...loaded.diags];
  for (const [table, raw] of Object.entries(f.value)) {
    const keys = (KEYS as Record<string, Record<string, { field: string; check: Check }>>)[table];
    if (!keys || typeof raw !== "object" || Array.isArray(raw)) {
      const hint = didYouMean(table, Object.keys(KEYS));
      diags.push(error(`Unknown table \`${table}' in the host configuration`, { range: keyAt(f, [table]), detail: `${shown} has [events] and [serve].${hint ? ` Did you mean [${hint}]?` : ""}` }));
      continue;
    }
    for (const [key, v] of Object.entries(raw)) {
      const spec = keys[key];
      if (!spec) {
        const hint = didYouMean(key, Object.keys(keys));
        diags.push(error(`Unknown option \`${table}.${key}'`, { range: keyAt(f, [table, key]), detail: `[${table}] has ${Object.keys(keys).join(", ")}.${hint ? ` Did you mean \`${hint}'?` : ""}` }));
        continue;
      }
      const r = spec.check(v, at(f, [table, key]), `${table}.${key}`);
      if (r.diag) diags.push(r.diag);
      else (config[table as "events" | "serve"] as unknown as Record<string, unknown>)[spec.field] = r.value;
    }
  }
  return { config, diags };
}
