import { ShapeError } from "./errors.js";
import {
  logsumexpStrided,
  prodExceptTangentStrided,
  sumColumns,
  sumRows,
  tileColumns,
  tileRows,
  zeroed,
} from "./kernels.js";
import type { Matrix } from "./matrix.js";

// Reductions of a matrix along an axis, their gradients' building blocks, and the broadcast back.
// As in NumPy, axis 0 reduces down each column (one result per column) and axis 1 along each row
// (one result per row). Each function allocates only its result, walks the row-major data
// contiguously (axis 0 keeps one running value per column in the result), and never mutates its
// input. A bad axis throws `ShapeError`.

/**
 * Below this, a directly accumulated Σ exp(x) or Σ x² may have lost precision to underflow; such
 * a column is recomputed with the max shift / max-abs scaling. Each underflowed term is off by at
 * most 2⁻¹⁰⁷⁵, i.e. by 2⁻¹¹⁵ relative to a sum of at least 2⁻⁹⁶⁰.
 */
const SAFE_MIN = 2 ** -960;
/** The smallest normal double: below it, exp(x) has lost significant digits. */
const MIN_NORMAL = 2 ** -1022;

function checkAxis(fn: string, axis: number): void {
  if (axis !== 0 && axis !== 1) throw new ShapeError(`${fn}: axis must be 0 or 1, got ${axis}`);
}

// ---------------------------------------------------------------------------------------------
// Max, min and where they are

/**
 * The largest element of each column (axis 0) or row (axis 1); NaN for a column or row that
 * contains a NaN.
 */
export function maxAlong(a: Matrix, axis: number): Float64Array {
  checkAxis("maxAlong", axis);
  const { rows, cols, data } = a;
  if (axis === 0) {
    const out = data.slice(0, cols);
    for (let i = 1; i < rows; i++) {
      const offset = i * cols;
      for (let j = 0; j < cols; j++) {
        const v = data[offset + j]!;
        // Once out[j] is NaN, `v > out[j]` is false, so the NaN sticks.
        if (v > out[j]! || v !== v) out[j] = v;
      }
    }
    return out;
  }
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    let m = -Infinity;
    for (let j = 0; j < cols; j++) {
      const v = data[offset + j]!;
      if (v !== v) {
        m = NaN;
        break;
      }
      if (v > m) m = v;
    }
    out[i] = m;
  }
  return out;
}

/**
 * The smallest element of each column (axis 0) or row (axis 1); NaN for a column or row that
 * contains a NaN.
 */
export function minAlong(a: Matrix, axis: number): Float64Array {
  checkAxis("minAlong", axis);
  const { rows, cols, data } = a;
  if (axis === 0) {
    const out = data.slice(0, cols);
    for (let i = 1; i < rows; i++) {
      const offset = i * cols;
      for (let j = 0; j < cols; j++) {
        const v = data[offset + j]!;
        if (v < out[j]! || v !== v) out[j] = v;
      }
    }
    return out;
  }
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    let m = Infinity;
    for (let j = 0; j < cols; j++) {
      const v = data[offset + j]!;
      if (v !== v) {
        m = NaN;
        break;
      }
      if (v < m) m = v;
    }
    out[i] = m;
  }
  return out;
}

/**
 * A 0/1 matrix the shape of `a` with a 1 at the first largest element of each column (axis 0) or
 * row (axis 1): where the derivative of `maxAlong` goes. The first NaN, if any, counts as the
 * largest, as in `argmax`.
 */
export function argmaxMaskAlong(a: Matrix, axis: number): Matrix {
  checkAxis("argmaxMaskAlong", axis);
  return extremeMask(a, axis, 1);
}

/**
 * A 0/1 matrix the shape of `a` with a 1 at the first smallest element of each column (axis 0) or
 * row (axis 1): where the derivative of `minAlong` goes. The first NaN, if any, counts as the
 * smallest, as in `argmin`.
 */
export function argminMaskAlong(a: Matrix, axis: number): Matrix {
  checkAxis("argminMaskAlong", axis);
  return extremeMask(a, axis, -1);
}

