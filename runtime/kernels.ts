import { ShapeError } from "./errors.js";
import type { Matrix } from "./matrix.js";

// Numeric kernels called by generated code. Vector kernels take a Float64Array; a matrix is
// passed as its row-major `.data`. Every function returns fresh arrays and never mutates its input.

// ---------------------------------------------------------------------------------------------
// Scalar helpers

/**
 * The logistic function 1 / (1 + e^-x), without overflow for large |x| (sigmoid(-1000) = 0):
 * 1 / (1 + e) for x ≥ 0, e / (1 + e) otherwise, with e = e^-|x|. Generated code that also takes
 * softplus(x) passes that e, computed once for both.
 */
export function sigmoid(x: number, e = Math.exp(-Math.abs(x))): number {
  return x >= 0 ? 1 / (1 + e) : e / (1 + e);
}

/** log(1 + e^x), computed as max(x, 0) + log1p(e) with e = e^-|x|, so that softplus(1000) = 1000. */
export function softplus(x: number, e = Math.exp(-Math.abs(x))): number {
  return Math.max(x, 0) + Math.log1p(e);
}

/**
 * sech² x = 1 / cosh² x, the derivative of tanh, as 4s / (1 + s)² with s = e^(−2|x|): it does
 * not overflow where cosh does (|x| > 710), and is not rounded to 0 where 1 − tanh² x is.
 */
export function sech2(x: number): number {
  const s = Math.exp(-2 * Math.abs(x));
  return (4 * s) / ((1 + s) * (1 + s));
}

/** max(x, 0); NaN stays NaN. */
export function relu(x: number): number {
  return x > 0 ? x : x <= 0 ? 0 : x;
}

/** 1 for x > 0, -1 for x < 0, 0 for ±0, NaN for NaN. */
export function sign(x: number): number {
  return x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN;
}

// ---------------------------------------------------------------------------------------------
// Reductions

/** The sum of the elements (0 for an empty array). */
export function sum(x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s;
}

/** The product of the elements (1 for an empty array). */
export function prod(x: Float64Array): number {
  let p = 1;
  for (let i = 0; i < x.length; i++) p *= x[i]!;
  return p;
}

/**
 * Element i is the product of all elements except x[i] — the gradient of `prod(x)`. Uses prefix
 * and suffix products, no division, so it is exact when elements are zero.
 */
export function prodExcept(x: Float64Array): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  let prefix = 1;
  for (let i = 0; i < n; i++) {
    out[i] = prefix;
    prefix *= x[i]!;
  }
  let suffix = 1;
  for (let i = n - 1; i >= 0; i--) {
    out[i] = out[i]! * suffix;
    suffix *= x[i]!;
  }
  return out;
}

/**
 * The directional derivative of `prodExcept(x)` along `t`: element i is
 * Σ_{j≠i} t_j Π_{k∉{i,j}} x_k. Computed as prefix and suffix products of the
 * dual numbers x_k + ε t_k, so zeros in x need no division either.
 */
export function prodExceptTangent(x: Float64Array, t: Float64Array): Float64Array {
  return prodExceptTangentStrided(x, t, 0, 1, x.length, new Float64Array(x.length));
}

/** `prodExceptTangent` over the `count` elements at `offset`, `offset + stride`, ... into `out`. */
export function prodExceptTangentStrided(
  x: Float64Array,
  t: Float64Array,
  offset: number,
  stride: number,
  count: number,
  out: Float64Array,
): Float64Array {
  // Pass 1: out holds the ε part of the prefix product; the real part runs alongside.
  let prefix = 1;
  let prefixDot = 0;
  for (let k = 0, i = offset; k < count; k++, i += stride) {
    out[i] = prefixDot;
    prefixDot = prefixDot * x[i]! + prefix * t[i]!;
    prefix *= x[i]!;
  }
  // Pass 2: combine with the suffix product (s, ds): ε(P S) = dP s + p dS. p is rebuilt forwards.
  const prefixes = new Float64Array(count);
  prefix = 1;
  for (let k = 0, i = offset; k < count; k++, i += stride) {
    prefixes[k] = prefix;
    prefix *= x[i]!;
  }
  let suffix = 1;
  let suffixDot = 0;
  for (let k = count - 1, i = offset + (count - 1) * stride; k >= 0; k--, i -= stride) {
    out[i] = out[i]! * suffix + prefixes[k]! * suffixDot;
    suffixDot = suffixDot * x[i]! + suffix * t[i]!;
    suffix *= x[i]!;
  }
  return out;
}

