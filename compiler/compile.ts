// The pipeline: parse → check → lower → differentiate → optimize → emit.
// `compile` is a pure function of (source, options): no file system, no global
// state, deterministic output; bad source yields diagnostics, never a throw.

import { checkProgram } from "./check.js";
import {
  deriveCallDerivatives,
  deriveFunction,
  type CallDerivative,
  type DerivedFunction,
} from "./derive.js";
import { codes, DiagnosticSink, type Diagnostic } from "./diagnostics.js";
import { emitModule } from "./emit.js";
import { callsAsCalls, lowerFunction, type LoweredFunction } from "./lower.js";
import { parse } from "./parse.js";
import { printIR, printProgram } from "./ir.js";
import { formatShape } from "./shapes.js";
import { buildSourceMap, outlineOf, withInlineSourceMap, type SourceMap } from "./source-map.js";

export type Mode = "grad" | "vjp" | "jvp" | "jacobian" | "hessian";
export const allModes: readonly Mode[] = ["grad", "vjp", "jvp", "jacobian", "hessian"];
export const defaultModes: readonly Mode[] = ["grad", "vjp"];
/** The module generated code imports the runtime from, unless told otherwise. */
export const defaultRuntimeImport = "gradc-runtime";

/** Modes for single functions, by name: each replaces `modes` for that function. */
export type FunctionModes = Readonly<Record<string, readonly Mode[]>>;

export interface CompileOptions {
  /** Used in diagnostics and the generated header. Default `input.grad`. */
  readonly filename?: string;
  /** Which derivative functions to generate. Default `["grad", "vjp"]`. */
  readonly modes?: readonly Mode[];
  /**
   * Modes for single functions, replacing `modes` for them: `{ loss: ["grad", "hessian"] }`
   * asks a Hessian of `loss` only. Each name must be a function of the file.
   */
  readonly functionModes?: FunctionModes;
  /** Where generated code imports the runtime from. Default `gradc-runtime`. */
  readonly runtimeImport?: string;
  /** Validate arguments in generated code (default true). */
  readonly checks?: boolean;
  /** Copy the runtime pieces the module uses into it, instead of importing `runtimeImport`. */
  readonly inlineRuntime?: boolean;
  /** Format the output with prettier (default true); without, compiles take a tenth of the time. */
  readonly format?: boolean;
  /**
   * What `code` holds: the TypeScript module (default), or `"ir"`, the text of the IR — each
   * function as lowered, then every program its modes derive.
   */
  readonly emit?: "typescript" | "ir";
  /**
   * Also map the generated lines back to the .grad lines: `true` returns the map as `map` and
   * leaves `code` as without it; `"inline"` also appends the map to `code` as a
   * `//# sourceMappingURL=data:application/json;base64,...` comment. TypeScript output only.
   */
  readonly sourceMap?: boolean | "inline";
}

export interface CompileResult {
  /** The generated TypeScript module, or undefined when there are errors. */
  readonly code: string | undefined;
  readonly diagnostics: readonly Diagnostic[];
  /**
   * With the `sourceMap` option and no errors: the Source Map v3 object (`JSON.stringify` it
   * to write a `.map` file). Its one source is the base name of `filename`.
   */
  readonly map?: SourceMap;
}

/** The front end: parse and check, reporting every error of each stage. */
export function front(
  source: string,
  filename: string,
  modes: readonly Mode[] = defaultModes,
  functionModes: FunctionModes = {},
) {
  const sink = new DiagnosticSink(filename, source);
  const program = parse(source, filename, sink);
  if (program !== undefined) checkFunctionModeNames(program.functions, functionModes, sink);
  const checked = program === undefined ? undefined : checkProgram(program, sink);
  if (checked !== undefined) {
    for (const fn of checked.functions) {
      if (!modesOf(fn.name, modes, functionModes).includes("hessian")) continue;
      if (fn.resultShape.length > 0) {
        sink.warning(
          codes.modeNotApplicable,
          `'${fn.name}' returns ${formatShape(fn.resultShape)}: Hessians are generated for functions that return real`,
          fn.decl.name.span,
        );
      } else if (fn.wrt.length === 0) {
        sink.warning(
          codes.modeNotApplicable,
          `'${fn.name}' has no parameters: there is no Hessian to generate`,
          fn.decl.name.span,
        );
      }
    }
  }
  return { sink, checked: sink.hasErrors ? undefined : checked };
}