/** The mask of the first maximum (`direction` 1) or minimum (-1) along `axis`. */
function extremeMask(a: Matrix, axis: number, direction: 1 | -1): Matrix {
  const { rows, cols, data } = a;
  const out = new Float64Array(rows * cols);
  if (axis === 0) {
    // Row 0 of the result holds, per column, the row index of the best element so far (it is
    // all 0 to begin with); the 1s are written once every row has been seen.
    for (let i = 1; i < rows; i++) {
      const offset = i * cols;
      for (let j = 0; j < cols; j++) {
        const best = data[out[j]! * cols + j]!;
        if (best !== best) continue;
        const v = data[offset + j]!;
        if (v !== v || (direction > 0 ? v > best : v < best)) out[j] = i;
      }
    }
    for (let j = 0; j < cols; j++) {
      const best = out[j]!;
      out[j] = 0;
      out[best * cols + j] = 1;
    }
    return { rows, cols, data: out };
  }
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    let best = 0;
    let m = data[offset]!;
    if (m === m) {
      for (let j = 1; j < cols; j++) {
        const v = data[offset + j]!;
        if (v !== v) {
          best = j;
          break;
        }
        if (direction > 0 ? v > m : v < m) {
          best = j;
          m = v;
        }
      }
    }
    out[offset + best] = 1;
  }
  return { rows, cols, data: out };
}

// ---------------------------------------------------------------------------------------------
// Sums and products

/** The sum of each column (axis 0) or row (axis 1). */
export function sumAlong(a: Matrix, axis: number, into?: Float64Array): Float64Array {
  checkAxis("sumAlong", axis);
  return axis === 0 ? sumColumns(a, into) : sumRows(a, into);
}

/** The product of each column (axis 0) or row (axis 1). */
export function prodAlong(a: Matrix, axis: number): Float64Array {
  checkAxis("prodAlong", axis);
  const { rows, cols, data } = a;
  if (axis === 0) {
    const out = data.slice(0, cols);
    for (let i = 1; i < rows; i++) {
      const offset = i * cols;
      for (let j = 0; j < cols; j++) out[j] = out[j]! * data[offset + j]!;
    }
    return out;
  }
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    let p = 1;
    for (let j = 0; j < cols; j++) p *= data[offset + j]!;
    out[i] = p;
  }
  return out;
}

/**
 * Element (i, j) is the product of the other elements of its column (axis 0) or row (axis 1) —
 * the gradient of `prodAlong`. Uses prefix and suffix products, no division, so it is exact when
 * elements are zero.
 */
export function prodExceptAlong(a: Matrix, axis: number): Matrix {
  checkAxis("prodExceptAlong", axis);
  const { rows, cols, data } = a;
  const out = new Float64Array(rows * cols);
  if (axis === 0) {
    // Prefix products top-down: row i gets the product of rows 0..i-1 (row 0 gets 1).
    out.fill(1, 0, cols);
    for (let i = 1; i < rows; i++) {
      const offset = i * cols;
      const prev = offset - cols;
      for (let j = 0; j < cols; j++) out[offset + j] = out[prev + j]! * data[prev + j]!;
    }
    // Suffix products bottom-up. Row 0's prefix is 1, so row 0 can carry the running suffix
    // product of rows i+1.. and ends up holding the product of rows 1.., its own answer.
    out.fill(1, 0, cols);
    for (let i = rows - 1; i >= 1; i--) {
      const offset = i * cols;
      for (let j = 0; j < cols; j++) {
        out[offset + j] = out[offset + j]! * out[j]!;
        out[j] = out[j]! * data[offset + j]!;
      }
    }
    return { rows, cols, data: out };
  }
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    let prefix = 1;
    for (let j = 0; j < cols; j++) {
      out[offset + j] = prefix;
      prefix *= data[offset + j]!;
    }
    let suffix = 1;
    for (let j = cols - 1; j >= 0; j--) {
      out[offset + j] = out[offset + j]! * suffix;
      suffix *= data[offset + j]!;
    }
  }
  return { rows, cols, data: out };
}

// ---------------------------------------------------------------------------------------------
// Norms and log-sum-exp

/**
 * The Euclidean norm of each column (axis 0) or row (axis 1), without overflow for elements like
 * 1e200 or underflow for 1e-200. A row is computed exactly like `norm2`: scaled by its largest
 * |x|. Columns first sum x² directly in one contiguous pass, and any column whose sum overflowed
 * or may have underflowed is recomputed the scaled way. 0 for a zero slice, NaN if the slice
 * contains a NaN, otherwise Infinity if it contains an infinity.
 */
