// `-C DIR`: enter the directory before any command runs, as `git -C` does (light: loaded at start).

import * as fs from "node:fs";
import { error } from "../compile/diagnostics.js";
import { finish } from "./output.js";

export function enterDirectory(dir: string | undefined): void {
  if (dir === undefined) return;
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    finish([error(code === "ENOENT" || code === "ENOTDIR" ? `No such directory: ${dir}` : `Cannot use directory ${dir}`, { code: "usage", detail: `${code === "ENOENT" || code === "ENOTDIR" ? "" : `${code ?? (e as Error).message}. `}Check the path given to -C.` })]);
  }
  if (!st!.isDirectory()) finish([error(`Not a directory: ${dir}`, { code: "usage", detail: "Check the path given to -C." })]);
  try {
    process.chdir(dir);
  } catch (e) {
    finish([error(`Cannot enter directory ${dir}`, { code: "usage", detail: `${(e as NodeJS.ErrnoException).code ?? (e as Error).message}. Check the path given to -C and its permissions.` })]);
  }
}
