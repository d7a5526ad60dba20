// The live view of an apply on a terminal: what is running now, each with a spinner and its
// elapsed time, under the log lines (which stay as they are, as Terraform prints them).

import type { ProgressEvent } from "../apply/index.js";
import { setFooter } from "./output.js";

const FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏";
const MAX_LINES = 8;

/** A progress sink for the engine, or undefined when stdout is not a terminal (lines only). */
export function liveProgress(): ((e: ProgressEvent) => void) | undefined {
  if (!process.stdout.isTTY) return undefined;
  const running = new Map<string, { verb: string; start: number }>();
  let timer: NodeJS.Timeout | undefined;
  let frame = 0;
  const render = () => {
    const now = Date.now();
    const spin = FRAMES[frame++ % FRAMES.length];
    const rows = [...running].map(([address, r]) => `${spin} ${address}: ${r.verb}... ${Math.floor((now - r.start) / 1000)}s`);
    setFooter(rows.length > MAX_LINES ? [...rows.slice(0, MAX_LINES), `  and ${rows.length - MAX_LINES} more`] : rows);
  };
  return (e) => {
    if (e.phase === "begin") running.set(e.address, { verb: e.verb, start: Date.now() });
    else running.delete(e.address);
    if (running.size && !timer) {
      timer = setInterval(render, 120);
      timer.unref(); // the view never keeps sbx alive
    }
    if (!running.size && timer) {
      clearInterval(timer);
      timer = undefined;
      setFooter([]);
      return;
    }
    if (running.size) render();
  };
}