export function norm2Along(a: Matrix, axis: number): Float64Array {
  checkAxis("norm2Along", axis);
  const { rows, cols, data } = a;
  if (axis === 0) {
    const out = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      const offset = i * cols;
      for (let j = 0; j < cols; j++) {
        const v = data[offset + j]!;
        out[j] = out[j]! + v * v;
      }
    }
    for (let j = 0; j < cols; j++) {
      const s = out[j]!;
      out[j] = s >= SAFE_MIN && s < Infinity ? Math.sqrt(s) : scaledNorm2(data, j, cols, rows);
    }
    return out;
  }
  const out = new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = scaledNorm2(data, i * cols, 1, cols);
  return out;
}

/** `norm2` of the `count` elements data[start], data[start + stride], …. */
function scaledNorm2(data: Float64Array, start: number, stride: number, count: number): number {
  const end = start + count * stride;
  let scale = 0;
  for (let k = start; k < end; k += stride) {
    const x = Math.abs(data[k]!);
    if (x !== x) return NaN;
    if (x > scale) scale = x;
  }
  if (scale === 0 || scale === Infinity) return scale;
  let s = 0;
  for (let k = start; k < end; k += stride) {
    const t = data[k]! / scale;
    s += t * t;
  }
  return scale * Math.sqrt(s);
}

/**
 * log(Σ exp(x)) of each column (axis 0) or row (axis 1), stable for large |x|. A row is computed
 * exactly like `logsumexp`: m + log(Σ exp(x − m)) with m its max. Columns first sum exp(x)
 * directly in one contiguous pass (as accurate, while it neither overflows nor underflows), and
 * any other column is recomputed with the max shift. All −Infinity gives −Infinity, any
 * +Infinity gives +Infinity, any NaN gives NaN. Given `exponentials` (shaped like `a`), also
 * writes exp(x − logsumexp) of each entry there (the softmax along the axis, logsumexp's
 * gradient) from the exponentials it takes anyway.
 */
export function logsumexpAlong(
  a: Matrix,
  axis: number,
  into?: Float64Array,
  exponentials?: Matrix,
): Float64Array {
  checkAxis("logsumexpAlong", axis);
  const { rows, cols, data } = a;
  const e = exponentials?.data;
  if (axis === 0) {
    const out = zeroed(into, cols);
    for (let i = 0; i < rows; i++) {
      const offset = i * cols;
      if (e === undefined) {
        for (let j = 0; j < cols; j++) out[j] = out[j]! + Math.exp(data[offset + j]!);
      } else {
        for (let j = 0; j < cols; j++) out[j] = out[j]! + (e[offset + j] = Math.exp(data[offset + j]!));
      }
    }
    for (let j = 0; j < cols; j++) {
      const s = out[j]!;
      if (s >= SAFE_MIN && s < Infinity) {
        const lse = (out[j] = Math.log(s));
        if (e === undefined) continue;
        for (let k = j, inverse = 1 / s; k < e.length; k += cols) {
          // A subnormal exp(x) has lost digits: exp(x − lse) directly.
          e[k] = e[k]! >= MIN_NORMAL ? e[k]! * inverse : Math.exp(data[k]! - lse);
        }
      } else {
        out[j] = logsumexpStrided(data, j, cols, rows, e);
      }
    }
    return out;
  }
  const out = into ?? new Float64Array(rows);
  for (let i = 0; i < rows; i++) out[i] = logsumexpStrided(data, i * cols, 1, cols, e);
  return out;
}

/**
 * exp(x − m) for softmax with shift m = the slice's max. For m = +Infinity the +Infinity entries
 * share the mass equally (the limit); m = −Infinity (all −Infinity) or NaN gives NaN.
 */
function shiftedExp(x: number, m: number): number {
  return m === Infinity ? (x === Infinity ? 1 : 0) : Math.exp(x - m);
}

/**
 * The softmax exp(x) / Σ exp(x) of each column (axis 0) or row (axis 1), computed stably by
 * subtracting the slice's max first, with `softmax`'s conventions: +Infinity entries share the
 * mass equally, an all −Infinity slice gives NaN, NaN propagates to its whole slice.
 */
