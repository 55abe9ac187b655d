import { ShapeError, SingularMatrixError } from "./errors.js";
import type { Matrix } from "./matrix.js";

// Diagonals, identity and one-hot matrices, and the LU decomposition with what is built on it:
// determinant, log-determinant and inverse. Every function returns fresh arrays and never
// mutates its input.

function checkDims(fn: string, rows: number, cols: number): void {
  if (!Number.isInteger(rows) || rows < 1) {
    throw new ShapeError(`${fn}: rows must be a positive integer, got ${rows}`);
  }
  if (!Number.isInteger(cols) || cols < 1) {
    throw new ShapeError(`${fn}: cols must be a positive integer, got ${cols}`);
  }
}

function checkSquare(fn: string, a: Matrix): void {
  if (a.rows !== a.cols) {
    throw new ShapeError(`${fn}: the matrix must be square, got ${a.rows} × ${a.cols}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Diagonals and special matrices

/** The main diagonal a[i][i] of an m×n matrix: min(m, n) entries. */
export function diagonal(a: Matrix): Float64Array {
  const { rows, cols, data } = a;
  const n = Math.min(rows, cols);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = data[i * cols + i]!;
  return out;
}

/**
 * The `rows × cols` matrix of zeros with `v` on its main diagonal — the adjoint of `diagonal`.
 * Throws `ShapeError` unless `v` has min(rows, cols) entries.
 */
export function diagMatrix(v: Float64Array, rows: number, cols: number): Matrix {
  checkDims("diagMatrix", rows, cols);
  const n = Math.min(rows, cols);
  if (v.length !== n) {
    throw new ShapeError(`diagMatrix: v has length ${v.length}, expected min(${rows}, ${cols}) = ${n}`);
  }
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < n; i++) data[i * cols + i] = v[i]!;
  return { rows, cols, data };
}

/** The n×n identity matrix. Throws `ShapeError` unless `n` is a positive integer. */
export function eye(n: number): Matrix {
  if (!Number.isInteger(n) || n < 1) {
    throw new ShapeError(`eye: n must be a positive integer, got ${n}`);
  }
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return { rows: n, cols: n, data };
}

/**
 * The `rows × cols` matrix of zeros with `value` at (`row`, `col`) (e.g. the gradient of
 * `A[row, col]`). Throws `ShapeError` if the position is out of range.
 */
export function oneHotMatrix(rows: number, cols: number, row: number, col: number, value: number): Matrix {
  checkDims("oneHotMatrix", rows, cols);
  if (!Number.isInteger(row) || !Number.isInteger(col) || row < 0 || row >= rows || col < 0 || col >= cols) {
    throw new ShapeError(
      `oneHotMatrix: index (${row}, ${col}) is out of range for a ${rows} × ${cols} matrix`,
    );
  }
  const data = new Float64Array(rows * cols);
  data[row * cols + col] = value;
  return { rows, cols, data };
}

// ---------------------------------------------------------------------------------------------
// LU decomposition and what is built on it

/** The result of `lu`: PA = LU for an n×n matrix A. */
export interface LuDecomposition {
  /**
   * L and U packed row-major in one n×n array: U on and above the diagonal, L's multipliers
   * below it (L's unit diagonal is implicit).
   */
  readonly lu: Float64Array;
  /** The permutation P: row i of PA (and of LU) is row `pivots[i]` of A. */
  readonly pivots: Int32Array;
  /** The sign of the permutation, det(P) = ±1. */
  readonly sign: number;
  /** Whether a pivot U_kk is exactly 0 or not finite (the matrix is singular, or has NaN / ±∞). */
  readonly singular: boolean;
}

/**
 * The LU decomposition with partial pivoting of a square matrix (Doolittle, right-looking, in a
 * copy): at step k the row with the largest |entry| in column k (the first NaN, if any) becomes
 * the pivot row. A zero pivot column is skipped and marks the matrix singular, so the
 * decomposition always completes. Throws `ShapeError` if `a` is not square.
 */
export function lu(a: Matrix): LuDecomposition {
  checkSquare("lu", a);
  const n = a.rows;
  const m = a.data.slice();
  const pivots = new Int32Array(n);
  for (let i = 0; i < n; i++) pivots[i] = i;
  let sign = 1;
  let singular = false;
  for (let k = 0; k < n; k++) {
    const rowK = k * n;
    let p = k;
    let best = Math.abs(m[rowK + k]!);
    if (best === best) {
      for (let i = k + 1; i < n; i++) {
        const v = Math.abs(m[i * n + k]!);
        if (v !== v) {
          p = i;
          break;
        }
        if (v > best) {
          best = v;
          p = i;
        }
      }
    }
    if (p !== k) {
      const rowP = p * n;
      for (let j = 0; j < n; j++) {
        const t = m[rowK + j]!;
        m[rowK + j] = m[rowP + j]!;
        m[rowP + j] = t;
      }
      const t = pivots[k]!;
      pivots[k] = pivots[p]!;
      pivots[p] = t;
      sign = -sign;
    }
    const pivot = m[rowK + k]!;
    if (pivot === 0 || !Number.isFinite(pivot)) singular = true;
    // A zero pivot means the rest of the column is zero too: nothing to eliminate.
    if (pivot === 0) continue;
    for (let i = k + 1; i < n; i++) {
      const rowI = i * n;
      const l = m[rowI + k]! / pivot;
      m[rowI + k] = l;
      if (l === 0) continue;
      for (let j = k + 1; j < n; j++) m[rowI + j] = m[rowI + j]! - l * m[rowK + j]!;
    }
  }
  return { lu: m, pivots, sign, singular };
}

/**
 * The determinant of a square matrix: the product of U's diagonal times the permutation's sign.
 * 0 for a singular matrix (no error); may overflow to ±Infinity for large matrices, see
 * `logdet`. Throws `ShapeError` if `a` is not square.
 */
export function det(a: Matrix): number {
  checkSquare("det", a);
  const { lu: m, sign } = lu(a);
  const n = a.rows;
  let d = sign;
  for (let i = 0; i < n; i++) d *= m[i * n + i]!;
  return d === 0 ? 0 : d; // no −0 from a negative sign
}

/**
 * log(det(a)) for a square matrix with det > 0, as the sum of log|U_ii| (no overflow for large
 * matrices); −Infinity if the matrix is singular (det = 0); NaN if det < 0 or the matrix has NaN.
 * Throws `ShapeError` if `a` is not square.
 */
export function logdet(a: Matrix): number {
  checkSquare("logdet", a);
  const { lu: m, sign } = lu(a);
  const n = a.rows;
  let s = sign;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const u = m[i * n + i]!;
    if (u !== u) return NaN;
    if (u < 0) s = -s;
    sum += Math.log(Math.abs(u));
  }
  if (sum === -Infinity) return sum;
  return s > 0 ? sum : NaN;
}

/**
 * The inverse of a square matrix, via `lu`: solves LU X = P by forward and back substitution on
 * whole rows. Throws `ShapeError` if `a` is not square and `SingularMatrixError` if it is
 * singular (or has NaN / ±∞ entries) — or, with `nanIfSingular` (as derivative code calls it),
 * returns a matrix of NaN instead.
 */
export function inv(a: Matrix, nanIfSingular = false): Matrix {
  checkSquare("inv", a);
  const { lu: m, pivots, singular } = lu(a);
  const n = a.rows;
  if (singular || nearlySingular(a, m)) {
    if (nanIfSingular) return { rows: n, cols: n, data: new Float64Array(n * n).fill(NaN) };
    throw new SingularMatrixError("inv: the matrix is singular");
  }
  const x = new Float64Array(n * n);
  for (let i = 0; i < n; i++) x[i * n + pivots[i]!] = 1;
  // L Y = P: row i of Y is row i of P minus Σ_{k<i} L_ik · (row k of Y).
  for (let i = 1; i < n; i++) {
    const rowI = i * n;
    for (let k = 0; k < i; k++) {
      const l = m[rowI + k]!;
      if (l === 0) continue;
      const rowK = k * n;
      for (let j = 0; j < n; j++) x[rowI + j] = x[rowI + j]! - l * x[rowK + j]!;
    }
  }
  // U X = Y: row i of X is (row i of Y − Σ_{k>i} U_ik · (row k of X)) / U_ii.
  for (let i = n - 1; i >= 0; i--) {
    const rowI = i * n;
    for (let k = i + 1; k < n; k++) {
      const u = m[rowI + k]!;
      if (u === 0) continue;
      const rowK = k * n;
      for (let j = 0; j < n; j++) x[rowI + j] = x[rowI + j]! - u * x[rowK + j]!;
    }
    const d = m[rowI + i]!;
    for (let j = 0; j < n; j++) x[rowI + j] = x[rowI + j]! / d;
  }
  return { rows: n, cols: n, data: x };
}

/**
 * True when a pivot of the LU factors is below n·ε times the largest entry of
 * `a`: the matrix is singular to working precision, and its inverse would be
 * rounding noise (entries like 1e16) rather than an answer.
 */
function nearlySingular(a: Matrix, factors: Float64Array): boolean {
  const n = a.rows;
  let largest = 0;
  for (const v of a.data) largest = Math.max(largest, Math.abs(v));
  const tolerance = n * Number.EPSILON * largest;
  for (let i = 0; i < n; i++) if (Math.abs(factors[i * n + i]!) <= tolerance) return true;
  return false;
}

/**
 * True when the LU factors' smallest pivot is below √ε times their largest: the
 * matrix is ill-conditioned, and det(A)·A⁻¹ would lose more than half of its
 * digits to rounding, so cofactors are built from minors instead.
 */
function illConditioned(factors: Float64Array, n: number): boolean {
  let smallest = Infinity;
  let largest = 0;
  for (let i = 0; i < n; i++) {
    const u = Math.abs(factors[i * n + i]!);
    smallest = Math.min(smallest, u);
    largest = Math.max(largest, u);
  }
  return !(smallest > Math.sqrt(Number.EPSILON) * largest);
}

/** `a` without row `i` and column `j`, written into `out` ((n−1)² entries). */
function minorOf(a: Float64Array, n: number, i: number, j: number, out: Float64Array): Matrix {
  let k = 0;
  for (let r = 0; r < n; r++) {
    if (r === i) continue;
    for (let c = 0; c < n; c++) if (c !== j) out[k++] = a[r * n + c]!;
  }
  return { rows: n - 1, cols: n - 1, data: out };
}

/**
 * The cofactor matrix C, with C_ij = (−1)^(i+j) det(A without row i and column j):
 * the gradient of det at A, defined for singular matrices too. It is det(A) A⁻ᵀ
 * when A is well-conditioned, and built from minors otherwise (exactly as
 * defined, so it stays accurate at and near singular matrices).
 */
export function cofactor(a: Matrix): Matrix {
  checkSquare("cofactor", a);
  const n = a.rows;
  const { lu: m, singular } = lu(a);
  if (!singular && !illConditioned(m, n)) {
    const d = det(a);
    const y = inv(a, true);
    const out = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = d * y.data[j * n + i]!;
    return { rows: n, cols: n, data: out };
  }
  if (n === 1) return { rows: 1, cols: 1, data: Float64Array.of(1) };
  const out = new Float64Array(n * n);
  const minor = new Float64Array((n - 1) * (n - 1));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const sign = (i + j) % 2 === 0 ? 1 : -1;
      out[i * n + j] = sign * det(minorOf(a.data, n, i, j, minor));
    }
  }
  return { rows: n, cols: n, data: out };
}

/**
 * The derivative of the cofactor matrix at `a` along `t` (the second derivative of det),
 * defined at singular matrices too. For a well-conditioned `a` it is
 * (C : T) A⁻ᵀ − det(A) (A⁻¹ T A⁻¹)ᵀ; otherwise each entry is the derivative of its
 * minor's determinant, Σ cofactor(M_ij) ⊙ T_ij, with no inverse anywhere.
 * Throws `ShapeError` unless `a` and `t` are square and of the same size.
 */
export function cofactorTangent(a: Matrix, t: Matrix): Matrix {
  checkSquare("cofactorTangent", a);
  const n = a.rows;
  if (t.rows !== n || t.cols !== n) {
    throw new ShapeError(`cofactorTangent: t is ${t.rows} × ${t.cols}, expected ${n} × ${n}`);
  }
  const out = new Float64Array(n * n);
  const { lu: m, singular } = lu(a);
  if (!singular && !illConditioned(m, n)) {
    const d = det(a);
    const y = inv(a, true).data;
    // c = C : T = det · tr(A⁻¹ T); p = A⁻¹ T A⁻¹.
    const yt = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < n; k++) {
        const v = y[i * n + k]!;
        if (v === 0) continue;
        for (let j = 0; j < n; j++) yt[i * n + j] = yt[i * n + j]! + v * t.data[k * n + j]!;
      }
    let trace = 0;
    for (let i = 0; i < n; i++) trace += yt[i * n + i]!;
    const c = d * trace;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let p = 0; // (A⁻¹ T A⁻¹)_ji
        for (let k = 0; k < n; k++) p += yt[j * n + k]! * y[k * n + i]!;
        out[i * n + j] = c * y[j * n + i]! - d * p;
      }
    return { rows: n, cols: n, data: out };
  }
  if (n === 1) return { rows: 1, cols: 1, data: out };
  const minorA = new Float64Array((n - 1) * (n - 1));
  const minorT = new Float64Array((n - 1) * (n - 1));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const c = cofactor(minorOf(a.data, n, i, j, minorA)).data;
      minorOf(t.data, n, i, j, minorT);
      let s = 0;
      for (let k = 0; k < c.length; k++) s += c[k]! * minorT[k]!;
      out[i * n + j] = (i + j) % 2 === 0 ? s : -s;
    }
  }
  return { rows: n, cols: n, data: out };
}
