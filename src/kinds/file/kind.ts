// file.*: a file sbx generates (env file, compose override), with its content and mode.

import * as path from "node:path";
import type { KindSpec } from "../spec.js";

export interface FileAttrs {
  path: string;
  content: string;
  mode: string;
  /** Name under `compile --out DIR` (default: the file's base name). */
  artefact?: string;
}

export const fileSpec: KindSpec<FileAttrs> = {
  type: "file",
  description: "a generated file",
  replaceOn: ["path"],
  restartsDependents: true,
  render: { content: "text" },
  artefacts: (r) => [{ path: r.attrs.artefact ?? path.basename(r.attrs.path), content: r.attrs.content }],
};
