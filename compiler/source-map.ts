// Source maps for the generated module: each line of a generated function points at the .grad
// line it came from, so a debugger steps through the .grad file and a stack trace (say of a
// ShapeError) names it. The emitter already ties each block of code to its statement with a
// comment (`// line 16: H = tanh(X @ W1 + b1)`, `// backward through line 17: ...`); a line maps
// to the latest such comment above it in its function, and a line before the first one (the
// argument checks, the declarations) to the function's `fn` in the source. Lines outside the
// functions (imports, tapes, runtime pieces copied in) map to nothing. Encoding: gen-mapping.

import { addSegment, GenMapping, setSourceContent, toEncodedMap } from "@jridgewell/gen-mapping";
import type { FunctionDecl } from "./ast.js";

/** A Source Map revision 3 object, as `JSON.stringify` writes it to a `.map` file. */
export interface SourceMap {
  readonly version: 3;
  /** The generated file's name, when known (the CLI sets it). */
  readonly file?: string;
  /** The .grad file, one entry, as a URL relative to the map. */
  readonly sources: readonly string[];
  /** The .grad text, so a debugger shows it without the file. */
  readonly sourcesContent: readonly string[];
  readonly names: readonly string[];
  readonly mappings: string;
}

/** A place in the .grad source: line 1-based, column 0-based in UTF-16 code units, as maps count. */
export interface SourcePlace {
  readonly line: number;
  readonly column: number;
}

/** What a map needs to know of the source: where functions and statements start. */
export interface SourceOutline {
  /** Each .grad function's `fn` keyword. */
  readonly functions: ReadonlyMap<string, SourcePlace>;
  /** The column of the statement that starts on a line, by line. */
  readonly statements: ReadonlyMap<number, number>;
  /** The source's lines, to check a comment's line and to place a statement it does not know. */
  readonly lines: readonly string[];
}

/** The outline of `source` from its parsed functions. */
export function outlineOf(source: string, decls: readonly FunctionDecl[]): SourceOutline {
  const functions = new Map<string, SourcePlace>();
  const statements = new Map<number, number>();
  for (const decl of decls) {
    functions.set(decl.name.name, placeOf(source, decl.span.start.offset, decl.span.start.line));
    for (const statement of decl.body) {
      const { line, offset } = statement.span.start;
      if (!statements.has(line)) statements.set(line, placeOf(source, offset, line).column);
    }
  }
  return { functions, statements, lines: source.split("\n") };
}

function placeOf(source: string, offset: number, line: number): SourcePlace {
  return { line, column: offset - (source.lastIndexOf("\n", offset - 1) + 1) };
}

/**
 * The .grad line a comment of the generated code names, or undefined for any other line. Of
 * `// line 25 → predict, line 16: H = ...` (a statement of `predict` inlined at line 25), the
 * last: the innermost statement. Only the part before the colon counts, not the source text.
 */
export function commentLine(text: string): number | undefined {
  return commentLines(text).at(-1);
}

/** Every .grad line a comment of the generated code names, outermost first; none for other lines. */
export function commentLines(text: string): number[] {
  const header = /^\s*\/\/ ([^:]*\bline \d+):/.exec(text)?.[1];
  if (header === undefined) return [];
  return [...header.matchAll(/\bline (\d+)/g)].map((m) => Number(m[1]));
}

/** A top-level function of the generated code: its name, first and last line (0-based). */
export interface GeneratedFunction {
  readonly name: string;
  readonly first: number;
  readonly last: number;
}

/**
 * The top-level functions of the generated code. Each starts with `function NAME` (maybe
 * exported) at column 0 and ends at the next line that is just `}`: everything inside is indented,
 * prettier's or not (a return type broken over lines ends in `} {`, not `}`).
 */
export function generatedFunctions(lines: readonly string[]): GeneratedFunction[] {
  const found: GeneratedFunction[] = [];
  for (let i = 0; i < lines.length; i++) {
    const name = /^(?:export )?function ([A-Za-z_$][\w$]*)/.exec(lines[i]!)?.[1];
    if (name === undefined) continue;
    let last = i;
    while (last < lines.length - 1 && lines[last]!.trimEnd() !== "}") last++;
    found.push({ name, first: i, last });
    i = last;
  }
  return found;
}

/** What gradc names the functions it generates from `f`, after `f`: `fGrad`, `fPullback_x`, …. */
const derivedSuffix =
  /^(?:Grad|Forward|Backward|Jvp|Jacobian|Hvp|Hessian|Pullback|Pushforward|PullbackTangent)(?:_[\w$]*)?$/;

