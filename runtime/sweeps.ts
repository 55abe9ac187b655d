// Helpers for building Jacobians and Hessians from one sweep per row or column
// (used by the generated `…Jacobian` and `…Hessian` functions).

import type { Matrix } from "./matrix.js";

/** A value of the generated API: a scalar, a vector or a matrix. */
export type Tensor = number | Float64Array | Matrix;

/** The unit vector e_index of the given length (all zeros when index is out of range). */
export function unit(length: number, index: number): Float64Array {
  const out = new Float64Array(length);
  if (index >= 0 && index < length) out[index] = 1;
  return out;
}

/** A value's entries in row-major order. */
export function flatten(value: Tensor): Float64Array {
  if (typeof value === "number") return Float64Array.of(value);
  return value instanceof Float64Array ? value : value.data;
}

/** Writes `parts`, flattened and one after another, into row `row` of `m`. */
export function setRow(m: Matrix, row: number, ...parts: Tensor[]): void {
  let offset = row * m.cols;
  for (const part of parts) {
    const values = flatten(part);
    m.data.set(values, offset);
    offset += values.length;
  }
}

/** Writes `parts`, flattened and one after another, into column `column` of `m`. */
export function setColumn(m: Matrix, column: number, ...parts: Tensor[]): void {
  let row = 0;
  for (const part of parts) {
    for (const v of flatten(part)) m.data[row++ * m.cols + column] = v;
  }
}
