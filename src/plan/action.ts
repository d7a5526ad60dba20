// The action vocabulary, shared by memory and plan JSON. Glyphs live only in renderers.

export type Action = "no-op" | "create" | "update" | "replace" | "delete" | "read";

export function isReplace(a: Action): boolean {
  return a === "replace";
}

export function isChange(a: Action): boolean {
  return a !== "no-op" && a !== "read";
}
