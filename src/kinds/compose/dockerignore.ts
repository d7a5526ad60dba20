// A .dockerignore matcher, close to Docker's: patterns relative to the build context,
// `*` and `?` within one path segment, `**` across segments, `!` re-includes, the last
// matching pattern wins, and a pattern that matches a directory covers what is inside.
// Pure: used to hash exactly the files a build can see.

export interface IgnoreRule {
  negate: boolean;
  re: RegExp;
  /** Path segments in the pattern (a pattern also matches a path's first N segments). */
  segments: number;
}

function globToRegExp(glob: string): string {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*") {
      if (glob[i + 1] === "*") {
        // `**/` matches zero or more directories; a trailing `**` matches everything below.
        const slash = glob[i + 2] === "/";
        re += slash ? "(?:.*/)?" : ".*";
        i += slash ? 2 : 1;
      } else re += "[^/]*";
    } else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        const body = glob.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\");
        re += `[${body}]`;
        i = end;
      }
    } else if (c === "\\" && i + 1 < glob.length) re += glob[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    else re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return re;
}

/** Clean a pattern as Docker does: no leading `/` or `./`, no trailing `/`, no empty segments. */
function clean(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") parts.pop();
    else parts.push(seg);
  }
  return parts.join("/");
}

export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const negate = line.startsWith("!");
    if (negate) line = line.slice(1).trim();
    const pattern = clean(line);
    if (!pattern) continue;
    rules.push({ negate, re: new RegExp(`^${globToRegExp(pattern)}$`), segments: pattern.split("/").length });
  }
  return rules;
}

/** Whether a path (POSIX, relative to the context) is excluded from the build context. */
export function isIgnored(rules: readonly IgnoreRule[], rel: string): boolean {
  const parts = rel.split("/");
  let ignored = false;
  for (const r of rules) {
    let hit = r.re.test(rel);
    // `node_modules` also covers node_modules/x/y: try the path's leading segments.
    for (let n = Math.min(r.segments, parts.length - 1); !hit && n >= 1; n--) hit = r.re.test(parts.slice(0, n).join("/"));
    if (hit) ignored = !r.negate;
  }
  return ignored;
}

/** True when some `!` rule could re-include a path below an ignored directory (so the walk must go in). */
export function hasExceptions(rules: readonly IgnoreRule[]): boolean {
  return rules.some((r) => r.negate);
}