/**
 * The Euclidean (for a matrix's data: Frobenius) norm. Scales by the largest |x_i| first, so it
 * neither overflows for elements like 1e200 nor underflows for 1e-200. 0 for the zero (or empty)
 * vector, NaN if any element is NaN, otherwise Infinity if any element is infinite.
 */
export function norm2(x: Float64Array): number {
  let scale = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]!);
    if (a !== a) return NaN;
    if (a > scale) scale = a;
  }
  if (scale === 0 || scale === Infinity) return scale;
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const t = x[i]! / scale;
    s += t * t;
  }
  return scale * Math.sqrt(s);
}

/** The largest element; NaN if any element is NaN; -Infinity for an empty array. */
export function max(x: Float64Array): number {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v !== v) return NaN;
    if (v > m) m = v;
  }
  return m;
}

/** The smallest element; NaN if any element is NaN; Infinity for an empty array. */
export function min(x: Float64Array): number {
  let m = Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v !== v) return NaN;
    if (v < m) m = v;
  }
  return m;
}

/**
 * The index of the first largest element (where the derivative of `max(x)` goes); the index of
 * the first NaN if there is one; -1 for an empty array.
 */
export function argmax(x: Float64Array): number {
  let best = -1;
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v !== v) return i;
    if (best < 0 || v > m) {
      best = i;
      m = v;
    }
  }
  return best;
}

/**
 * The index of the first smallest element (where the derivative of `min(x)` goes); the index of
 * the first NaN if there is one; -1 for an empty array.
 */
export function argmin(x: Float64Array): number {
  let best = -1;
  let m = Infinity;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v !== v) return i;
    if (best < 0 || v < m) {
      best = i;
      m = v;
    }
  }
  return best;
}

/**
 * log(Σ exp(x_i)), computed stably as m + log(Σ exp(x_i − m)) with m = max(x), so that
 * logsumexp([1000, 1000]) = 1000 + ln 2. All −Infinity (or empty) gives −Infinity, any +Infinity
 * gives +Infinity, any NaN gives NaN. Given `exponentials`, also writes exp(x_i − logsumexp(x))
 * there (the softmax, logsumexp's gradient) from the exponentials it takes anyway.
 */
export function logsumexp(x: Float64Array, exponentials?: Float64Array): number {
  return logsumexpStrided(x, 0, 1, x.length, exponentials);
}

/**
 * `logsumexp` of the `count` elements data[start], data[start + stride], …; given
 * `exponentials`, also writes exp(x − logsumexp) at the same positions there.
 */
export function logsumexpStrided(
  data: Float64Array,
  start: number,
  stride: number,
  count: number,
  exponentials?: Float64Array,
): number {
  const end = start + count * stride;
  let m = -Infinity;
  for (let k = start; k < end; k += stride) {
    const x = data[k]!;
    // The NaN test only where x is not larger (NaN compares false): one test per entry.
    if (x > m) m = x;
    else if (x !== x) m = NaN;
  }
  const e = exponentials;
  if (m !== m || m === -Infinity || m === Infinity) {
    // NaN, +Infinity or all −Infinity: the result is m, and exp(x − m) follows IEEE.
    if (e !== undefined) for (let k = start; k < end; k += stride) e[k] = Math.exp(data[k]! - m);
    return m;
  }
  let s = 0;
  if (e === undefined) {
    for (let k = start; k < end; k += stride) s += Math.exp(data[k]! - m);
    return m + Math.log(s);
  }
  for (let k = start; k < end; k += stride) s += e[k] = Math.exp(data[k]! - m);
  const inverse = 1 / s;
  for (let k = start; k < end; k += stride) e[k] = e[k]! * inverse;
  return m + Math.log(s);
}

/**
 * exp(x_i) / Σ exp(x_j), computed stably by subtracting max(x) first. If some elements are
 * +Infinity, they share the mass equally (the limit); all −Infinity gives NaN; NaN propagates.
 */
