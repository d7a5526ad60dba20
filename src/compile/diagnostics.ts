// Diagnostics are values: collected by every stage, rendered once by the CLI. Every
// error a user sees travels as one of these; its code decides the exit status.

export type Severity = "error" | "warning";

/**
 * What kind of problem it is. The CLI maps codes to exit statuses (ARCHITECTURE §9):
 * health → 3, lock-held and plan-stale → 4, every other error → 1.
 */
export type DiagnosticCode =
  | "config" // a configuration file, flag or compose file is wrong
  | "usage" // a command-line mistake
  | "slot" // no slot can be claimed
  | "port" // a port of the sandbox is held by someone else
  | "secret" // a secret reference cannot be resolved
  | "provision" // a resource could not be created or changed
  | "health" // the health gate failed
  | "lock-held" // another sbx holds a lock
  | "plan-stale" // a saved plan no longer applies
  | "plan-file" // a saved plan cannot be read
  | "state" // host state is unreadable or was lost
  | "preflight" // this host lacks what the backend needs
  | "placement" // the sandbox cannot run where it is placed (unreachable, or moved while running)
  | "snapshot" // a snapshot is missing, corrupt or cannot be restored
  | "interrupted"; // the user interrupted the run

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
  code?: DiagnosticCode;
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

type DiagOpts = Omit<Diagnostic, "severity" | "summary">;

export function error(summary: string, opts: DiagOpts = {}): Diagnostic {
  return { severity: "error", code: "config", summary, ...opts };
}

export function warning(summary: string, opts: DiagOpts = {}): Diagnostic {
  return { severity: "warning", summary, ...opts };
}

export function hasErrors(diags: readonly Diagnostic[]): boolean {
  return diags.some((d) => d.severity === "error");
}

const EXIT_BY_CODE: Partial<Record<DiagnosticCode, number>> = { health: 3, "lock-held": 4, "plan-stale": 4, interrupted: 130 };

/** The exit status for a set of diagnostics: 0 without errors; a failed apply beats a failed health gate. */
export function exitCodeFor(diags: readonly Diagnostic[]): number {
  const errors = diags.filter((d) => d.severity === "error");
  if (!errors.length) return 0;
  const codes = errors.map((d) => EXIT_BY_CODE[d.code ?? "config"] ?? 1);
  if (codes.includes(130)) return 130;
  if (codes.includes(1)) return 1;
  return Math.max(...codes);
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

/** The source line for a position, for carets under an error. */
export function sourceLine(text: string, line: number): string | undefined {
  return text.split(/\r?\n/)[line - 1];
}
