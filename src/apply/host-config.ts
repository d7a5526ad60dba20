// Reads $SBX_HOME/config.toml (host settings: events.url, serve.listen) with the
// environment's overrides (SBX_EVENTS_URL). Problems are located diagnostics.

import * as fs from "node:fs";
import * as path from "node:path";
import { error, type Diagnostic } from "../compile/diagnostics.js";
import { parseHostConfig, type HostConfig } from "../compile/host-config.js";

export function hostConfigFile(home: string): string {
  return path.join(home, "config.toml");
}

export function loadHostConfig(home: string, env: NodeJS.ProcessEnv): { config: HostConfig; diags: Diagnostic[]; texts: Map<string, string> } {
  const file = hostConfigFile(home);
  let text: string | undefined;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    text = undefined;
  }
  const { config, diags } = parseHostConfig(file, text);
  const texts = new Map<string, string>();
  if (text !== undefined) texts.set(file, text);
  const envUrl = env.SBX_EVENTS_URL;
  if (envUrl !== undefined && envUrl !== "") {
    let ok = false;
    try {
      const u = new URL(envUrl);
      ok = u.protocol === "http:" || u.protocol === "https:";
      if (ok) config.events.url = u.toString();
    } catch {
      ok = false;
    }
    if (!ok) diags.push(error("Invalid SBX_EVENTS_URL", { detail: `\`${envUrl}' is not an http:// or https:// URL. Fix or unset SBX_EVENTS_URL.` }));
  }
  return { config, diags, texts };
}