export function softmax(x: Float64Array): Float64Array {
  const n = x.length;
  const out = new Float64Array(n);
  let m = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    if (v !== v) return out.fill(NaN);
    if (v > m) m = v;
  }
  if (m === Infinity) {
    let count = 0;
    for (let i = 0; i < n; i++) if (x[i] === Infinity) count++;
    for (let i = 0; i < n; i++) out[i] = x[i] === Infinity ? 1 / count : 0;
    return out;
  }
  let s = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.exp(x[i]! - m);
    out[i] = e;
    s += e;
  }
  for (let i = 0; i < n; i++) out[i] = out[i]! / s;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Vector helpers

/** The dot product Σ x_i y_i. Throws `ShapeError` unless both are `Float64Array`s of one length. */
export function dot(x: Float64Array, y: Float64Array): number {
  if (!(x instanceof Float64Array) || !(y instanceof Float64Array)) {
    throw new ShapeError("dot: both operands must be vectors (Float64Array)");
  }
  if (x.length !== y.length) {
    throw new ShapeError(`dot: lengths differ (${x.length} and ${y.length})`);
  }
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

/** A new array of `length` copies of `value`. */
export function fill(length: number, value: number): Float64Array {
  return new Float64Array(length).fill(value);
}

/** A new array of `length` zeros with `value` at `index` (e.g. the gradient of `x[index]`). */
export function oneHot(length: number, index: number, value: number): Float64Array {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new ShapeError(`oneHot: index ${index} is out of range for length ${length}`);
  }
  const out = new Float64Array(length);
  out[index] = value;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Broadcasting and reductions along an axis

/** An m×n matrix of copies of `value`. */
export function fillMatrix(rows: number, cols: number, value: number): Matrix {
  return { rows, cols, data: new Float64Array(rows * cols).fill(value) };
}

/** The m×n matrix whose every row is `v` (NumPy's broadcast of a vector over rows). */
export function tileRows(v: Float64Array, rows: number): Matrix {
  const cols = v.length;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) data.set(v, i * cols);
  return { rows, cols, data };
}

/** The m×n matrix whose every column is `v`. */
export function tileColumns(v: Float64Array, cols: number): Matrix {
  const rows = v.length;
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) data.fill(v[i]!, i * cols, (i + 1) * cols);
  return { rows, cols, data };
}

/** Sums down each column (axis 0): one entry per column. */
export function sumColumns(a: Matrix, into?: Float64Array): Float64Array {
  const { rows, cols, data } = a;
  const out = zeroed(into, cols);
  for (let i = 0; i < rows; i++) {
    const offset = i * cols;
    for (let j = 0; j < cols; j++) out[j]! += data[offset + j]!;
  }
  return out;
}

/** Sums along each row (axis 1): one entry per row. */
export function sumRows(a: Matrix, into?: Float64Array): Float64Array {
  const { rows, cols, data } = a;
  const out = into ?? new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let j = 0; j < cols; j++) s += data[i * cols + j]!;
    out[i] = s;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Matrix kernels (row-major, loops ordered so the innermost loop walks memory contiguously)
//
// With `zeroSafe` (as generated derivative code calls them), a product term with a zero factor
// contributes 0 even when the other factor is infinite or NaN: a zero adjoint or tangent stands
// for "no dependence", as in element-wise code. The products run at full speed; only entries
// that came out NaN are summed again, skipping such terms.

/** Σ a[aOff + p·aStride] · b[bOff + p·bStride] over p < count, skipping terms with a zero factor. */
function dotSkippingZeros(
  count: number,
  a: Float64Array,
  aOff: number,
  aStride: number,
  b: Float64Array,
  bOff: number,
  bStride: number,
): number {
  let s = 0;
  for (let p = 0; p < count; p++) {
    const x = a[aOff + p * aStride]!;
    const y = b[bOff + p * bStride]!;
    if (x !== 0 && y !== 0) s += x * y;
  }
  return s;
}

/**
 * The buffer a kernel accumulates its result in: `into`'s (a workspace's, holding what the last
 * call left there) cleared, or a new one. The kernels' `into` is for generated code, which
 * passes a buffer of the result's size.
 */
