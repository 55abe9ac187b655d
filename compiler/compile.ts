// The pipeline: parse → check → lower → differentiate → optimize → emit.
// `compile` is a pure function of (source, options): no file system, no global
// state, deterministic output; bad source yields diagnostics, never a throw.

import { checkProgram } from "./check.js";
import { deriveFunction, type DerivedFunction } from "./derive.js";
import { codes, DiagnosticSink, type Diagnostic } from "./diagnostics.js";
import { emitModule } from "./emit.js";
import { lowerFunction } from "./lower.js";
import { parse } from "./parse.js";
import { formatShape } from "./shapes.js";

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
  /** Copy the runtime pieces the module uses into it, instead of importing `runtimeImport`. */
  readonly inlineRuntime?: boolean;
}

export interface CompileResult {
  /** The generated TypeScript module, or undefined when there are errors. */
  readonly code: string | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

/** The front end: parse and check, reporting every error of each stage. */
function front(source: string, filename: string, modes: readonly Mode[] = defaultModes) {
  const sink = new DiagnosticSink(filename, source);
  const program = parse(source, filename, sink);
  const checked = program === undefined ? undefined : checkProgram(program, sink);
  if (checked !== undefined && modes.includes("hessian")) {
    for (const fn of checked.functions) {
      if (fn.resultShape.length > 0) {
        sink.warning(
          codes.modeNotApplicable,
          `'${fn.name}' returns ${formatShape(fn.resultShape)}: Hessians are generated for functions that return real`,
          fn.decl.name.span,
        );
      }
    }
  }
  return { sink, checked: sink.hasErrors ? undefined : checked };
}

/** Front end and middle end: everything up to emission, for the given modes. */
export function analyze(
  source: string,
  filename: string,
  modes: readonly Mode[] = defaultModes,
): { functions: DerivedFunction[]; sink: DiagnosticSink } {
  const { sink, checked } = front(source, filename, modes);
  if (checked === undefined) return { functions: [], sink };
  const byName = new Map(checked.functions.map((f) => [f.name, f]));
  const wanted = new Set(modes);
  const functions = checked.functions.map((fn) =>
    deriveFunction(fn, lowerFunction(fn, byName, source), wanted),
  );
  return { functions, sink };
}

export async function compile(source: string, options: CompileOptions = {}): Promise<CompileResult> {
  const filename = options.filename ?? "input.grad";
  const optionErrors = checkOptions(options, filename);
  try {
    const analyzed = analyze(source, filename, options.modes ?? defaultModes);
    const diagnostics = [...optionErrors, ...analyzed.sink.diagnostics];
    if (diagnostics.some((d) => d.severity === "error")) return { code: undefined, diagnostics };
    const code = await emitModule(analyzed.functions, {
      filename: baseName(filename),
      runtimeImport: options.runtimeImport ?? "gradc/runtime",
      checks: options.checks ?? true,
      modes: new Set(options.modes ?? defaultModes),
      inlineRuntime: options.inlineRuntime ?? false,
    });
    return { code, diagnostics };
  } catch (error) {
    return { code: undefined, diagnostics: [...optionErrors, internalError(filename, error)] };
  }
}

/** A bug or a resource limit, never the user's fault: reported as a diagnostic, not thrown. */
function internalError(filename: string, error: unknown): Diagnostic {
  const sink = new DiagnosticSink(filename);
  const reason = error instanceof RangeError ? "the program is too large to compile" : String(error);
  sink.error(codes.internal, `internal compiler error: ${reason} (please report this)`, wholeFile);
  return sink.diagnostics[0]!;
}

/** Diagnostics only: what `compile` would report, without generating code. */
export function check(
  source: string,
  options: CompileOptions = {},
): { readonly diagnostics: readonly Diagnostic[] } {
  const filename = options.filename ?? "input.grad";
  const optionErrors = checkOptions(options, filename);
  try {
    return { diagnostics: [...optionErrors, ...front(source, filename, options.modes).sink.diagnostics] };
  } catch (error) {
    return { diagnostics: [...optionErrors, internalError(filename, error)] };
  }
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
