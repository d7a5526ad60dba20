// Writes generated files; an edit outside sbx is drift, shown as the content now on disk.

import type { DeletePreview, Driver } from "../driver.js";
import { currentHash, keptOnDelete, removeOwned, writeOwned, type OwnedFileOutput } from "../owned-file.js";
import type { FileAttrs } from "./kind.js";

const TEXT_LIMIT = 256 * 1024;

function modeOf(a: FileAttrs): number {
  return parseInt(a.mode || "0644", 8);
}

export const fileDriver: Driver<FileAttrs> & DeletePreview<FileAttrs> = {
  type: "file",
  async read(ctx, prior) {
    const h = await currentHash(ctx, prior.attrs.path);
    if (h === undefined) return { status: "missing", reason: "file deleted outside sbx" };
    if (h !== prior.output.hash) {
      const data = await ctx.target.readFile(prior.attrs.path);
      const text = data && data.length <= TEXT_LIMIT ? data.toString("utf8") : undefined;
      return { status: "drifted", reason: "file edited outside sbx", action: "update", ...(text !== undefined ? { observed: { content: text } } : {}) };
    }
    const st = await ctx.target.stat(prior.attrs.path);
    if (st && st.mode !== modeOf(prior.attrs)) return { status: "drifted", reason: `file mode is ${st.mode.toString(8)}`, action: "update", observed: { mode: `0${st.mode.toString(8)}` } };
    return { status: "ok" };
  },
  async create(ctx, r, opts) {
    return { output: await writeOwned(ctx, { file: r.attrs.path, data: r.attrs.content, mode: modeOf(r.attrs), recovering: opts?.recovering }) };
  },
  async update(ctx, r, prior) {
    const out = prior.output as OwnedFileOutput;
    if (prior.attrs.path !== r.attrs.path) {
      await removeOwned(ctx, prior.attrs.path, out);
      return { output: await writeOwned(ctx, { file: r.attrs.path, data: r.attrs.content, mode: modeOf(r.attrs) }) };
    }
    return { output: await writeOwned(ctx, { file: r.attrs.path, data: r.attrs.content, mode: modeOf(r.attrs), prior: out }) };
  },
  async delete(ctx, prior) {
    return removeOwned(ctx, prior.attrs.path, prior.output);
  },
  keeps: (ctx, prior) => keptOnDelete(ctx, prior.attrs.path, prior.output),
};
