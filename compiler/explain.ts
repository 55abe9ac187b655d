// `gradc explain` and the API's `explain()`: a source's functions' derivations (derivation.ts),
// printed as Markdown with LaTeX, Unicode text or JSON (explain-print.ts).

import { front, internalError, wholeFile } from "./compile.js";
import { deriveExplanation, type Derivation } from "./derivation.js";
import { codes, DiagnosticSink, type Diagnostic } from "./diagnostics.js";
import { printDerivations, type ExplainFormat } from "./explain-print.js";
import { lowerFunction } from "./lower.js";

export type { AdjointStep, Derivation, ExplainedResult, LocalDerivative, Variable } from "./derivation.js";

/**
 * The derivations of `fn` (every function when absent) with respect to `wrt` (the function's
 * `wrt` parameters when absent), or diagnostics naming what does not exist.
 */
export function deriveExplanations(
  source: string,
  filename: string,
  selection: { readonly fn?: string; readonly wrt?: string } = {},
): { derivations: Derivation[]; diagnostics: Diagnostic[] } {
  const { sink, checked } = front(source, filename);
  if (checked === undefined) return { derivations: [], diagnostics: sink.diagnostics };
  const byName = new Map(checked.functions.map((f) => [f.name, f]));
  let chosen = checked.functions;
  if (selection.fn !== undefined) {
    const fn = byName.get(selection.fn);
    if (fn === undefined) {
      const names = checked.functions.map((f) => `'${f.name}'`).join(", ");
      return optionError(
        filename,
        sink,
        `there is no function '${selection.fn}' to explain; the file defines ${names}`,
      );
    }
    chosen = [fn];
  }
  if (selection.wrt !== undefined) {
    const missing = chosen.filter((f) => !f.params.some((p) => p.name === selection.wrt));
    if (missing.length > 0) {
      const fn = missing[0]!;
      const params = fn.params.map((p) => `'${p.name}'`).join(", ");
      return optionError(
        filename,
        sink,
        `'${fn.name}' has no parameter '${selection.wrt}'; its parameters are ${params || "none"}`,
      );
    }
  }
  const derivations = chosen.map((fn) =>
    // Every call inlined: the derivation shows the callee's operations where they happen.
    deriveExplanation(
      lowerFunction(fn, byName, source),
      fn.name,
      fn.dims,
      selection.wrt === undefined ? fn.wrt : [selection.wrt],
    ),
  );
  return { derivations, diagnostics: sink.diagnostics };
}

function optionError(filename: string, sink: DiagnosticSink, message: string) {
  const options = new DiagnosticSink(filename);
  options.error(codes.badOption, message, wholeFile);
  return { derivations: [], diagnostics: [...sink.diagnostics, ...options.diagnostics] };
}

export interface ExplainOptions {
  /** Used in diagnostics. Default `input.grad`. */
  readonly filename?: string;
  /** The function to explain; every function when absent. */
  readonly fn?: string;
  /** The parameter to differentiate with respect to; the function's `wrt` parameters when absent. */
  readonly wrt?: string;
  /** `md` (Markdown with LaTeX, the default), `text` (Unicode) or `json`. */
  readonly format?: ExplainFormat;
}

export interface ExplainResult {
  /** The derivation, printed; undefined when there are errors. */
  readonly text: string | undefined;
  readonly derivations: readonly Derivation[];
  readonly diagnostics: readonly Diagnostic[];
}

/** The derivations of a source's functions, printed in `format`. Never rejects for bad source. */
export async function explain(source: string, options: ExplainOptions = {}): Promise<ExplainResult> {
  const filename = options.filename ?? "input.grad";
  const format = options.format ?? "md";
  if (!["md", "text", "json"].includes(format)) {
    const sink = new DiagnosticSink(filename);
    sink.error(codes.badOption, `unknown format '${String(format)}'; formats are md, text, json`, wholeFile);
    return { text: undefined, derivations: [], diagnostics: sink.diagnostics };
  }
  try {
    const { derivations, diagnostics } = deriveExplanations(source, filename, options);
    if (diagnostics.some((d) => d.severity === "error"))
      return { text: undefined, derivations: [], diagnostics };
    return { text: printDerivations(derivations, format), derivations, diagnostics };
  } catch (error) {
    return { text: undefined, derivations: [], diagnostics: [internalError(filename, error)] };
  }
}
