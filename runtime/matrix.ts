import { ShapeError } from "./errors.js";

/** A dense matrix of `rows × cols` numbers stored row-major: entry (i, j) is `data[i * cols + j]`. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

/** A new `Float64Array` holding a copy of `values`, e.g. `vec([1, 2, 3])`. */
export function vec(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values);
}

/**
 * A matrix from an array of rows, e.g. `mat([[1, 2], [3, 4]])`.
 * Throws `ShapeError` when there are no rows, no columns, or the rows differ in length.
 */
export function mat(rows: number[][]): Matrix {
  const m = rows.length;
  const first = rows[0];
  if (first === undefined || first.length === 0) {
    throw new ShapeError("mat: a matrix needs at least one row and one column");
  }
  const n = first.length;
  const data = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const row = rows[i]!;
    if (row.length !== n) {
      throw new ShapeError(`mat: row ${i} has ${row.length} entries, but row 0 has ${n}`);
    }
    for (let j = 0; j < n; j++) data[i * n + j] = row[j]!;
  }
  return { rows: m, cols: n, data };
}

/**
 * A `rows × cols` matrix over row-major `data`, or of zeros when `data` is omitted.
 * A `Float64Array` is used as is (not copied), so kernels can wrap their output buffers;
 * any other array-like is copied. Throws `ShapeError` unless `rows` and `cols` are positive
 * integers and `data` has exactly `rows * cols` entries.
 */
export function matrix(rows: number, cols: number, data?: ArrayLike<number>): Matrix {
  if (!Number.isInteger(rows) || rows < 1) {
    throw new ShapeError(`matrix: rows must be a positive integer, got ${rows}`);
  }
  if (!Number.isInteger(cols) || cols < 1) {
    throw new ShapeError(`matrix: cols must be a positive integer, got ${cols}`);
  }
  if (data === undefined) return { rows, cols, data: new Float64Array(rows * cols) };
  if (data.length !== rows * cols) {
    throw new ShapeError(
      `matrix: data has length ${data.length}, expected ${rows} × ${cols} = ${rows * cols}`,
    );
  }
  return { rows, cols, data: data instanceof Float64Array ? data : Float64Array.from(data) };
}

/**
 * Whether `value` is a well-formed `Matrix`: an object with integer `rows` and `cols` ≥ 1 and a
 * `Float64Array` `data` of length `rows * cols`.
 */
export function isMatrix(value: unknown): value is Matrix {
  if (typeof value !== "object" || value === null) return false;
  const { rows, cols, data } = value as { rows?: unknown; cols?: unknown; data?: unknown };
  return (
    typeof rows === "number" &&
    typeof cols === "number" &&
    Number.isInteger(rows) &&
    Number.isInteger(cols) &&
    rows >= 1 &&
    cols >= 1 &&
    data instanceof Float64Array &&
    data.length === rows * cols
  );
}
