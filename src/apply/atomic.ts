// Atomic file writes (temp + fsync + rename) through write-file-atomic.

import * as fs from "node:fs";
import * as path from "node:path";
import writeFileAtomic from "write-file-atomic";

export function writeAtomic(file: string, data: string, mode?: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic.sync(file, data, { fsync: true, mode });
}