/**
 * The .grad function a generated function comes from, by its name: the function itself or one of
 * its derivatives. Undefined for anything else (a runtime function copied in, a helper).
 */
export function sourceFunctionOf(name: string, functions: ReadonlyMap<string, unknown>): string | undefined {
  if (functions.has(name)) return name;
  let best: string | undefined;
  for (const candidate of functions.keys()) {
    if (!name.startsWith(candidate) || !derivedSuffix.test(name.slice(candidate.length))) continue;
    if (best === undefined || candidate.length > best.length) best = candidate;
  }
  return best;
}

/**
 * Where each generated line comes from, by 0-based generated line: undefined outside the
 * functions generated from the .grad ones, and for blank lines.
 */
export function lineOrigins(code: string, outline: SourceOutline): (SourcePlace | undefined)[] {
  const lines = code.split("\n");
  const origins: (SourcePlace | undefined)[] = lines.map(() => undefined);
  for (const fn of generatedFunctions(lines)) {
    let current = declarationOf(fn, lines, outline);
    if (current === undefined) continue;
    for (let i = fn.first; i <= fn.last; i++) {
      const line = lines[i]!;
      const named = commentLine(line);
      if (named !== undefined && named >= 1 && named <= outline.lines.length) {
        current = statementAt(named, outline);
      }
      if (line.trim() !== "") origins[i] = current;
    }
  }
  return origins;
}

/**
 * The `fn` of the .grad function `fn` comes from: found by its name, or else the function whose
 * text holds the first line its comments name (the latest `fn` at or above it).
 */
function declarationOf(
  fn: GeneratedFunction,
  lines: readonly string[],
  outline: SourceOutline,
): SourcePlace | undefined {
  const name = sourceFunctionOf(fn.name, outline.functions);
  if (name !== undefined) return outline.functions.get(name);
  for (let i = fn.first; i <= fn.last; i++) {
    const line = commentLines(lines[i]!)[0];
    if (line === undefined) continue;
    let enclosing: SourcePlace | undefined;
    for (const place of outline.functions.values()) {
      if (place.line <= line && (enclosing === undefined || place.line > enclosing.line)) enclosing = place;
    }
    return enclosing;
  }
  return undefined;
}

/** The start of the statement on source line `line`: as parsed, else its first non-blank character. */
function statementAt(line: number, outline: SourceOutline): SourcePlace {
  const column = outline.statements.get(line);
  if (column !== undefined) return { line, column };
  const text = outline.lines[line - 1] ?? "";
  return { line, column: text.length - text.trimStart().length };
}

/**
 * The source map of `code`, generated from `source`: one segment per mapped line, at its column 0,
 * so any position on the line finds it. `sourceName` is the .grad file's URL relative to the map.
 */
export function buildSourceMap(
  code: string,
  source: string,
  outline: SourceOutline,
  names: { readonly source: string; readonly file?: string | undefined },
): SourceMap {
  const generator = new GenMapping(names.file === undefined ? {} : { file: names.file });
  setSourceContent(generator, names.source, source);
  lineOrigins(code, outline).forEach((place, i) => {
    if (place !== undefined) addSegment(generator, i, 0, names.source, place.line - 1, place.column);
  });
  const encoded = toEncodedMap(generator);
  return {
    version: 3,
    ...(names.file === undefined ? {} : { file: names.file }),
    sources: [names.source],
    sourcesContent: [source],
    names: [],
    mappings: encoded.mappings,
  };
}

/** The same map with its source and generated file named anew (relative to where it is written). */
export function renameSourceMap(map: SourceMap, source: string, file: string | undefined): SourceMap {
  return {
    version: 3,
    ...(file === undefined ? {} : { file }),
    sources: [source],
    sourcesContent: map.sourcesContent,
    names: map.names,
    mappings: map.mappings,
  };
}

/** `code` with a `//# sourceMappingURL=` comment at its end. */
export function withSourceMappingUrl(code: string, url: string): string {
  return `${code}${code === "" || code.endsWith("\n") ? "" : "\n"}//# sourceMappingURL=${url}\n`;
}

/** `code` with `map` embedded: a `data:` URL of its JSON in base64 (of UTF-8). */
export function withInlineSourceMap(code: string, map: SourceMap): string {
  const base64 = Buffer.from(JSON.stringify(map), "utf8").toString("base64");
  return withSourceMappingUrl(code, `data:application/json;base64,${base64}`);
}

/** A relative file path as a URL path: `/` between segments, each segment escaped (`#`, `?`, `%`, …). */
export function pathToUrlPath(relative: string, separator: string): string {
  return relative.split(separator).map(encodeURIComponent).join("/");
}