export function softmaxAlong(a: Matrix, axis: number): Matrix {
  checkAxis("softmaxAlong", axis);
  const { rows, cols, data } = a;
  const out = new Float64Array(rows * cols);
  if (axis === 1) {
    for (let i = 0; i < rows; i++) {
      const offset = i * cols;
      let m = -Infinity;
      for (let j = 0; j < cols; j++) {
        const v = data[offset + j]!;
        if (v !== v) {
          m = NaN;
          break;
        }
        if (v > m) m = v;
      }
      let s = 0;
      for (let j = 0; j < cols; j++) {
        const e = shiftedExp(data[offset + j]!, m);
        out[offset + j] = e;
        s += e;
      }
      for (let j = 0; j < cols; j++) out[offset + j] = out[offset + j]! / s;
    }
    return { rows, cols, data: out };
  }
  if (rows === 1) {
    for (let j = 0; j < cols; j++) {
      const e = shiftedExp(data[j]!, data[j]!);
      out[j] = e / e;
    }
    return { rows, cols, data: out };
  }
  // Rows 0 and 1 of the result hold each column's max m and sum s until the other rows are done;
  // rows 2.. hold exp(x − m) and are then divided by s; rows 1 and 0 are computed last.
  out.set(data.subarray(0, cols));
  for (let i = 1; i < rows; i++) {
    const offset = i * cols;
    for (let j = 0; j < cols; j++) {
      const v = data[offset + j]!;
      if (v > out[j]! || v !== v) out[j] = v;
    }
  }
  for (let j = 0; j < cols; j++) {
    const m = out[j]!;
    out[cols + j] = shiftedExp(data[j]!, m) + shiftedExp(data[cols + j]!, m);
  }
  for (let i = 2; i < rows; i++) {
    const offset = i * cols;
    for (let j = 0; j < cols; j++) {
      const e = shiftedExp(data[offset + j]!, out[j]!);
      out[offset + j] = e;
      out[cols + j] = out[cols + j]! + e;
    }
  }
  for (let i = 2; i < rows; i++) {
    const offset = i * cols;
    for (let j = 0; j < cols; j++) out[offset + j] = out[offset + j]! / out[cols + j]!;
  }
  for (let j = 0; j < cols; j++) {
    const m = out[j]!;
    const s = out[cols + j]!;
    out[j] = shiftedExp(data[j]!, m) / s;
    out[cols + j] = shiftedExp(data[cols + j]!, m) / s;
  }
  return { rows, cols, data: out };
}

// ---------------------------------------------------------------------------------------------
// Broadcast back

/**
 * The `rows × cols` matrix that broadcasts a reduction's result back over the axis it reduced
 * (the adjoint of `sumAlong`): for axis 0 every row is `v` (one entry per column), for axis 1
 * every column is `v` (one entry per row). Throws `ShapeError` if `v` has the wrong length or
 * `rows` / `cols` is not a positive integer.
 */
export function tileAlong(v: Float64Array, axis: number, rows: number, cols: number): Matrix {
  checkAxis("tileAlong", axis);
  if (!Number.isInteger(rows) || rows < 1) {
    throw new ShapeError(`tileAlong: rows must be a positive integer, got ${rows}`);
  }
  if (!Number.isInteger(cols) || cols < 1) {
    throw new ShapeError(`tileAlong: cols must be a positive integer, got ${cols}`);
  }
  if (axis === 0) {
    if (v.length !== cols) {
      throw new ShapeError(`tileAlong: v has length ${v.length}, expected ${cols} (one per column)`);
    }
    return tileRows(v, rows);
  }
  if (v.length !== rows) {
    throw new ShapeError(`tileAlong: v has length ${v.length}, expected ${rows} (one per row)`);
  }
  return tileColumns(v, cols);
}

/** `prodExceptTangent` of each column (axis 0) or row (axis 1). */
export function prodExceptTangentAlong(a: Matrix, t: Matrix, axis: number): Matrix {
  checkAxis("prodExceptTangentAlong", axis);
  const { rows, cols, data } = a;
  const out = new Float64Array(rows * cols);
  if (axis === 0) {
    for (let j = 0; j < cols; j++) prodExceptTangentStrided(data, t.data, j, cols, rows, out);
  } else {
    for (let i = 0; i < rows; i++) prodExceptTangentStrided(data, t.data, i * cols, 1, cols, out);
  }
  return { rows, cols, data: out };
}