/** The modes of one function: its own, if it has an entry in `functionModes`, else the file's. */
function modesOf(name: string, modes: readonly Mode[], functionModes: FunctionModes): readonly Mode[] {
  return Object.hasOwn(functionModes, name) ? functionModes[name]! : modes;
}

/** A `functionModes` entry must name a function of the file: a misspelt name would do nothing. */
function checkFunctionModeNames(
  functions: readonly { readonly name: { readonly name: string } }[],
  functionModes: FunctionModes,
  sink: DiagnosticSink,
): void {
  const defined = functions.map((fn) => fn.name.name);
  for (const name of Object.keys(functionModes)) {
    if (defined.includes(name)) continue;
    const list = defined.map((n) => `'${n}'`).join(", ");
    sink.error(
      codes.badOption,
      `functionModes names '${name}', which is not a function of the file (it defines ${list})`,
      wholeFile,
    );
  }
}

/** The names of the functions `source` defines, in order; undefined if it does not parse. */
export function functionNames(source: string): string[] | undefined {
  const program = parse(source, "input.grad", new DiagnosticSink("input.grad"));
  return program?.functions.map((fn) => fn.name.name);
}

/** Front end and middle end: everything up to emission, for the given modes. */
export function analyze(
  source: string,
  filename: string,
  modes: readonly Mode[] = defaultModes,
  functionModes: FunctionModes = {},
): { functions: DerivedFunction[]; calls: CallDerivative[]; sink: DiagnosticSink } {
  const { sink, checked } = front(source, filename, modes, functionModes);
  if (checked === undefined) return { functions: [], calls: [], sink };
  const byName = new Map(checked.functions.map((f) => [f.name, f]));
  const asCalls = callsAsCalls(checked.functions, source);
  const lowered = new Map<string, LoweredFunction>();
  const functions = checked.functions.map((fn) => {
    const called = new Map([...asCalls.get(fn.name)!].map((g) => [g, lowered.get(g)!]));
    const ir = lowerFunction(fn, byName, source, called);
    lowered.set(fn.name, ir);
    return deriveFunction(fn, ir, new Set(modesOf(fn.name, modes, functionModes)));
  });
  return { functions, calls: deriveCallDerivatives(functions, lowered), sink };
}

export async function compile(source: string, options: CompileOptions = {}): Promise<CompileResult> {
  const { options: valid, errors: optionErrors } = checkOptions(options);
  options = valid;
  const filename = options.filename ?? "input.grad";
  if (typeof source !== "string") {
    return {
      code: undefined,
      diagnostics: [...optionErrors, optionError(filename, "the source must be a string")],
    };
  }
  if (optionErrors.length > 0) return { code: undefined, diagnostics: optionErrors };
  try {
    const analyzed = analyze(source, filename, options.modes ?? defaultModes, options.functionModes);
    const diagnostics = [...optionErrors, ...analyzed.sink.diagnostics];
    if (diagnostics.some((d) => d.severity === "error")) return { code: undefined, diagnostics };
    if (options.emit === "ir") return { code: printDerived(analyzed.functions, analyzed.calls), diagnostics };
    const code = await emitModule(analyzed.functions, analyzed.calls, {
      filename: baseName(filename),
      runtimeImport: options.runtimeImport ?? defaultRuntimeImport,
      checks: options.checks ?? true,
      inlineRuntime: options.inlineRuntime ?? false,
      format: options.format ?? true,
    });
    if (options.sourceMap === undefined || options.sourceMap === false) return { code, diagnostics };
    const decls = analyzed.functions.map((fn) => fn.checked.decl);
    const map = buildSourceMap(code, source, outlineOf(source, decls), { source: baseName(filename) });
    return { code: options.sourceMap === "inline" ? withInlineSourceMap(code, map) : code, diagnostics, map };
  } catch (error) {
    return { code: undefined, diagnostics: [...optionErrors, internalError(filename, error)] };
  }
}

