// The programmatic API of gradc.
export {
  compile,
  check,
  allModes,
  defaultModes,
  type CompileOptions,
  type CompileResult,
  type Mode,
} from "./compile.js";
export { formatDiagnostic, type Diagnostic, type Severity } from "./diagnostics.js";
