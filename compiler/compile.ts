// The pipeline: parse → check → lower → differentiate → optimize → emit.
// `compile` is a pure function of (source, options): no file system, no global
// state, deterministic output; bad source yields diagnostics, never a throw.

import { checkProgram } from "./check.js";
import { deriveFunction, type DerivedFunction } from "./derive.js";
import { codes, DiagnosticSink, type Diagnostic } from "./diagnostics.js";
import { emitModule } from "./emit.js";
import { lowerFunction } from "./lower.js";
import { parse } from "./parse.js";

export type Mode = "grad" | "vjp" | "jvp" | "jacobian" | "hessian";
export const allModes: readonly Mode[] = ["grad", "vjp", "jvp", "jacobian", "hessian"];
export const defaultModes: readonly Mode[] = ["grad", "vjp"];

export interface CompileOptions {
  /** Used in diagnostics and the generated header. Default `input.grad`. */
  readonly filename?: string;
  /** Which derivative functions to generate. Default `["grad", "vjp"]`. */
  readonly modes?: readonly Mode[];
  /** Where generated code imports the runtime from. Default `gradc/runtime`. */
  readonly runtimeImport?: string;
  /** Validate arguments in generated code (default true). */
  readonly checks?: boolean;
}

export interface CompileResult {
  /** The generated TypeScript module, or undefined when there are errors. */
  readonly code: string | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/** Front end and middle end: everything up to emission. */
export function analyze(
  source: string,
  filename: string,
): { functions: DerivedFunction[]; sink: DiagnosticSink } {
  const sink = new DiagnosticSink(filename, source);
  const program = parse(source, filename, sink);
  if (program === undefined) return { functions: [], sink };
  const checked = checkProgram(program, sink);
  if (sink.hasErrors) return { functions: [], sink };
  const byName = new Map(checked.functions.map((f) => [f.name, f]));
  const functions: DerivedFunction[] = [];
  for (const fn of checked.functions) {
    functions.push(deriveFunction(fn, lowerFunction(fn, byName, source)));
  }
  return { functions, sink };
}

export async function compile(source: string, options: CompileOptions = {}): Promise<CompileResult> {
  const filename = options.filename ?? "input.grad";
  const optionErrors = checkOptions(options, filename);
  try {
    const analyzed = analyze(source, filename);
    const diagnostics = [...optionErrors, ...analyzed.sink.diagnostics];
    if (diagnostics.some((d) => d.severity === "error")) return { code: undefined, diagnostics };
    const code = await emitModule(analyzed.functions, {
      filename: baseName(filename),
      runtimeImport: options.runtimeImport ?? "gradc/runtime",
      checks: options.checks ?? true,
      modes: new Set(options.modes ?? defaultModes),
    });
    return { code, diagnostics };
  } catch (error) {
    // A bug or a resource limit, never the user's fault: report it rather than reject.
    const sink = new DiagnosticSink(filename);
    const reason = error instanceof RangeError ? "the program is too large to compile" : String(error);
    sink.error(codes.internal, `internal compiler error: ${reason} (please report this)`, wholeFile);
    return { code: undefined, diagnostics: [...optionErrors, ...sink.diagnostics] };
  }
}

/** Diagnostics only: what `compile` would report, without generating code. */
export function check(
  source: string,
  options: CompileOptions = {},
): { readonly diagnostics: readonly Diagnostic[] } {
  const filename = options.filename ?? "input.grad";
  return { diagnostics: [...checkOptions(options, filename), ...analyze(source, filename).sink.diagnostics] };
}

function checkOptions(options: CompileOptions, filename: string): readonly Diagnostic[] {
  const sink = new DiagnosticSink(filename);
  for (const mode of options.modes ?? defaultModes) {
    if (!allModes.includes(mode)) {
      sink.error(codes.badOption, `unknown mode '${mode}'; modes are ${allModes.join(", ")}`, wholeFile);
    }
  }
  return sink.diagnostics;
}

const start = { offset: 0, line: 1, column: 1 };
const wholeFile = { start, end: start };

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}
