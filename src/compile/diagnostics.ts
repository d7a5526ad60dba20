// Diagnostics are values: collected by every stage, rendered once by the CLI.

export type Severity = "error" | "warning";

export interface SourcePos {
  line: number; // 1-based
  col: number; // 1-based
}

export interface SourceRange {
  file: string;
  start: SourcePos;
}

export interface Diagnostic {
  severity: Severity;
  /** Short title, no trailing period. */
  summary: string;
  /** Longer explanation and the fix to try. */
  detail?: string;
  range?: SourceRange;
  /** Resource address or option path the diagnostic is about. */
  address?: string;
}

export interface Result<T> {
  value: T;
  diags: Diagnostic[];
}

export function error(summary: string, opts: Omit<Diagnostic, "severity" | "summary"> = {}): Diagnostic {
  return { severity: "error", summary, ...opts };
}

export function warning(summary: string, opts: Omit<Diagnostic, "severity" | "summary"> = {}): Diagnostic {
  return { severity: "warning", summary, ...opts };
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === "error");
}

/** Stable order: by file, line, column, then summary. */
export function sortDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  return [...diags].sort((a, b) => {
    const fa = a.range?.file ?? "";
    const fb = b.range?.file ?? "";
    if (fa !== fb) return fa < fb ? -1 : 1;
    const la = a.range?.start.line ?? 0;
    const lb = b.range?.start.line ?? 0;
    if (la !== lb) return la - lb;
    const ca = a.range?.start.col ?? 0;
    const cb = b.range?.start.col ?? 0;
    if (ca !== cb) return ca - cb;
    return a.summary < b.summary ? -1 : a.summary > b.summary ? 1 : 0;
  });
}

/** Thrown only to carry diagnostics out of deep code paths into the CLI; never for bugs. */
export class DiagnosticsError extends Error {
  constructor(readonly diags: Diagnostic[]) {
    super(diags.map((d) => d.summary).join("; "));
  }
}