export function zeroed(into: Matrix | Float64Array | undefined, length: number): Float64Array {
  if (into === undefined) return new Float64Array(length);
  const data = into instanceof Float64Array ? into : into.data;
  return data.fill(0);
}

/**
 * Recomputes the NaN entries of a product with `cols` columns, skipping terms with a zero
 * factor: entry (i, j) is the sum over p < count of a[i·aRow + j·aCol + p·aStep] times
 * b[i·bRow + j·bCol + p·bStep]. (A function of its own, taking numbers, not a closure: a
 * closure in a kernel would move the kernel's locals into a context and slow its loops.)
 */
function repairNaN(
  out: Float64Array,
  cols: number,
  count: number,
  a: Float64Array,
  [aRow, aCol, aStep]: readonly [number, number, number],
  b: Float64Array,
  [bRow, bCol, bStep]: readonly [number, number, number],
): void {
  for (let t = 0; t < out.length; t++) {
    if (out[t] === out[t]) continue;
    const i = Math.floor(t / cols);
    const j = t % cols;
    out[t] = dotSkippingZeros(count, a, i * aRow + j * aCol, aStep, b, i * bRow + j * bCol, bStep);
  }
}

/** The matrix product AB of an m×k and a k×n matrix (i-k-j loop order). */
export function matmul(a: Matrix, b: Matrix, zeroSafe = false, into?: Matrix): Matrix {
  const m = a.rows;
  const k = a.cols;
  const n = b.cols;
  if (b.rows !== k) {
    throw new ShapeError(`matmul: cannot multiply ${m}×${k} by ${b.rows}×${n}`);
  }
  const ad = a.data;
  const bd = b.data;
  const out = zeroed(into, m * n);
  const k4 = k - (k % 4);
  const m3 = m - (m % 3);
  let i = 0;
  // Three output rows by four rows of B per pass: each output entry is loaded and stored once
  // per four terms, and each entry of B loaded once for three outputs.
  for (; i < m3; i += 3) {
    const o0 = i * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const r0 = i * k;
    const r1 = r0 + k;
    const r2 = r1 + k;
    let p = 0;
    for (; p < k4; p += 4) {
      const u0 = ad[r0 + p]!;
      const u1 = ad[r0 + p + 1]!;
      const u2 = ad[r0 + p + 2]!;
      const u3 = ad[r0 + p + 3]!;
      const v0 = ad[r1 + p]!;
      const v1 = ad[r1 + p + 1]!;
      const v2 = ad[r1 + p + 2]!;
      const v3 = ad[r1 + p + 3]!;
      const w0 = ad[r2 + p]!;
      const w1 = ad[r2 + p + 1]!;
      const w2 = ad[r2 + p + 2]!;
      const w3 = ad[r2 + p + 3]!;
      const b0 = p * n;
      const b1 = b0 + n;
      const b2 = b1 + n;
      const b3 = b2 + n;
      for (let j = 0; j < n; j++) {
        const x0 = bd[b0 + j]!;
        const x1 = bd[b1 + j]!;
        const x2 = bd[b2 + j]!;
        const x3 = bd[b3 + j]!;
        out[o0 + j] = out[o0 + j]! + (u0 * x0 + u1 * x1 + (u2 * x2 + u3 * x3));
        out[o1 + j] = out[o1 + j]! + (v0 * x0 + v1 * x1 + (v2 * x2 + v3 * x3));
        out[o2 + j] = out[o2 + j]! + (w0 * x0 + w1 * x1 + (w2 * x2 + w3 * x3));
      }
    }
    for (; p < k; p++) {
      const u = ad[r0 + p]!;
      const v = ad[r1 + p]!;
      const w = ad[r2 + p]!;
      const bp = p * n;
      for (let j = 0; j < n; j++) {
        const x = bd[bp + j]!;
        out[o0 + j] = out[o0 + j]! + u * x;
        out[o1 + j] = out[o1 + j]! + v * x;
        out[o2 + j] = out[o2 + j]! + w * x;
      }
    }
  }
  for (; i < m; i++) {
    const oi = i * n;
    const ai = i * k;
    let p = 0;
    for (; p < k4; p += 4) {
      const a0 = ad[ai + p]!;
      const a1 = ad[ai + p + 1]!;
      const a2 = ad[ai + p + 2]!;
      const a3 = ad[ai + p + 3]!;
      const b0 = p * n;
      const b1 = b0 + n;
      const b2 = b1 + n;
      const b3 = b2 + n;
      for (let j = 0; j < n; j++) {
        out[oi + j] =
          out[oi + j]! + (a0 * bd[b0 + j]! + a1 * bd[b1 + j]! + (a2 * bd[b2 + j]! + a3 * bd[b3 + j]!));
      }
    }
    for (; p < k; p++) {
      const aip = ad[ai + p]!;
      const bp = p * n;
      for (let j = 0; j < n; j++) out[oi + j] = out[oi + j]! + aip * bd[bp + j]!;
    }
  }
  if (zeroSafe) repairNaN(out, n, k, ad, [k, 0, 1], bd, [0, 1, n]);
  return into ?? { rows: m, cols: n, data: out };
}

