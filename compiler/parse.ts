// The parser's entry point: runs the peggy parser generated from
// compiler/grammar.peggy (`npm run build:parser`) and turns a syntax error
// into one GC0001 diagnostic.

import type { Position, Program, Span } from "./ast.js";
import { codes, type DiagnosticSink } from "./diagnostics.js";
import { parse as peggyParse, SyntaxError as PeggySyntaxError } from "./parser.generated.js";

/**
 * Parses one .grad file. On a syntax error it reports a single diagnostic to
 * `sink` and returns `undefined`; it never throws for bad input.
 */
export function parse(source: string, file: string, sink: DiagnosticSink): Program | undefined {
  try {
    // The generated parser is untyped; the grammar builds exactly a Program.
    return peggyParse(source, { grammarSource: file }) as Program;
  } catch (error) {
    if (error instanceof PeggySyntaxError) {
      const { message, span } = describeSyntaxError(error, source);
      sink.error(codes.syntax, message, span);
      return undefined;
    }
    // The parser is recursive descent: hundreds of nested brackets or signs
    // exhaust the stack. That is bad input too, not a compiler bug.
    if (error instanceof RangeError && /call stack/i.test(error.message)) {
      const start: Position = { offset: 0, line: 1, column: 1 };
      sink.error(codes.syntax, "expression nested too deeply to parse", {
        start,
        end: start,
      });
      return undefined;
    }
    throw error;
  }
}

/** A short message and the span of the offending token. */
function describeSyntaxError(error: PeggySyntaxError, source: string): { message: string; span: Span } {
  const start = position(error.location.start);
  // Errors raised by the grammar's own error() calls carry a finished message
  // and the span to blame (peggy leaves `expected` null for them).
  const expected = error.expected as PeggySyntaxError["expected"] | null;
  if (expected === null) {
    return {
      message: error.message,
      span: { start, end: position(error.location.end) },
    };
  }
  // Inside brackets newlines are whitespace, so a bracket left open shows up
  // lines later, or at the end of the file; a block left open shows up at the
  // end of the file or at the next function. Point back at the bracket.
  const atEnd = start.offset >= source.length;
  const open = innermostOpenBracket(source, start.offset);
  // In a block, the end of a statement (where `}` may follow on the next line)
  // counts as expecting the `}`: peggy does not list the "}" of `x }`.
  const closerExpected =
    open !== undefined &&
    expected.some(
      (e) =>
        (e.type === "literal" && e.text === closers[source[open.offset]!]) ||
        (source[open.offset] === "{" && e.type === "other" && e.description === "end of line"),
    );
  if (open !== undefined && closerExpected) {
    const bracket = JSON.stringify(source[open.offset]);
    const span = { start: open, end: { offset: open.offset + 1, line: open.line, column: open.column + 1 } };
    if (atEnd) return { message: `${bracket} was never closed`, span };
    // What follows on a later line reads as a new statement or function (or
    // the end of the block): the bracket was meant to be closed before it.
    if (open.line < start.line && startsLine(source, start.offset) && startsStatement(source, start.offset)) {
      return {
        message: `${bracket} is not closed: expected ${describeExpected(expected)} but found ${JSON.stringify(tokenAt(source, start.offset))} on line ${start.line}`,
        span,
      };
    }
  }
  const hint =
    open !== undefined && closerExpected && source[open.offset] !== "{" && open.line < start.line
      ? ` (the ${JSON.stringify(source[open.offset])} on line ${open.line} is not closed)`
      : "";
  const found = tokenAt(source, start.offset);
  const end = {
    offset: start.offset + found.length,
    line: start.line,
    column: start.column + found.length,
  };
  const foundText = atEnd ? "end of file" : found === "" ? "end of line" : JSON.stringify(found);
  return {
    message: `expected ${describeExpected(expected)} but found ${foundText}${hint}`,
    span: { start, end },
  };
}

const closers: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

/** Whether only spaces and tabs come before `offset` on its line. */
function startsLine(source: string, offset: number): boolean {
  const lineStart = source.lastIndexOf("\n", offset - 1) + 1;
  return /^[ \t]*$/.test(source.slice(lineStart, offset));
}

/** Whether the text at `offset` looks like the start of a statement or function, or the end of a block. */
function startsStatement(source: string, offset: number): boolean {
  return /^(?:(?:return|fn)(?![\p{L}\p{Nd}_])|\}|[\p{L}_][\p{L}\p{Nd}_]*[ \t]*=(?!=))/u.test(
    source.slice(offset),
  );
}

function position(p: Position): Position {
  return { offset: p.offset, line: p.line, column: p.column };
}

/**
 * `"a"`, `"a" or "b"`, `"a", "b", or "c"`, without repeats: tokens first, then
 * names like "expression", then the ends of lines and of the file.
 */
function describeExpected(expected: PeggySyntaxError["expected"]): string {
  const rank = (d: string): number => (d.startsWith('"') ? 0 : d.startsWith("end of") ? 2 : 1);
  const descriptions = [
    ...new Set(
      expected.map((e) => {
        switch (e.type) {
          case "literal":
            return JSON.stringify(e.text);
          case "other":
            return e.description;
          case "end":
            return "end of file";
          case "any":
            return "any character";
          case "class":
            // The grammar names every rule that matches a character class.
            return "character";
        }
      }),
    ),
  ].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  if (descriptions.length <= 2) return descriptions.join(" or ");
  return `${descriptions.slice(0, -1).join(", ")}, or ${descriptions.at(-1)}`;
}

/** The token at `offset`, for "but found ..."; empty at a line end or the end of the file. */
function tokenAt(source: string, offset: number): string {
  const rest = source.slice(offset);
  if (rest === "" || rest.startsWith("\n") || rest.startsWith("\r\n")) return "";
  return (
    /^(?:\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|[\p{L}\p{N}_]+|==|!=|<=|>=|->|\*\*)/u.exec(rest)?.[0] ??
    String.fromCodePoint(rest.codePointAt(0) ?? 0)
  );
}

/** The innermost "(", "[" or "{" still open at `offset`, ignoring comments. */
function innermostOpenBracket(source: string, offset: number): Position | undefined {
  const open: number[] = [];
  for (let i = 0; i < offset; i++) {
    const c = source[i];
    if (c === "#" || (c === "/" && source[i + 1] === "/")) {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "(" || c === "[" || c === "{") {
      open.push(i);
    } else if (c === ")" || c === "]" || c === "}") {
      open.pop();
    }
  }
  const at = open.at(-1);
  if (at === undefined) return undefined;
  // Lines and columns as peggy counts them: UTF-16 units, lines end at "\n".
  const lineStart = source.lastIndexOf("\n", at - 1) + 1;
  const line = source.slice(0, at).split("\n").length;
  return { offset: at, line, column: at - lineStart + 1 };
}