/** A bug or a resource limit, never the user's fault: reported as a diagnostic, not thrown. */
export function internalError(filename: string, error: unknown): Diagnostic {
  const sink = new DiagnosticSink(filename);
  // One plain line: a library's message may carry a multi-line report with terminal colours.
  const firstLine = String(error)
    .replace(/\u001b\[[0-9;]*m/g, "")
    .split(/\r?\n/)[0]!;
  const reason = error instanceof RangeError ? "the program is too large to compile" : firstLine;
  sink.error(codes.internal, `internal compiler error: ${reason} (please report this)`, wholeFile);
  return sink.diagnostics[0]!;
}

/** Diagnostics only: what `compile` would report, without generating code. */
export function check(
  source: string,
  options: CompileOptions = {},
): { readonly diagnostics: readonly Diagnostic[] } {
  const { options: valid, errors: optionErrors } = checkOptions(options);
  options = valid;
  const filename = options.filename ?? "input.grad";
  if (typeof source !== "string") {
    return { diagnostics: [...optionErrors, optionError(filename, "the source must be a string")] };
  }
  try {
    return {
      diagnostics: [
        ...optionErrors,
        ...front(source, filename, options.modes, options.functionModes).sink.diagnostics,
      ],
    };
  } catch (error) {
    return { diagnostics: [...optionErrors, internalError(filename, error)] };
  }
}

/**
 * The options as given, minus any that are malformed (each reported), so the
 * API answers a JavaScript caller's mistake with a diagnostic, as the CLI does.
 */
function checkOptions(given: unknown): { options: CompileOptions; errors: readonly Diagnostic[] } {
  const errors: Diagnostic[] = [];
  if (given === undefined || given === null) return { options: {}, errors };
  if (typeof given !== "object" || Array.isArray(given)) {
    return { options: {}, errors: [optionError("input.grad", "options must be an object")] };
  }
  const raw = given as Record<string, unknown>;
  const options: { -readonly [K in keyof CompileOptions]: CompileOptions[K] } = {};
  const filename = typeof raw.filename === "string" ? raw.filename : "input.grad";
  const bad = (message: string) => errors.push(optionError(filename, message));
  if (raw.filename !== undefined) {
    if (typeof raw.filename === "string" && raw.filename !== "") options.filename = raw.filename;
    else bad("filename must be a non-empty string");
  }
  if (raw.modes !== undefined) {
    if (!Array.isArray(raw.modes)) bad(`modes must be an array of ${allModes.join(", ")}`);
    else {
      const unknown = raw.modes.filter((m) => !allModes.includes(m as Mode));
      for (const mode of unknown) bad(`unknown mode '${String(mode)}'; modes are ${allModes.join(", ")}`);
      if (unknown.length === 0) options.modes = raw.modes as Mode[];
    }
  }
  if (raw.functionModes !== undefined) {
    const functionModes = checkFunctionModes(raw.functionModes, bad);
    if (functionModes !== undefined) options.functionModes = functionModes;
  }
  if (raw.runtimeImport !== undefined) {
    if (
      typeof raw.runtimeImport === "string" &&
      raw.runtimeImport.trim() !== "" &&
      !/[\r\n]/.test(raw.runtimeImport)
    )
      options.runtimeImport = raw.runtimeImport;
    else bad("runtimeImport must be a non-empty module specifier");
  }
  if (raw.emit !== undefined) {
    if (raw.emit === "typescript" || raw.emit === "ir") options.emit = raw.emit;
    else bad(`emit must be "typescript" or "ir"`);
  }
  if (raw.sourceMap !== undefined) {
    if (raw.sourceMap !== true && raw.sourceMap !== false && raw.sourceMap !== "inline") {
      bad(`sourceMap must be true, false or "inline"`);
    } else if (raw.sourceMap !== false && options.emit === "ir") {
      bad(`sourceMap maps TypeScript output; it cannot be combined with emit: "ir"`);
    } else options.sourceMap = raw.sourceMap;
  }
  for (const key of ["checks", "inlineRuntime", "format"] as const) {
    if (raw[key] === undefined) continue;
    if (typeof raw[key] === "boolean") options[key] = raw[key];
    else bad(`${key} must be true or false`);
  }
  return { options, errors };
}

/** `functionModes` as given, if it maps names to arrays of modes; else undefined, each fault reported. */
function checkFunctionModes(given: unknown, bad: (message: string) => void): FunctionModes | undefined {
  if (typeof given !== "object" || given === null || Array.isArray(given)) {
    bad("functionModes must be an object mapping function names to arrays of modes");
    return undefined;
  }
  let ok = true;
  for (const [name, modes] of Object.entries(given)) {
    if (!Array.isArray(modes)) {
      bad(`functionModes.${name} must be an array of ${allModes.join(", ")}`);
      ok = false;
      continue;
    }
    for (const mode of modes.filter((m) => !allModes.includes(m as Mode))) {
      bad(`unknown mode '${String(mode)}' in functionModes.${name}; modes are ${allModes.join(", ")}`);
      ok = false;
    }
  }
  return ok ? (given as FunctionModes) : undefined;
}

function optionError(filename: string, message: string): Diagnostic {
  const sink = new DiagnosticSink(filename);
  sink.error(codes.badOption, message, wholeFile);
  return sink.diagnostics[0]!;
}

const start = { offset: 0, line: 1, column: 1 };
export const wholeFile = { start, end: start };

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}

