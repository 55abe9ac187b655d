// The programmatic API of gradc.
export {
  compile,
  check,
  allModes,
  defaultModes,
  type CompileOptions,
  type CompileResult,
  type FunctionModes,
  type Mode,
} from "./compile.js";
export { formatDiagnostic, type Diagnostic, type Severity } from "./diagnostics.js";
export type { SourceMap } from "./source-map.js";
export {
  explain,
  type ExplainOptions,
  type ExplainResult,
  type Derivation,
  type Variable,
  type LocalDerivative,
  type AdjointStep,
  type ExplainedResult,
} from "./explain.js";
export type { ExplainFormat } from "./explain-print.js";
export type { Formula, FormulaOperator } from "./notation.js";
export { defineConfig, type GradcConfig, type GradcOverride } from "./config.js";
export { toJavaScript, declarationsOf, javaScriptSourceMap, formatEmitted } from "./emit-js.js";
