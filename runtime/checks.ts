import { ShapeError } from "./errors.js";
import { isMatrix } from "./matrix.js";
import { Workspace } from "./workspace.js";

// Argument checks called at the top of generated functions (omitted with `--no-checks`).
// Each throws a ShapeError naming the parameter and, when one is involved, the dimension.

/**
 * Checks that `value` is a `number` (NaN and infinities allowed).
 * @example checkScalar(b, "b") // throws "b must be a number, got Float64Array"
 */
export function checkScalar(value: unknown, param: string): void {
  if (typeof value !== "number") {
    throw new ShapeError(`${param} must be a number, got ${describeValue(value)}`);
  }
}

/**
 * Checks that `value` is a `Float64Array` and, when `length` is given, that it has that length.
 * `dim` is the dimension's source text: a name gives `"x has length 4, but d = 3"`, a number
 * literal (or nothing) gives `"x has length 4, expected 3"`. Returns the length, so generated
 * code can bind a symbolic dimension from its first use: `const d = checkVector(w, "w")`.
 */
export function checkVector(value: unknown, param: string, length?: number, dim?: string): number {
  if (!(value instanceof Float64Array)) {
    throw new ShapeError(`${param} must be a Float64Array, got ${describeValue(value)}`);
  }
  if (value.length === 0) throw new ShapeError(`${param} is empty; a vector has at least one element`);
  if (length !== undefined && value.length !== length) {
    throw new ShapeError(`${param} has length ${value.length}, ${expectation(length, dim)}`);
  }
  return value.length;
}

/**
 * Checks that `value` is a well-formed `Matrix` (see `isMatrix`) and, when `rows` / `cols` are
 * given, that it has that many rows / columns. `rowsDim` and `colsDim` are the dimensions' source
 * text, as for `checkVector`: `"X has 4 columns, but d = 3"`, `"X has 2 rows, expected 3"`.
 */
export function checkMatrix(
  value: unknown,
  param: string,
  rows: number | undefined,
  rowsDim: string,
  cols: number | undefined,
  colsDim: string,
): void {
  if (!isMatrix(value)) {
    throw new ShapeError(`${param} must be a Matrix, got ${describeValue(value)}`);
  }
  // real[n, n]: the rows bind n, and the columns must agree.
  if (cols === undefined && colsDim !== "" && colsDim === rowsDim) cols = rows ?? value.rows;
  if (rows !== undefined && value.rows !== rows) {
    const has = value.rows === 1 ? "1 row" : `${value.rows} rows`;
    throw new ShapeError(`${param} has ${has}, ${expectation(rows, rowsDim)}`);
  }
  if (cols !== undefined && value.cols !== cols) {
    const has = value.cols === 1 ? "1 column" : `${value.cols} columns`;
    throw new ShapeError(`${param} has ${has}, ${expectation(cols, colsDim)}`);
  }
}

/** `"but d = 3"` for a named dimension, `"expected 3"` for a literal or no dimension text. */
function expectation(size: number, dim: string | undefined): string {
  return dim === undefined || dim === "" || /^[0-9]/.test(dim) ? `expected ${size}` : `but ${dim} = ${size}`;
}

/** A short name for the kind of `value`, for error messages: `number`, `Float64Array`, `Matrix`, … */
function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value !== "object") return typeof value;
  if (isMatrix(value)) return `Matrix (${value.rows} × ${value.cols})`;
  if ("rows" in value && "cols" in value && "data" in value) return "malformed Matrix";
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" ? name : "object";
}

/**
 * Checks that a direction (`tangent` of `…Jvp`, `direction` of `…Hvp`) is an
 * object, before its entries are read and checked one by one.
 */
export function checkDirection(value: unknown, param: string): void {
  if (typeof value !== "object" || value === null || value instanceof Float64Array) {
    throw new ShapeError(
      `${param} must be an object with one entry per parameter, got ${describeValue(value)}`,
    );
  }
}

/**
 * Checks that `value`, when given, is a `Workspace` (of this runtime or of a copy of it, as an
 * `--inline-runtime` module holds: it has the methods).
 * @example checkWorkspace({}, "workspace") // throws "workspace must be a Workspace, got Object"
 */
export function checkWorkspace(value: unknown, param: string): void {
  if (value === undefined || value instanceof Workspace) return;
  const methods = value as { vector?: unknown; matrix?: unknown; part?: unknown } | null;
  const structural = ["vector", "matrix", "part"] as const;
  if (methods === null || !structural.every((m) => typeof methods?.[m] === "function")) {
    throw new ShapeError(`${param} must be a Workspace, got ${describeValue(value)}`);
  }
}