/**
 * The IR text of each function: as lowered, then each program the modes derive, named after
 * the export it becomes (`fGrad`, `fForward`, `fBackward`, `fJvp`, `fHvp`).
 */
function printDerived(functions: readonly DerivedFunction[], calls: readonly CallDerivative[]): string {
  const blocks: string[] = [];
  for (const fn of functions) {
    const name = fn.checked.name;
    const params = fn.lowered.ir.params;
    const names = fn.lowered.values.nameOf;
    blocks.push(
      printIR(fn.lowered.ir, names),
      printProgram(name, params, fn.value.body, fn.value.outputs, names),
    );
    if (fn.grad !== undefined) {
      blocks.push(printProgram(`${name}Grad`, params, fn.grad.program.body, fn.grad.program.outputs, names));
    }
    if (fn.split !== undefined) {
      const { forward, backward, seeds, tape } = fn.split;
      blocks.push(
        printProgram(`${name}Forward`, params, forward.body, [...forward.outputs, ...tape], names),
        printProgram(`${name}Backward`, [...tape, ...seeds], backward.body, backward.outputs, names),
      );
    }
    for (const [suffix, program] of [
      ["Jvp", fn.jvp],
      ["Hvp", fn.hvp],
    ] as const) {
      if (program === undefined) continue;
      const inputs = [...params, ...program.directions.map((d) => d.value)];
      blocks.push(printProgram(name + suffix, inputs, program.program.body, program.program.outputs, names));
    }
  }
  for (const d of calls) {
    const inputs = [...d.lowered.ir.params, ...d.inputs];
    blocks.push(
      printProgram(`'${d.key}'`, inputs, d.program.body, d.program.outputs, d.lowered.values.nameOf),
    );
  }
  return `${blocks.join("\n\n")}\n`;
}
