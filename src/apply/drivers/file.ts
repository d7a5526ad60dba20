// file.*: a generated file sbx owns (content, mode); edits outside sbx are drift.

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { writeAtomic } from "../atomic.js";
import type { Driver } from "./types.js";

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function readHash(p: string): string | undefined {
  try {
    return sha256(fs.readFileSync(p));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}

function write(attrs: Record<string, unknown>): Record<string, unknown> {
  const p = String(attrs.path);
  const content = String(attrs.content);
  writeAtomic(p, content, parseInt(String(attrs.mode ?? "0644"), 8));
  return { hash: sha256(content) };
}

export const fileDriver = {
  type: "file",
  async read(_ctx, prior) {
    const h = readHash(String(prior.attrs.path));
    if (h === undefined) return { status: "missing", reason: "file deleted outside sbx" };
    if (h !== prior.output.hash) return { status: "drifted", reason: "file edited outside sbx", action: "update" };
    return { status: "ok" };
  },
  async create(_ctx, r) {
    return write(r.attrs);
  },
  async update(_ctx, r, prior) {
    if (prior.attrs.path !== r.attrs.path) fs.rmSync(String(prior.attrs.path), { force: true });
    return write(r.attrs);
  },
  async delete(_ctx, prior) {
    fs.rmSync(String(prior.attrs.path), { force: true });
  },
} satisfies Driver;