/** The matrix–vector product Ax of an m×n matrix and a length-n vector → length m. */
export function matvec(a: Matrix, x: Float64Array, zeroSafe = false, into?: Float64Array): Float64Array {
  const m = a.rows;
  const n = a.cols;
  if (x.length !== n) {
    throw new ShapeError(`matvec: cannot multiply ${m}×${n} by a vector of length ${x.length}`);
  }
  const ad = a.data;
  const out = into ?? new Float64Array(m);
  const m4 = m - (m % 4);
  let i = 0;
  // Four rows per pass: four independent sums, and each x[j] loaded once for them.
  for (; i < m4; i += 4) {
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < n; j++) {
      const xj = x[j]!;
      s0 += ad[r0 + j]! * xj;
      s1 += ad[r1 + j]! * xj;
      s2 += ad[r2 + j]! * xj;
      s3 += ad[r3 + j]! * xj;
    }
    out[i] = s0;
    out[i + 1] = s1;
    out[i + 2] = s2;
    out[i + 3] = s3;
  }
  for (; i < m; i++) {
    const ai = i * n;
    let s = 0;
    for (let j = 0; j < n; j++) s += ad[ai + j]! * x[j]!;
    out[i] = s;
  }
  if (zeroSafe) for (let i = 0; i < m; i++) if (out[i] !== out[i]) out[i] = matvecRow(a, i, x);
  return out;
}

/** The vector–matrix product xᵀA of a length-m vector and an m×n matrix → length n. */
export function vecmat(x: Float64Array, a: Matrix, zeroSafe = false, into?: Float64Array): Float64Array {
  const m = a.rows;
  const n = a.cols;
  if (x.length !== m) {
    throw new ShapeError(`vecmat: cannot multiply a vector of length ${x.length} by ${m}×${n}`);
  }
  const ad = a.data;
  const out = zeroed(into, n);
  const m4 = m - (m % 4);
  let i = 0;
  // Four rows per pass: each output entry is loaded and stored once per four terms.
  for (; i < m4; i += 4) {
    const x0 = x[i]!;
    const x1 = x[i + 1]!;
    const x2 = x[i + 2]!;
    const x3 = x[i + 3]!;
    const r0 = i * n;
    const r1 = (i + 1) * n;
    const r2 = (i + 2) * n;
    const r3 = (i + 3) * n;
    for (let j = 0; j < n; j++) {
      out[j] = out[j]! + x0 * ad[r0 + j]! + x1 * ad[r1 + j]! + x2 * ad[r2 + j]! + x3 * ad[r3 + j]!;
    }
  }
  for (; i < m; i++) {
    const xi = x[i]!;
    const ai = i * n;
    for (let j = 0; j < n; j++) out[j] = out[j]! + xi * ad[ai + j]!;
  }
  if (zeroSafe) repairVecmat(out, x, a);
  return out;
}

/**
 * Row i of A times x, skipping the terms with a zero factor: what `matvec(a, x, true)` gives for
 * a row whose plain sum came out NaN (a generated loop over rows recomputes such a row with it).
 */
export function matvecRow(a: Matrix, i: number, x: Float64Array): number {
  return dotSkippingZeros(a.cols, a.data, i * a.cols, 1, x, 0, 1);
}

