// Option paths: the only formatter for printing them (quotes odd segments, like nix showOption).

export type OptionPath = readonly (string | number)[];

const BARE = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function formatPath(path: OptionPath): string {
  return path
    .map((seg, i) => {
      if (typeof seg === "number") return `[${seg}]`;
      const s = BARE.test(seg) ? seg : JSON.stringify(seg);
      return i === 0 ? s : `.${s}`;
    })
    .join("")
    .replace(/\.\[/g, "[");
}

/** Parse `a.b."c.d"` into segments (used by `explain` and `--set`). */
export function parsePath(text: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) return undefined;
      out.push(text.slice(i + 1, end));
      i = end + 1;
    } else {
      let j = i;
      while (j < text.length && text[j] !== ".") j++;
      const seg = text.slice(i, j);
      if (seg === "") return undefined;
      out.push(seg);
      i = j;
    }
    if (i < text.length) {
      if (text[i] !== ".") return undefined;
      i++;
      if (i === text.length) return undefined;
    }
  }
  return out.length ? out : undefined;
}

export function pathKey(path: OptionPath): string {
  return JSON.stringify(path);
}
