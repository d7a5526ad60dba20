// Priorities after the NixOS module system: the lower number wins.

export const FORCE = 50; // mkForce, and `--set`
export const LOCAL = 75; // infra.local.toml
export const USER = 100; // project files (plain definitions)
export const DEFAULT = 1000; // mkDefault, and profiles
export const OPTION_DEFAULT = 1500; // schema defaults

/** `user`: the user's own defaults (~/.config/keystone/agent.toml); `derived`: a value sbx derives (a project name from the directory). */
export type LayerKind = "profile" | "project" | "local" | "cli" | "schema-default" | "user" | "derived";

export const LAYER_PRIORITY: Record<LayerKind, number> = {
  profile: DEFAULT,
  project: USER,
  local: LOCAL,
  cli: FORCE,
  "schema-default": OPTION_DEFAULT,
  user: DEFAULT,
  derived: OPTION_DEFAULT,
};

export function priorityName(p: number): string {
  if (p === FORCE) return "force";
  if (p === LOCAL) return "local";
  if (p === USER) return "normal";
  if (p === DEFAULT) return "default";
  if (p === OPTION_DEFAULT) return "option default";
  return String(p);
}