/**
 * Completes a vector–matrix product xᵀA accumulated row by row elsewhere (a generated loop that
 * reads A once for several products): entries that came out NaN are recomputed skipping the
 * terms whose x is 0, as `vecmat(x, a, true)` computes them.
 */
export function repairVecmat(out: Float64Array, x: Float64Array, a: Matrix): void {
  const n = a.cols;
  for (let j = 0; j < n; j++) {
    if (out[j] !== out[j]) out[j] = dotSkippingZeros(a.rows, x, 0, 1, a.data, j, n);
  }
}

/** The transpose Aᵀ (a new n×m matrix). */
export function transpose(a: Matrix): Matrix {
  const m = a.rows;
  const n = a.cols;
  const ad = a.data;
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const ai = i * n;
    for (let j = 0; j < n; j++) out[j * m + i] = ad[ai + j]!;
  }
  return { rows: n, cols: m, data: out };
}

/** The outer product x yᵀ: an x.length × y.length matrix. */
export function outer(x: Float64Array, y: Float64Array, zeroSafe = false, into?: Matrix): Matrix {
  const m = x.length;
  const n = y.length;
  const out = into?.data ?? new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    const xi = x[i]!;
    const oi = i * n;
    for (let j = 0; j < n; j++) out[oi + j] = xi * y[j]!;
  }
  if (zeroSafe) repairNaN(out, n, 1, x, [1, 0, 1], y, [0, 1, 1]);
  return into ?? { rows: m, cols: n, data: out };
}

/** AᵀB of a k×m and a k×n matrix → m×n, without materializing Aᵀ. */
export function matmulTransA(a: Matrix, b: Matrix, zeroSafe = false, into?: Matrix): Matrix {
  const k = a.rows;
  const m = a.cols;
  const n = b.cols;
  if (b.rows !== k) {
    throw new ShapeError(`matmulTransA: cannot multiply (${k}×${m})ᵀ by ${b.rows}×${n}`);
  }
  const ad = a.data;
  const bd = b.data;
  const out = zeroed(into, m * n);
  const k4 = k - (k % 4);
  const m3 = m - (m % 3);
  let p = 0;
  // Four rows of A and B per pass, three output rows at a time: each output entry is loaded
  // and stored once per four terms, and each entry of B loaded once for three outputs.
  for (; p < k4; p += 4) {
    const a0 = p * m;
    const a1 = a0 + m;
    const a2 = a1 + m;
    const a3 = a2 + m;
    const b0 = p * n;
    const b1 = b0 + n;
    const b2 = b1 + n;
    const b3 = b2 + n;
    let i = 0;
    for (; i < m3; i += 3) {
      const u0 = ad[a0 + i]!;
      const u1 = ad[a1 + i]!;
      const u2 = ad[a2 + i]!;
      const u3 = ad[a3 + i]!;
      const v0 = ad[a0 + i + 1]!;
      const v1 = ad[a1 + i + 1]!;
      const v2 = ad[a2 + i + 1]!;
      const v3 = ad[a3 + i + 1]!;
      const w0 = ad[a0 + i + 2]!;
      const w1 = ad[a1 + i + 2]!;
      const w2 = ad[a2 + i + 2]!;
      const w3 = ad[a3 + i + 2]!;
      const o0 = i * n;
      const o1 = o0 + n;
      const o2 = o1 + n;
      for (let j = 0; j < n; j++) {
        const x0 = bd[b0 + j]!;
        const x1 = bd[b1 + j]!;
        const x2 = bd[b2 + j]!;
        const x3 = bd[b3 + j]!;
        out[o0 + j] = out[o0 + j]! + (u0 * x0 + u1 * x1 + (u2 * x2 + u3 * x3));
        out[o1 + j] = out[o1 + j]! + (v0 * x0 + v1 * x1 + (v2 * x2 + v3 * x3));
        out[o2 + j] = out[o2 + j]! + (w0 * x0 + w1 * x1 + (w2 * x2 + w3 * x3));
      }
    }
    for (; i < m; i++) {
      const c0 = ad[a0 + i]!;
      const c1 = ad[a1 + i]!;
      const c2 = ad[a2 + i]!;
      const c3 = ad[a3 + i]!;
      const oi = i * n;
      for (let j = 0; j < n; j++) {
        out[oi + j] =
          out[oi + j]! + (c0 * bd[b0 + j]! + c1 * bd[b1 + j]! + (c2 * bd[b2 + j]! + c3 * bd[b3 + j]!));
      }
    }
  }
  for (; p < k; p++) {
    const ap = p * m;
    const bp = p * n;
    for (let i = 0; i < m; i++) {
      const api = ad[ap + i]!;
      const oi = i * n;
      for (let j = 0; j < n; j++) out[oi + j] = out[oi + j]! + api * bd[bp + j]!;
    }
  }
  if (zeroSafe) repairNaN(out, n, k, ad, [1, 0, m], bd, [0, 1, n]);
  return into ?? { rows: m, cols: n, data: out };
}

