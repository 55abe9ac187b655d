// Diagnostics: every error the compiler reports, with a code, a message and a
// 1-based source span. Passes report through a DiagnosticSink; a stage reports
// all of its errors before the pipeline stops (peggy's session pattern).

import type { Position, Span } from "./ast.js";

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
  noFunctions: "GC0113",
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
  // GC03xx: options given to the compiler
  badOption: "GC0301",
  modeNotApplicable: "GC0302",
  // GC09xx: the compiler itself
  internal: "GC0901",
} as const;

export type DiagnosticCode = (typeof codes)[keyof typeof codes];

/** Collects the diagnostics of one compilation. */
export class DiagnosticSink {
  readonly diagnostics: Diagnostic[] = [];
  readonly file: string;
  private readonly source: string | undefined;

  /** With the source, columns count characters (code points), as a terminal shows them. */
  constructor(file: string, source?: string) {
    this.file = file;
    this.source = source;
  }

  error(code: DiagnosticCode, message: string, span: Span): void {
    this.report("error", code, message, span);
  }

  warning(code: DiagnosticCode, message: string, span: Span): void {
    this.report("warning", code, message, span);
  }

  private report(severity: Severity, code: DiagnosticCode, message: string, span: Span): void {
    const at =
      this.source === undefined ? span : { start: this.position(span.start), end: this.position(span.end) };
    this.diagnostics.push(diagnosticAt(this.file, severity, code, message, at));
  }

  private position(p: Position): Position {
    const source = this.source!;
    const offset = Math.max(0, Math.min(p.offset, source.length));
    const lineStart = source.lastIndexOf("\n", offset - 1) + 1;
    let line = 1;
    for (let i = source.indexOf("\n"); i !== -1 && i < lineStart; i = source.indexOf("\n", i + 1)) line++;
    // A byte-order mark is not a column.
    const from = lineStart === 0 && source.charCodeAt(0) === 0xfeff ? 1 : lineStart;
    const column = [...source.slice(from, Math.max(from, offset))].length + 1;
    return { offset, line, column };
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
/** Lines longer than this are framed around the span, with this many characters each side. */
const frameWidth = 160;
const frameContext = 60;

/** SGR escapes for a terminal: bold, and red or yellow for an error or a warning. */
const ansi = {
  bold: "\u001b[1m",
  red: "\u001b[31m",
  yellow: "\u001b[33m",
  cyan: "\u001b[36m",
  reset: "\u001b[0m",
};

/** `text` in `styles` when colouring, else as it is. */
export function styled(text: string, styles: readonly (keyof typeof ansi)[], color: boolean): string {
  return color ? `${styles.map((s) => ansi[s]).join("")}${text}${ansi.reset}` : text;
}

export function formatDiagnostic(d: Diagnostic, source?: string, options: { color?: boolean } = {}): string {
  const color = options.color === true;
  const tone = d.severity === "error" ? "red" : "yellow";
  const head = `${styled(`${d.file}:${d.line}:${d.column}`, ["cyan"], color)}: ${styled(d.severity, ["bold", tone], color)} ${d.code}: ${d.message}`;
  if (source === undefined) return head;
  const lines = source.replace(/^\uFEFF/, "").split(/\r\n|\n/);
  if (lines[d.line - 1] === undefined) return head;
  // A span over several lines is framed on each (the first two and the last two of a long one).
  const last = Math.min(Math.max(d.endLine, d.line), lines.length);
  const shown = Array.from({ length: last - d.line + 1 }, (_, k) => d.line + k);
  const framed = shown.length > 4 ? [...shown.slice(0, 2), 0, ...shown.slice(-2)] : shown;
  const gutterWidth = String(last).length;
  const frames = framed.map((n) => {
    if (n === 0) return [` ${".".repeat(gutterWidth)} |`];
    const text = lines[n - 1]!;
    const chars = [...text];
    const from = n === d.line ? d.column : chars.findIndex((c) => c !== " " && c !== "\t") + 1 || 1;
    const to =
      n === d.endLine && n !== d.line
        ? d.endColumn
        : n === d.endLine
          ? Math.max(d.endColumn, d.column + 1)
          : chars.length + 1;
    const [line, carets] = frameLine(String(n).padStart(gutterWidth), chars, from, to);
    return [line!, carets!.replace(/\^+/, (marks) => styled(marks, [tone], color))];
  });
  return [head, ...frames.flat()].join("\n");
}

/** One source line and the carets under columns [from, to), cut around them when very long. */
function frameLine(gutter: string, text: readonly string[], from: number, to: number): string[] {
  const pad = " ".repeat(gutter.length);
  let chars = [...text];
  let width = Math.max(1, Math.min(to, chars.length + 1) - from);
  let column = from;
  // A very long line (generated source, a minified literal) is shown around the span only.
  let [before, after] = ["", ""];
  if (chars.length > frameWidth) {
    width = Math.min(width, frameWidth - 2 * frameContext);
    const start = Math.max(0, column - 1 - frameContext);
    const end = Math.min(chars.length, column - 1 + width + frameContext);
    [before, after] = [start > 0 ? "…" : "", end < chars.length ? "…" : ""];
    chars = chars.slice(start, end);
    column = column - start + before.length;
  }
  // Tabs before the caret are kept so the caret lines up in any terminal.
  const lead = [...before, ...chars]
    .slice(0, column - 1)
    .map((c) => (c === "\t" ? c : " "))
    .join("");
  return [` ${gutter} | ${before}${chars.join("")}${after}`, ` ${pad} | ${lead}${"^".repeat(width)}`];
}
