// Terminal output: colour when it is a TTY, every line through the secret redactor,
// and diagnostics rendered once with file:line:col, the line and a caret.

import pc from "picocolors";
import { outputRedactor } from "../apply/output.js";
import { exitCodeFor, sortDiagnostics, sourceLine, type Diagnostic } from "../compile/diagnostics.js";

import type { Style } from "../plan/render/text.js";

let colourOff = false;

/** `--no-color` / `-no-color`. */
export function disableColour(): void {
  colourOff = true;
}

export function useColour(stream: NodeJS.WriteStream): boolean {
  if (colourOff || (process.env.NO_COLOR ?? "") !== "" || process.env.SBX_NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== "0") return true;
  return !!stream.isTTY;
}

export function styleFor(stream: NodeJS.WriteStream): Style {
  const c = pc.createColors(useColour(stream));
  return { green: c.green, red: c.red, yellow: c.yellow, bold: c.bold, dim: c.dim };
}

/**
 * Streams whose reader went away (`sbx status | head -1`). Output to them is dropped and
 * the command finishes what it was doing (an apply is not cut in half) and exits quietly.
 */
const closed = new Set<NodeJS.WriteStream>();

export function watchClosedPipes(): void {
  for (const stream of [process.stdout, process.stderr])
    stream.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE" || closed.has(stream)) {
        closed.add(stream);
        return;
      }
      throw e;
    });
}

/** True once stdout's reader has gone (`sbx logs -f | head`): nothing more can be shown. */
export function stdoutClosed(): boolean {
  return closed.has(process.stdout);
}

/** Lines drawn under the output on a terminal (what is running now); every write goes above them. */
let footer: string[] = [];

function clearFooter(): void {
  // Back to the footer's first line, then clear to the end of the screen.
  if (footer.length) process.stdout.write(`\x1b[${footer.length}F\x1b[J`);
}

function drawFooter(): void {
  if (footer.length) process.stdout.write(`${footer.join("\n")}\n`);
}

/** Replace the footer (only on a terminal); each line is cut to the width so the count of lines holds. */
export function setFooter(lines: string[]): void {
  if (!process.stdout.isTTY || closed.has(process.stdout)) return;
  const width = Math.max(20, (process.stdout.columns || 80) - 1);
  clearFooter();
  footer = lines.map((l) => outputRedactor.redact(l.length > width ? `${l.slice(0, width - 1)}…` : l));
  drawFooter();
}

function write(stream: NodeJS.WriteStream, text: string): void {
  if (closed.has(stream)) return;
  clearFooter();
  stream.write(outputRedactor.redact(text.endsWith("\n") ? text : `${text}\n`));
  drawFooter();
}

export function out(text: string): void {
  write(process.stdout, text);
}

export function err(text: string): void {
  write(process.stderr, text);
}

/** Render diagnostics (sorted, duplicates collapsed) to stderr. */
export function printDiagnostics(diags: readonly Diagnostic[], texts: ReadonlyMap<string, string> = new Map()): void {
  const st = styleFor(process.stderr);
  const seen = new Set<string>();
  for (const d of sortDiagnostics(diags)) {
    const key = `${d.severity}|${d.summary}|${d.detail}|${d.range?.file}:${d.range?.start.line}:${d.range?.start.col}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const label = d.severity === "error" ? st.red(st.bold("error")) : st.yellow(st.bold("warning"));
    // A flag (`--set ...`) has no line: name it alone.
    const where = !d.range ? "" : d.range.start.line > 0 ? `${d.range.file}:${d.range.start.line}:${d.range.start.col}: ` : `${d.range.file}: `;
    const lines = [`${where}${label}: ${st.bold(d.summary)}`];
    const text = d.range && d.range.start.line > 0 ? texts.get(d.range.file) : undefined;
    const src = text !== undefined && d.range ? sourceLine(text, d.range.start.line) : undefined;
    if (src !== undefined && d.range) {
      const n = String(d.range.start.line);
      lines.push(`  ${n.padStart(4)} | ${src}`);
      lines.push(`  ${" ".repeat(4)} | ${" ".repeat(Math.max(0, d.range.start.col - 1))}${st.red("^")}`);
    }
    if (d.detail) for (const l of d.detail.split("\n")) lines.push(`  ${l}`);
    err(lines.join("\n"));
  }
}

/** Print diagnostics and turn them into the command's exit status. */
export function finish(diags: readonly Diagnostic[], texts?: ReadonlyMap<string, string>): void {
  if (diags.length) printDiagnostics(diags, texts);
  const code = exitCodeFor(diags);
  if (code) throw new Exit(code);
}

/** Exit with a code; thrown by commands, caught once in main. */
export class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}