/** ABᵀ of an m×k and an n×k matrix → m×n, without materializing Bᵀ. */
export function matmulTransB(a: Matrix, b: Matrix, zeroSafe = false, into?: Matrix): Matrix {
  const m = a.rows;
  const k = a.cols;
  const n = b.rows;
  if (b.cols !== k) {
    throw new ShapeError(`matmulTransB: cannot multiply ${m}×${k} by (${n}×${b.cols})ᵀ`);
  }
  const ad = a.data;
  const bd = b.data;
  const out = zeroed(into, m * n);
  const m4 = m - (m % 4);
  const n3 = n - (n % 3);
  // Blocks of 4 rows of A by 3 rows of B: twelve independent sums, each entry loaded once for them.
  for (let i = 0; i < m4; i += 4) {
    const r0 = i * k;
    const r1 = r0 + k;
    const r2 = r1 + k;
    const r3 = r2 + k;
    const o0 = i * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    let j = 0;
    for (; j < n3; j += 3) {
      const q0 = j * k;
      const q1 = q0 + k;
      const q2 = q1 + k;
      let s00 = 0;
      let s01 = 0;
      let s02 = 0;
      let s10 = 0;
      let s11 = 0;
      let s12 = 0;
      let s20 = 0;
      let s21 = 0;
      let s22 = 0;
      let s30 = 0;
      let s31 = 0;
      let s32 = 0;
      for (let p = 0; p < k; p++) {
        const u = bd[q0 + p]!;
        const v = bd[q1 + p]!;
        const w = bd[q2 + p]!;
        const a0 = ad[r0 + p]!;
        const a1 = ad[r1 + p]!;
        const a2 = ad[r2 + p]!;
        const a3 = ad[r3 + p]!;
        s00 += a0 * u;
        s01 += a0 * v;
        s02 += a0 * w;
        s10 += a1 * u;
        s11 += a1 * v;
        s12 += a1 * w;
        s20 += a2 * u;
        s21 += a2 * v;
        s22 += a2 * w;
        s30 += a3 * u;
        s31 += a3 * v;
        s32 += a3 * w;
      }
      out[o0 + j] = s00;
      out[o0 + j + 1] = s01;
      out[o0 + j + 2] = s02;
      out[o1 + j] = s10;
      out[o1 + j + 1] = s11;
      out[o1 + j + 2] = s12;
      out[o2 + j] = s20;
      out[o2 + j + 1] = s21;
      out[o2 + j + 2] = s22;
      out[o3 + j] = s30;
      out[o3 + j + 1] = s31;
      out[o3 + j + 2] = s32;
    }
    for (; j < n; j++) {
      const q = j * k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let p = 0; p < k; p++) {
        const u = bd[q + p]!;
        s0 += ad[r0 + p]! * u;
        s1 += ad[r1 + p]! * u;
        s2 += ad[r2 + p]! * u;
        s3 += ad[r3 + p]! * u;
      }
      out[o0 + j] = s0;
      out[o1 + j] = s1;
      out[o2 + j] = s2;
      out[o3 + j] = s3;
    }
  }
  for (let i = m4; i < m; i++) {
    const ai = i * k;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += ad[ai + p]! * bd[bj + p]!;
      out[i * n + j] = s;
    }
  }
  if (zeroSafe) repairNaN(out, n, k, ad, [k, 0, 1], bd, [0, k, 1]);
  return into ?? { rows: m, cols: n, data: out };
}
