// Central finite differences and seeded random inputs over scalars, vectors
// and matrices (the runtime's row-major `Matrix`), independent of the
// runtime's gradcheck, for checking generated matrix derivatives.
// Extends test/support/numeric.ts, which handles number | Float64Array.

import type { Matrix } from "../../runtime/index.js";
import { uniform } from "./numeric.js";

export { maxRelativeError, random, uniform } from "./numeric.js";

export type MValue = number | Float64Array | Matrix;

/** A plain `Matrix` (no runtime code involved). */
export function makeMatrix(rows: number, cols: number, data: ArrayLike<number>): Matrix {
  if (data.length !== rows * cols)
    throw new Error(`makeMatrix: ${data.length} entries for ${rows} × ${cols}`);
  return { rows, cols, data: Float64Array.from(data) };
}

/** A matrix from its rows, e.g. `M([[1, 2], [3, 4]])`. */
export function M(rows: readonly (readonly number[])[]): Matrix {
  const cols = rows[0]!.length;
  return makeMatrix(rows.length, cols, rows.flat());
}

export function isMatrixValue(v: unknown): v is Matrix {
  return typeof v === "object" && v !== null && !(v instanceof Float64Array) && "rows" in v && "data" in v;
}

/** A deep copy, so a perturbed argument never aliases the original. */
export function copyValue(v: MValue): MValue {
  if (typeof v === "number") return v;
  if (v instanceof Float64Array) return Float64Array.from(v);
  return { rows: v.rows, cols: v.cols, data: Float64Array.from(v.data) };
}

/** The entries of a value, row-major for a matrix. */
export function flatM(v: MValue): number[] {
  if (typeof v === "number") return [v];
  if (v instanceof Float64Array) return Array.from(v);
  return Array.from(v.data);
}

export function sizeOfValue(v: MValue): number {
  return typeof v === "number" ? 1 : v instanceof Float64Array ? v.length : v.data.length;
}

/** `2`, `[1, 2]`, `[[1, 2], [3, 4]]`: for failure messages. */
export function describeValue(v: MValue): string {
  if (typeof v === "number") return String(v);
  if (v instanceof Float64Array) return `[${Array.from(v).join(", ")}]`;
  const rows: string[] = [];
  for (let i = 0; i < v.rows; i++)
    rows.push(`[${Array.from(v.data.subarray(i * v.cols, (i + 1) * v.cols)).join(", ")}]`);
  return `[${rows.join(", ")}]`;
}

/** The kind and size of a value: `real`, `real[3]`, `real[2, 3]`. */
export function shapeOf(v: unknown): string {
  if (typeof v === "number") return "real";
  if (v instanceof Float64Array) return `real[${v.length}]`;
  if (isMatrixValue(v)) return `real[${v.rows}, ${v.cols}]`;
  return `not a value (${typeof v})`;
}

/** A copy of `v` with entry k (row-major) moved by `delta`. */
function shifted(v: MValue, k: number, delta: number): MValue {
  const c = copyValue(v);
  if (typeof c === "number") return c + delta;
  if (c instanceof Float64Array) c[k] = c[k]! + delta;
  else c.data[k] = c.data[k]! + delta;
  return c;
}

function entry(v: MValue, k: number): number {
  return typeof v === "number" ? v : v instanceof Float64Array ? v[k]! : v.data[k]!;
}

/**
 * The derivative of `f` (any result, flattened row-major) with respect to
 * every entry of argument `arg` (flattened row-major), by central
 * differences with a step h · max(1, |entry|): one column per entry.
 */
export function numericJacobianColumnsM(
  f: (...args: MValue[]) => MValue,
  args: readonly MValue[],
  arg: number,
  h = 1e-6,
): number[][] {
  const base = args[arg]!;
  const columns: number[][] = [];
  for (let k = 0; k < sizeOfValue(base); k++) {
    const step = h * Math.max(1, Math.abs(entry(base, k)));
    const at = (delta: number) => {
      const moved = args.map(copyValue);
      moved[arg] = shifted(base, k, delta * step);
      return flatM(f(...moved));
    };
    const plus = at(1);
    const minus = at(-1);
    columns.push(plus.map((p, i) => (p - minus[i]!) / (2 * step)));
  }
  return columns;
}

/** The gradient of a scalar function with respect to argument `arg`, flattened row-major. */
export function numericGradientM(
  f: (...args: MValue[]) => MValue,
  args: readonly MValue[],
  arg: number,
  h = 1e-6,
): number[] {
  return numericJacobianColumnsM(f, args, arg, h).map((column) => column[0]!);
}

/** The vector–Jacobian product Σᵢ seedᵢ ∂fᵢ/∂(argument `arg`), flattened row-major. */
export function numericVjp(
  f: (...args: MValue[]) => MValue,
  args: readonly MValue[],
  arg: number,
  seed: MValue,
  h = 1e-6,
): number[] {
  const s = flatM(seed);
  return numericJacobianColumnsM(f, args, arg, h).map((column) =>
    column.reduce((acc, d, i) => acc + s[i]! * d, 0),
  );
}

export function randomMatrix(rand: () => number, rows: number, cols: number, lo = -2, hi = 2): Matrix {
  return makeMatrix(
    rows,
    cols,
    Array.from({ length: rows * cols }, () => uniform(rand, lo, hi)),
  );
}

/**
 * n·I plus noise in [-noise, noise] on every entry: strictly diagonally
 * dominant with a positive diagonal when noise < 1, so it is invertible with
 * det > 0 (Gershgorin) and well conditioned. Not symmetric, so X⁻¹ and X⁻ᵀ differ.
 */
export function wellConditioned(rand: () => number, n: number, noise = 0.5): Matrix {
  return makeMatrix(
    n,
    n,
    Array.from(
      { length: n * n },
      (_, k) => (Math.floor(k / n) === k % n ? n : 0) + uniform(rand, -noise, noise),
    ),
  );
}

/** A random value shaped like `like` (a seed for a vector–Jacobian product). */
export function randomLike(rand: () => number, like: MValue, lo = -1.5, hi = 1.5): MValue {
  if (typeof like === "number") return uniform(rand, lo, hi);
  if (like instanceof Float64Array) return Float64Array.from(like, () => uniform(rand, lo, hi));
  return randomMatrix(rand, like.rows, like.cols, lo, hi);
}
