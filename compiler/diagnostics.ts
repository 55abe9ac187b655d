// Diagnostics: every error the compiler reports, with a code, a message and a
// 1-based source span. Passes report through a DiagnosticSink; a stage reports
// all of its errors before the pipeline stops (peggy's session pattern).

import type { Span } from "./ast.js";

export type Severity = "error" | "warning";

export interface Diagnostic {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

/** Every diagnostic code gradc emits. Codes are stable: tests and users rely on them. */
export const codes = {
  // GC00xx: syntax
  syntax: "GC0001",
  // GC01xx: names and structure
  unknownName: "GC0101",
  duplicateName: "GC0102",
  reservedName: "GC0103",
  unknownFunction: "GC0104",
  recursiveCall: "GC0105",
  unknownWrt: "GC0106",
  duplicateFunction: "GC0107",
  missingReturn: "GC0108",
  statementAfterReturn: "GC0109",
  exportNameClash: "GC0110",
  duplicateWrt: "GC0111",
  unknownDimension: "GC0112",
  // GC02xx: shapes and arity
  arity: "GC0201",
  shapeMismatch: "GC0202",
  matmulMismatch: "GC0203",
  returnTypeMismatch: "GC0204",
  badIndex: "GC0205",
  comparisonOutsideWhere: "GC0206",
  whereCondition: "GC0207",
  badKeywordArgument: "GC0208",
  badLiteral: "GC0209",
  badArgument: "GC0210",
  notDifferentiable: "GC0211",
  unsupported: "GC0212",
  // GC03xx: options given to the compiler
  badOption: "GC0301",
} as const;

export type DiagnosticCode = (typeof codes)[keyof typeof codes];

/** Collects the diagnostics of one compilation. */
export class DiagnosticSink {
  readonly diagnostics: Diagnostic[] = [];
  readonly file: string;
  constructor(file: string) {
    this.file = file;
  }

  error(code: DiagnosticCode, message: string, span: Span): void {
    this.diagnostics.push(diagnosticAt(this.file, "error", code, message, span));
  }

  get hasErrors(): boolean {
    return this.diagnostics.some((d) => d.severity === "error");
  }
}

export function diagnosticAt(
  file: string,
  severity: Severity,
  code: string,
  message: string,
  span: Span,
): Diagnostic {
  return {
    code,
    severity,
    message,
    file,
    line: span.start.line,
    column: span.start.column,
    endLine: span.end.line,
    endColumn: span.end.column,
  };
}

/**
 * Formats a diagnostic for a terminal:
 *
 *     model.grad:3:10: error GC0101: unknown name 'q'
 *       3 |   return q + 1
 *         |          ^
 */
export function formatDiagnostic(d: Diagnostic, source: string | undefined): string {
  const head = `${d.file}:${d.line}:${d.column}: ${d.severity} ${d.code}: ${d.message}`;
  if (source === undefined) return head;
  const lines = source.split(/\r\n|\r|\n/);
  const text = lines[d.line - 1];
  if (text === undefined) return head;
  const gutter = String(d.line);
  const pad = " ".repeat(gutter.length);
  const caretEnd = d.endLine === d.line ? Math.max(d.endColumn, d.column + 1) : text.length + 1;
  const width = Math.max(1, Math.min(caretEnd, text.length + 1) - d.column);
  // Tabs before the caret are kept so the caret lines up in any terminal.
  const lead = text.slice(0, d.column - 1).replace(/[^\t]/g, " ");
  return `${head}\n ${gutter} | ${text}\n ${pad} | ${lead}${"^".repeat(width)}`;
}
