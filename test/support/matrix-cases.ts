// The table of matrix primitive cases checked by test/matrix-primitives.test.ts:
// each is a small .grad source over matrices (and the scalars and vectors
// they combine with), the sizes to run it at, how to sample its inputs, and a
// plain JavaScript reference for its value. Derivatives are not listed: the
// test compares them against central finite differences of the generated
// value function. `mref` (plain JS linear algebra, independent of the
// runtime) is also used by test/matrix-calculus.test.ts for closed forms.

import type { Matrix } from "../../runtime/index.js";
import { isMatrixValue, makeMatrix, type MValue } from "./matrix-numeric.js";

/** A dimension: a name bound by the row's sizes (as in the source), or a literal. */
export type DimRef = string | number;
export type Shape = "real" | readonly [DimRef] | readonly [DimRef, DimRef];

/** Where an entry sits: `index` row-major; a vector's entries are one row. */
export interface Position {
  readonly index: number;
  readonly row: number;
  readonly col: number;
  readonly rows: number;
  readonly cols: number;
}

/** Draws one entry of a parameter at sample point `point`. */
export type Sampler = (rand: () => number, at: Position, point: number) => number;

export interface Param {
  readonly name: string;
  readonly shape: Shape;
  readonly sample: Sampler;
  /** Differentiated (in the function's `wrt` list, or no `wrt` given). Default true. */
  readonly wrt?: boolean;
}

/** Values of the symbolic dimensions for one run of a case. */
export type Sizes = Readonly<Record<string, number>>;

export interface MatrixCase {
  readonly name: string;
  readonly source: string;
  readonly params: readonly Param[];
  /** The value of `f`, computed directly. */
  readonly reference: (...args: MValue[]) => MValue;
  /** Rejects sample points too close to a kink or a tie (resampled). */
  readonly accept?: (args: MValue[]) => boolean;
  readonly sizes: readonly Sizes[];
}

export interface CaseGroup {
  readonly title: string;
  readonly cases: readonly MatrixCase[];
}

// ---------------------------------------------------------------- sizes

/** m × n including 1×1, a row, a column, both non-square orientations and a square. */
export const GENERAL: readonly Sizes[] = [
  { m: 1, n: 1 },
  { m: 1, n: 4 },
  { m: 4, n: 1 },
  { m: 2, n: 3 },
  { m: 3, n: 2 },
  { m: 3, n: 3 },
];
/** n × n for square-only operations. */
export const SQUARE: readonly Sizes[] = [{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }];
/** m × n @ n × k. */
export const TRIPLE: readonly Sizes[] = [
  { m: 1, n: 1, k: 1 },
  { m: 1, n: 4, k: 2 },
  { m: 4, n: 1, k: 3 },
  { m: 2, n: 3, k: 4 },
  { m: 3, n: 2, k: 1 },
  { m: 3, n: 3, k: 3 },
];
/** Only literal dimensions. */
export const FIXED: readonly Sizes[] = [{}];

// ---------------------------------------------------------------- samplers

export const between =
  (lo: number, hi: number): Sampler =>
  (rand) =>
    lo + (hi - lo) * rand();

/** |x| in [lo, hi], either sign: keeps samples away from a kink at 0. */
export const awayFromZero =
  (lo = 0.1, hi = 2): Sampler =>
  (rand) =>
    (rand() < 0.5 ? -1 : 1) * (lo + (hi - lo) * rand());

/** Cycles through 0, 1, 2 over entries and points, so every branch of a `where` is taken. */
export const selector: Sampler = (_rand, at, point) => (at.index + point) % 3;

/** n·I plus noise in [-0.5, 0.5]: strictly diagonally dominant, so invertible with det > 0. */
export const wellConditioned: Sampler = (rand, at) => (at.row === at.col ? at.rows : 0) + (rand() - 0.5);

/**
 * I plus noise in [-0.125, 0.125]: diagonally dominant up to 4×4, det near 1. Used where a
 * product of determinants would otherwise reach ~1e5, where central differences lose ~1e-5 to
 * rounding (eps · |f| / h) on the gradient's small entries.
 */
export const nearIdentity: Sampler = (rand, at) => (at.row === at.col ? 1 : 0) + 0.25 * (rand() - 0.5);

/** Labels (classes ±1) for logistic losses. */
export const plusMinusOne: Sampler = (rand) => (rand() < 0.5 ? -1 : 1);

const anyReal = between(-2, 2);

// ---------------------------------------------------------------- reference math (plain JS)

const num = (v: MValue): number => v as number;
const vec = (v: MValue): Float64Array => v as Float64Array;
const mat = (v: MValue): Matrix => v as Matrix;

function fromFn(rows: number, cols: number, f: (i: number, j: number) => number): Matrix {
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) data[i * cols + j] = f(i, j);
  return { rows, cols, data };
}

const get = (A: Matrix, i: number, j: number): number => A.data[i * A.cols + j]!;
const entries = (v: MValue): number[] =>
  typeof v === "number" ? [v] : v instanceof Float64Array ? Array.from(v) : Array.from(v.data);

/** Applies a scalar function entry-wise, broadcasting scalars and vectors over the rows of matrices. */
export function mapM(f: (...xs: number[]) => number, ...vs: MValue[]): MValue {
  const m = vs.find(isMatrixValue) as Matrix | undefined;
  const at = (v: MValue, i: number, j: number): number =>
    typeof v === "number" ? v : v instanceof Float64Array ? v[j]! : get(v, i, j);
  if (m !== undefined) return fromFn(m.rows, m.cols, (i, j) => f(...vs.map((v) => at(v, i, j))));
  const v = vs.find((x) => x instanceof Float64Array) as Float64Array | undefined;
  if (v !== undefined)
    return Float64Array.from({ length: v.length }, (_, j) => f(...vs.map((x) => at(x, 0, j))));
  return f(...vs.map(num));
}
export const map1 =
  (f: (x: number) => number) =>
  (x: MValue): MValue =>
    mapM(f, x);

function logsumexpOf(xs: readonly number[]): number {
  const m = Math.max(...xs);
  return m + Math.log(xs.reduce((s, v) => s + Math.exp(v - m), 0));
}
function softmaxOf(xs: readonly number[]): number[] {
  const m = Math.max(...xs);
  const e = xs.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/** Reductions of a list of entries. */
export const reducers: Record<string, (xs: readonly number[]) => number> = {
  sum: (xs) => xs.reduce((s, v) => s + v, 0),
  mean: (xs) => xs.reduce((s, v) => s + v, 0) / xs.length,
  prod: (xs) => xs.reduce((s, v) => s * v, 1),
  norm1: (xs) => xs.reduce((s, v) => s + Math.abs(v), 0),
  norm2: (xs) => Math.sqrt(xs.reduce((s, v) => s + v * v, 0)),
  max: (xs) => Math.max(...xs),
  min: (xs) => Math.min(...xs),
  logsumexp: logsumexpOf,
};

function rowOf(A: Matrix, i: number): number[] {
  return Array.from(A.data.subarray(i * A.cols, (i + 1) * A.cols));
}
function colOf(A: Matrix, j: number): number[] {
  return Array.from({ length: A.rows }, (_, i) => get(A, i, j));
}

/** Determinant by Laplace expansion along the first row (independent of the runtime's LU). */
function detOf(A: Matrix): number {
  const n = A.rows;
  if (n === 1) return A.data[0]!;
  if (n === 2) return get(A, 0, 0) * get(A, 1, 1) - get(A, 0, 1) * get(A, 1, 0);
  let d = 0;
  for (let j = 0; j < n; j++) d += (j % 2 === 0 ? 1 : -1) * get(A, 0, j) * detOf(minor(A, 0, j));
  return d;
}
function minor(A: Matrix, r: number, c: number): Matrix {
  const n = A.rows;
  return fromFn(n - 1, n - 1, (i, j) => get(A, i < r ? i : i + 1, j < c ? j : j + 1));
}
/** Cofactor matrix: C_ij = (−1)^(i+j) det(minor_ij), so ∇ det(A) = C and inv(A) = Cᵀ / det(A). */
function cofactors(A: Matrix): Matrix {
  const n = A.rows;
  if (n === 1) return makeMatrix(1, 1, [1]);
  return fromFn(n, n, (i, j) => ((i + j) % 2 === 0 ? 1 : -1) * detOf(minor(A, i, j)));
}

export const mref = {
  num,
  vec,
  mat,
  fromFn,
  get,
  entries,
  matrix: (rows: readonly (readonly number[])[]): Matrix =>
    makeMatrix(rows.length, rows[0]!.length, rows.flat()),
  reduce: (name: string, v: MValue): number => reducers[name]!(entries(v)),
  /** axis=0: one result per column; axis=1: one per row (NumPy). */
  along: (name: string, A: Matrix, axis: 0 | 1): Float64Array =>
    axis === 0
      ? Float64Array.from({ length: A.cols }, (_, j) => reducers[name]!(colOf(A, j)))
      : Float64Array.from({ length: A.rows }, (_, i) => reducers[name]!(rowOf(A, i))),
  softmax: (x: MValue): Float64Array => Float64Array.from(softmaxOf(entries(x))),
  softmaxAlong: (A: Matrix, axis: 0 | 1): Matrix => {
    const out = fromFn(A.rows, A.cols, () => 0);
    if (axis === 1)
      for (let i = 0; i < A.rows; i++)
        softmaxOf(rowOf(A, i)).forEach((v, j) => (out.data[i * A.cols + j] = v));
    else
      for (let j = 0; j < A.cols; j++)
        softmaxOf(colOf(A, j)).forEach((v, i) => (out.data[i * A.cols + j] = v));
    return out;
  },
  matmul: (A: Matrix, B: Matrix): Matrix => {
    if (A.cols !== B.rows) throw new Error(`mref.matmul: ${A.rows}×${A.cols} @ ${B.rows}×${B.cols}`);
    return fromFn(A.rows, B.cols, (i, j) => {
      let s = 0;
      for (let k = 0; k < A.cols; k++) s += get(A, i, k) * get(B, k, j);
      return s;
    });
  },
  matvec: (A: Matrix, x: Float64Array): Float64Array =>
    Float64Array.from({ length: A.rows }, (_, i) => rowOf(A, i).reduce((s, a, k) => s + a * x[k]!, 0)),
  vecmat: (x: Float64Array, A: Matrix): Float64Array =>
    Float64Array.from({ length: A.cols }, (_, j) => colOf(A, j).reduce((s, a, k) => s + x[k]! * a, 0)),
  dot: (x: MValue, y: MValue): number => entries(x).reduce((s, v, i) => s + v * entries(y)[i]!, 0),
  transpose: (A: Matrix): Matrix => fromFn(A.cols, A.rows, (i, j) => get(A, j, i)),
  outer: (x: Float64Array, y: Float64Array): Matrix => fromFn(x.length, y.length, (i, j) => x[i]! * y[j]!),
  trace: (A: Matrix): number =>
    Array.from({ length: Math.min(A.rows, A.cols) }, (_, i) => get(A, i, i)).reduce((a, b) => a + b, 0),
  diag: (v: Float64Array): Matrix => fromFn(v.length, v.length, (i, j) => (i === j ? v[i]! : 0)),
  diagonal: (A: Matrix): Float64Array =>
    Float64Array.from({ length: Math.min(A.rows, A.cols) }, (_, i) => get(A, i, i)),
  eye: (n: number): Matrix => fromFn(n, n, (i, j) => (i === j ? 1 : 0)),
  full: (rows: number, cols: number, value: number): Matrix => fromFn(rows, cols, () => value),
  det: detOf,
  logdet: (A: Matrix): number => Math.log(detOf(A)),
  cofactors,
  inv: (A: Matrix): Matrix => {
    const d = detOf(A);
    const c = cofactors(A);
    return fromFn(A.rows, A.cols, (i, j) => get(c, j, i) / d);
  },
  add: (A: Matrix, B: Matrix): Matrix => mapM((a, b) => a + b, A, B) as Matrix,
  sub: (A: Matrix, B: Matrix): Matrix => mapM((a, b) => a - b, A, B) as Matrix,
  scale: (A: Matrix, s: number): Matrix => mapM((a) => a * s, A) as Matrix,
  sigmoid: (x: number) => 1 / (1 + Math.exp(-x)),
  softplus: (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
};

// ---------------------------------------------------------------- accept helpers

/** Every pair of (broadcast) entries of arguments i and j differs by more than gap. */
const apart =
  (i: number, j: number, gap = 0.1) =>
  (args: MValue[]): boolean =>
    entries(mapM((a, b) => Math.abs(a - b), args[i]!, args[j]!)).every((d) => d > gap);

/** All numbers pairwise more than gap apart (no ties for max/min). */
function distinctList(xs: readonly number[], gap = 0.05): boolean {
  const s = [...xs].sort((a, b) => a - b);
  return s.every((x, k) => k === 0 || x - s[k - 1]! > gap);
}
const distinct = (v: MValue, gap = 0.05): boolean => distinctList(entries(v), gap);

/** No ties within any column (axis 0) or row (axis 1). */
const distinctAlong = (A: Matrix, axis: 0 | 1): boolean =>
  axis === 0
    ? Array.from({ length: A.cols }, (_, j) => colOf(A, j)).every((c) => distinctList(c))
    : Array.from({ length: A.rows }, (_, i) => rowOf(A, i)).every((r) => distinctList(r));

// ---------------------------------------------------------------- the table

const shapeText = (s: Shape): string => (s === "real" ? "real" : `real[${s.join(", ")}]`);
const p = (name: string, shape: Shape, sample: Sampler = anyReal, wrt?: boolean): Param =>
  wrt === undefined ? { name, shape, sample } : { name, shape, sample, wrt };
const signature = (params: readonly Param[]): string =>
  params.map((q) => `${q.name}: ${shapeText(q.shape)}`).join(", ");

const MN = ["m", "n"] as const;
const NN = ["n", "n"] as const;

const binary: Record<string, (a: number, b: number) => number> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => a / b,
  "^": (a, b) => Math.pow(a, b),
  max: (a, b) => Math.max(a, b),
  min: (a, b) => Math.min(a, b),
  pow: (a, b) => Math.pow(a, b),
};

/** Operand shapes of element-wise operations involving a matrix. */
type Combo = readonly [Shape, Shape, string];
const combos: readonly Combo[] = [
  [MN, MN, "matrix-matrix"],
  [MN, "real", "matrix-scalar"],
  ["real", MN, "scalar-matrix"],
  [MN, ["n"], "matrix-vector (over rows)"],
  [["n"], MN, "vector-matrix (over rows)"],
];

function literals(): MatrixCase[] {
  const s = (name: string, sample: Sampler = anyReal) => p(name, "real", sample);
  return [
    {
      name: "A (a matrix parameter returned as is)",
      source: "fn f(A: real[m, n]) = A",
      params: [p("A", MN)],
      reference: (A) => A,
      sizes: GENERAL,
    },
    {
      name: "2 * A - 1",
      source: "fn f(A: real[m, n]) = 2 * A - 1",
      params: [p("A", MN)],
      reference: map1((a) => 2 * a - 1),
      sizes: GENERAL,
    },
    {
      name: "unary -A",
      source: "fn f(A: real[m, n]) = -A",
      params: [p("A", MN)],
      reference: map1((a) => -a),
      sizes: GENERAL,
    },
    {
      name: "unary +A",
      source: "fn f(A: real[m, n]) = +A",
      params: [p("A", MN)],
      reference: map1((a) => a),
      sizes: GENERAL,
    },
    {
      name: "-A^2 is -(A^2)",
      source: "fn f(A: real[m, n]) = -A^2",
      params: [p("A", MN)],
      reference: map1((a) => -(a * a)),
      sizes: GENERAL,
    },
    {
      name: "[[a * b, sin(c), 1], [a + c, 2, b^2]] (2×3 literal, expression entries)",
      source: "fn f(a: real, b: real, c: real) = [[a * b, sin(c), 1], [a + c, 2, b^2]]",
      params: [s("a"), s("b"), s("c")],
      reference: (a, b, c) =>
        mref.matrix([
          [num(a) * num(b), Math.sin(num(c)), 1],
          [num(a) + num(c), 2, num(b) ** 2],
        ]),
      sizes: FIXED,
    },
    {
      name: "[[a, b * a, exp(b)]] (1×3 literal)",
      source: "fn f(a: real, b: real) = [[a, b * a, exp(b)]]",
      params: [s("a"), s("b")],
      reference: (a, b) => mref.matrix([[num(a), num(b) * num(a), Math.exp(num(b))]]),
      sizes: FIXED,
    },
    {
      name: "[[a], [a * b], [-b]] (3×1 literal)",
      source: "fn f(a: real, b: real) = [[a], [a * b], [-b]]",
      params: [s("a"), s("b")],
      reference: (a, b) => mref.matrix([[num(a)], [num(a) * num(b)], [-num(b)]]),
      sizes: FIXED,
    },
    {
      name: "[[a^2]] (1×1 literal)",
      source: "fn f(a: real) = [[a^2]]",
      params: [s("a")],
      reference: (a) => mref.matrix([[num(a) ** 2]]),
      sizes: FIXED,
    },
    {
      name: "sum([[a, b], [a * b, exp(a)]] @ [b, a]) (literal in a product)",
      source: "fn f(a: real, b: real) = sum([[a, b], [a * b, exp(a)]] @ [b, a])",
      params: [s("a"), s("b")],
      reference: (a, b) => {
        const [x, y] = [num(a), num(b)];
        return x * y + y * x + x * y * y + Math.exp(x) * x;
      },
      sizes: FIXED,
    },
    {
      name: "[[x[0], x[1]], [x[2], x[0] * x[1]]] (entries from a vector)",
      source: "fn f(x: real[3]) = [[x[0], x[1]], [x[2], x[0] * x[1]]]",
      params: [p("x", [3])],
      reference: (x) =>
        mref.matrix([
          [vec(x)[0]!, vec(x)[1]!],
          [vec(x)[2]!, vec(x)[0]! * vec(x)[1]!],
        ]),
      sizes: FIXED,
    },
    {
      name: "[[A[1, 1], -A[0, 1]], [-A[1, 0], A[0, 0]]] (adjugate, entries from a matrix)",
      source: "fn f(A: real[2, 2]) = [[A[1, 1], -A[0, 1]], [-A[1, 0], A[0, 0]]]",
      params: [p("A", [2, 2])],
      reference: (A) =>
        mref.matrix([
          [get(mat(A), 1, 1), -get(mat(A), 0, 1)],
          [-get(mat(A), 1, 0), get(mat(A), 0, 0)],
        ]),
      sizes: FIXED,
    },
    {
      name: "A @ [[x, 1], [0, x]] (literal with parameter entries)",
      source: "fn f(A: real[m, 2], x: real) = A @ [[x, 1], [0, x]]",
      params: [p("A", ["m", 2]), s("x")],
      reference: (A, x) =>
        mref.matmul(
          mat(A),
          mref.matrix([
            [num(x), 1],
            [0, num(x)],
          ]),
        ),
      sizes: [{ m: 1 }, { m: 3 }],
    },
    {
      name: "[[1, 2], [3, 4]] * A (constant literal, element-wise)",
      source: "fn f(A: real[2, 2]) = [[1, 2], [3, 4]] * A",
      params: [p("A", [2, 2])],
      reference: (A) =>
        mapM(
          (c, a) => c * a,
          mref.matrix([
            [1, 2],
            [3, 4],
          ]),
          A,
        ),
      sizes: FIXED,
    },
    {
      name: "sum(A * [[1, -1, 2], [0, 3, -2]]) (constant 2×3 literal)",
      source: "fn f(A: real[2, 3]) = sum(A * [[1, -1, 2], [0, 3, -2]])",
      params: [p("A", [2, 3])],
      reference: (A) =>
        mref.reduce(
          "sum",
          mapM(
            (a, c) => a * c,
            A,
            mref.matrix([
              [1, -1, 2],
              [0, 3, -2],
            ]),
          ),
        ),
      sizes: FIXED,
    },
    {
      name: "[[exp(s), sum(x)], [dot(x, x), s * x[0]]] (reductions as entries)",
      source: "fn f(s: real, x: real[n]) = [[exp(s), sum(x)], [dot(x, x), s * x[0]]]",
      params: [s("s"), p("x", ["n"])],
      reference: (sv, x) =>
        mref.matrix([
          [Math.exp(num(sv)), mref.reduce("sum", x)],
          [mref.dot(x, x), num(sv) * vec(x)[0]!],
        ]),
      sizes: [{ n: 1 }, { n: 3 }],
    },
    {
      name: "[[s, 0], [0, s]] @ x + [[1, s], [s, 1]] @ x",
      source: "fn f(s: real, x: real[2]) = [[s, 0], [0, s]] @ x + [[1, s], [s, 1]] @ x",
      params: [s("s"), p("x", [2])],
      reference: (sv, x) => {
        const [a, b] = [vec(x)[0]!, vec(x)[1]!];
        const t = num(sv);
        return Float64Array.of(t * a + a + t * b, t * b + t * a + b);
      },
      sizes: FIXED,
    },
    {
      name: "sum(A) / (m * n) (dimensions as reals)",
      source: "fn f(A: real[m, n]) = sum(A) / (m * n)",
      params: [p("A", MN)],
      reference: (A) => mref.reduce("mean", A),
      sizes: GENERAL,
    },
    {
      name: "A / n + m (dimensions as reals, matrix result)",
      source: "fn f(A: real[m, n]) = A / n + m",
      params: [p("A", MN)],
      reference: (A) => mapM((a) => a / mat(A).cols + mat(A).rows, A),
      sizes: GENERAL,
    },
  ];
}

function matmulCases(): MatrixCase[] {
  return [
    {
      name: "A @ B (matrix @ matrix)",
      source: "fn f(A: real[m, n], B: real[n, k]) = A @ B",
      params: [p("A", MN), p("B", ["n", "k"])],
      reference: (A, B) => mref.matmul(mat(A), mat(B)),
      sizes: TRIPLE,
    },
    {
      name: "sum(sin(A @ B))",
      source: "fn f(A: real[m, n], B: real[n, k]) = sum(sin(A @ B))",
      params: [p("A", MN), p("B", ["n", "k"])],
      reference: (A, B) => mref.reduce("sum", map1(Math.sin)(mref.matmul(mat(A), mat(B)))),
      sizes: TRIPLE,
    },
    {
      name: "A @ x (matrix @ vector)",
      source: "fn f(A: real[m, n], x: real[n]) = A @ x",
      params: [p("A", MN), p("x", ["n"])],
      reference: (A, x) => mref.matvec(mat(A), vec(x)),
      sizes: GENERAL,
    },
    {
      name: "sum(exp(A @ x))",
      source: "fn f(A: real[m, n], x: real[n]) = sum(exp(A @ x))",
      params: [p("A", MN), p("x", ["n"], between(-1, 1))],
      reference: (A, x) => mref.reduce("sum", map1(Math.exp)(mref.matvec(mat(A), vec(x)))),
      sizes: GENERAL,
    },
    {
      name: "x @ A (vector @ matrix)",
      source: "fn f(x: real[m], A: real[m, n]) = x @ A",
      params: [p("x", ["m"]), p("A", MN)],
      reference: (x, A) => mref.vecmat(vec(x), mat(A)),
      sizes: GENERAL,
    },
    {
      name: "x @ A @ y (vector @ matrix @ vector)",
      source: "fn f(x: real[m], A: real[m, n], y: real[n]) = x @ A @ y",
      params: [p("x", ["m"]), p("A", MN), p("y", ["n"])],
      reference: (x, A, y) => mref.dot(mref.vecmat(vec(x), mat(A)), y),
      sizes: GENERAL,
    },
    {
      name: "(A @ x) @ (A @ x) (vector @ vector of products)",
      source: "fn f(A: real[m, n], x: real[n]) = (A @ x) @ (A @ x)",
      params: [p("A", MN), p("x", ["n"])],
      reference: (A, x) => {
        const y = mref.matvec(mat(A), vec(x));
        return mref.dot(y, y);
      },
      sizes: GENERAL,
    },
    {
      name: "A @ A (same operand twice)",
      source: "fn f(A: real[n, n]) = A @ A",
      params: [p("A", NN)],
      reference: (A) => mref.matmul(mat(A), mat(A)),
      sizes: SQUARE,
    },
    {
      name: "A @ B @ C (chain back to m × m)",
      source: "fn f(A: real[m, n], B: real[n, k], C: real[k, m]) = A @ B @ C",
      params: [p("A", MN), p("B", ["n", "k"]), p("C", ["k", "m"])],
      reference: (A, B, C) => mref.matmul(mref.matmul(mat(A), mat(B)), mat(C)),
      sizes: TRIPLE,
    },
    {
      name: "A' @ B",
      source: "fn f(A: real[n, m], B: real[n, k]) = A' @ B",
      params: [p("A", ["n", "m"]), p("B", ["n", "k"])],
      reference: (A, B) => mref.matmul(mref.transpose(mat(A)), mat(B)),
      sizes: TRIPLE,
    },
    {
      name: "A @ B'",
      source: "fn f(A: real[m, n], B: real[k, n]) = A @ B'",
      params: [p("A", MN), p("B", ["k", "n"])],
      reference: (A, B) => mref.matmul(mat(A), mref.transpose(mat(B))),
      sizes: TRIPLE,
    },
    {
      name: "A' @ A (Gram matrix)",
      source: "fn f(A: real[m, n]) = A' @ A",
      params: [p("A", MN)],
      reference: (A) => mref.matmul(mref.transpose(mat(A)), mat(A)),
      sizes: GENERAL,
    },
    {
      name: "A @ x + b (affine)",
      source: "fn f(A: real[m, n], x: real[n], b: real[m]) = A @ x + b",
      params: [p("A", MN), p("x", ["n"]), p("b", ["m"])],
      reference: (A, x, b) => mapM((u, v) => u + v, mref.matvec(mat(A), vec(x)), b),
      sizes: GENERAL,
    },
    {
      name: "A @ (B @ x) (nested)",
      source: "fn f(A: real[m, n], B: real[n, k], x: real[k]) = A @ (B @ x)",
      params: [p("A", MN), p("B", ["n", "k"]), p("x", ["k"])],
      reference: (A, B, x) => mref.matvec(mat(A), mref.matvec(mat(B), vec(x))),
      sizes: TRIPLE,
    },
    {
      name: "A @ [1, -2] (constant vector)",
      source: "fn f(A: real[m, 2]) = A @ [1, -2]",
      params: [p("A", ["m", 2])],
      reference: (A) => mref.matvec(mat(A), Float64Array.of(1, -2)),
      sizes: [{ m: 1 }, { m: 3 }],
    },
    {
      name: "[1, 2, 3] @ A (constant vector @ matrix)",
      source: "fn f(A: real[3, n]) = [1, 2, 3] @ A",
      params: [p("A", [3, "n"])],
      reference: (A) => mref.vecmat(Float64Array.of(1, 2, 3), mat(A)),
      sizes: [{ n: 1 }, { n: 2 }],
    },
    {
      name: "(A @ B) * s, scalar times product",
      source: "fn f(A: real[m, n], B: real[n, k], s: real) = (A @ B) * s",
      params: [p("A", MN), p("B", ["n", "k"]), p("s", "real")],
      reference: (A, B, sv) => mref.scale(mref.matmul(mat(A), mat(B)), num(sv)),
      sizes: TRIPLE,
    },
  ];
}

function transposeCases(): MatrixCase[] {
  return [
    {
      name: "A'",
      source: "fn f(A: real[m, n]) = A'",
      params: [p("A", MN)],
      reference: (A) => mref.transpose(mat(A)),
      sizes: GENERAL,
    },
    {
      name: "transpose(A)",
      source: "fn f(A: real[m, n]) = transpose(A)",
      params: [p("A", MN)],
      reference: (A) => mref.transpose(mat(A)),
      sizes: GENERAL,
    },
    {
      name: "A'' is A",
      source: "fn f(A: real[m, n]) = A'' * 3",
      params: [p("A", MN)],
      reference: (A) => mref.scale(mat(A), 3),
      sizes: GENERAL,
    },
    {
      name: "x' of a vector is the vector",
      source: "fn f(x: real[n]) = x' * 2",
      params: [p("x", ["n"])],
      reference: map1((v) => 2 * v),
      sizes: [{ n: 1 }, { n: 3 }],
    },
    {
      name: "transpose(x) of a vector is the vector",
      source: "fn f(x: real[n], y: real[n]) = transpose(x) @ y",
      params: [p("x", ["n"]), p("y", ["n"])],
      reference: mref.dot,
      sizes: [{ n: 1 }, { n: 3 }],
    },
    {
      name: "sum(A' * B)",
      source: "fn f(A: real[m, n], B: real[n, m]) = sum(A' * B)",
      params: [p("A", MN), p("B", ["n", "m"])],
      reference: (A, B) =>
        mref.reduce(
          "sum",
          mapM((a, b) => a * b, mref.transpose(mat(A)), B),
        ),
      sizes: GENERAL,
    },
    {
      name: "(A @ B)'",
      source: "fn f(A: real[m, n], B: real[n, k]) = (A @ B)'",
      params: [p("A", MN), p("B", ["n", "k"])],
      reference: (A, B) => mref.transpose(mref.matmul(mat(A), mat(B))),
      sizes: TRIPLE,
    },
    {
      name: "transpose(A) @ x",
      source: "fn f(A: real[m, n], x: real[m]) = transpose(A) @ x",
      params: [p("A", MN), p("x", ["m"])],
      reference: (A, x) => mref.matvec(mref.transpose(mat(A)), vec(x)),
      sizes: GENERAL,
    },
    {
      name: "(A + A') / 2 (symmetric part)",
      source: "fn f(A: real[n, n]) = (A + A') / 2",
      params: [p("A", NN)],
      reference: (A) => mref.scale(mref.add(mat(A), mref.transpose(mat(A))), 0.5),
      sizes: SQUARE,
    },
    {
      name: "exp(A)' * B (transpose of an element-wise result)",
      source: "fn f(A: real[m, n], B: real[n, m]) = exp(A)' * B",
      params: [p("A", MN), p("B", ["n", "m"])],
      reference: (A, B) => mapM((a, b) => a * b, mref.transpose(map1(Math.exp)(A) as Matrix), B),
      sizes: GENERAL,
    },
  ];
}

function arithmetic(): MatrixCase[] {
  const cases: MatrixCase[] = [];
  const domains: Record<string, readonly [Sampler, Sampler]> = {
    "+": [anyReal, anyReal],
    "-": [anyReal, anyReal],
    "*": [anyReal, anyReal],
    "/": [anyReal, awayFromZero(0.5, 2)],
    // Both operands active: the base must be positive.
    "^": [between(0.5, 2), anyReal],
  };
  for (const op of ["+", "-", "*", "/", "^"]) {
    const [da, db] = domains[op]!;
    for (const [sa, sb, label] of combos) {
      const params = [p("a", sa, da), p("b", sb, db)];
      const f = (a: MValue, b: MValue) => mapM(binary[op]!, a, b);
      cases.push(
        {
          name: `a ${op} b, ${label}`,
          source: `fn f(${signature(params)}) = a ${op} b`,
          params,
          reference: f,
          sizes: GENERAL,
        },
        {
          name: `sum(a ${op} b), ${label}`,
          source: `fn f(${signature(params)}) = sum(a ${op} b)`,
          params,
          reference: (a, b) => mref.reduce("sum", f(a, b)),
          sizes: GENERAL,
        },
      );
    }
  }
  const A = (sample: Sampler = anyReal) => [p("A", MN, sample)];
  cases.push(
    {
      name: "A^2",
      source: "fn f(A: real[m, n]) = A^2",
      params: A(),
      reference: map1((a) => a * a),
      sizes: GENERAL,
    },
    {
      name: "A^-1",
      source: "fn f(A: real[m, n]) = A^-1",
      params: A(awayFromZero(0.5, 2)),
      reference: map1((a) => 1 / a),
      sizes: GENERAL,
    },
    {
      name: "A^0.5",
      source: "fn f(A: real[m, n]) = A^0.5",
      params: A(between(0.2, 3)),
      reference: map1(Math.sqrt),
      sizes: GENERAL,
    },
    {
      name: "2^A (constant base)",
      source: "fn f(A: real[m, n]) = 2^A",
      params: A(),
      reference: map1((a) => 2 ** a),
      sizes: GENERAL,
    },
    {
      name: "A * v + w (two broadcasts over rows)",
      source: "fn f(A: real[m, n], v: real[n], w: real[n]) = A * v + w",
      params: [p("A", MN), p("v", ["n"]), p("w", ["n"])],
      reference: (Av, v, w) => mapM((a, b, c) => a * b + c, Av, v, w),
      sizes: GENERAL,
    },
    {
      name: "sum((A - v)^2)",
      source: "fn f(A: real[m, n], v: real[n]) = sum((A - v)^2)",
      params: [p("A", MN), p("v", ["n"])],
      reference: (Av, v) =>
        mref.reduce(
          "sum",
          mapM((a, b) => (a - b) ** 2, Av, v),
        ),
      sizes: GENERAL,
    },
    {
      name: "exp(A) / v",
      source: "fn f(A: real[m, n], v: real[n]) = exp(A) / v",
      params: [p("A", MN), p("v", ["n"], awayFromZero(0.5, 2))],
      reference: (Av, v) => mapM((a, b) => Math.exp(a) / b, Av, v),
      sizes: GENERAL,
    },
    {
      name: "A + v * s (scalar times vector, broadcast over rows)",
      source: "fn f(A: real[m, n], v: real[n], s: real) = A + v * s",
      params: [p("A", MN), p("v", ["n"]), p("s", "real")],
      reference: (Av, v, sv) => mapM((a, b, c) => a + b * c, Av, v, sv),
      sizes: GENERAL,
    },
    {
      name: "A + B @ x (a product broadcast over rows)",
      source: "fn f(A: real[m, n], B: real[n, n], x: real[n]) = A + B @ x",
      params: [p("A", MN), p("B", NN), p("x", ["n"])],
      reference: (Av, B, x) => mapM((a, b) => a + b, Av, mref.matvec(mat(B), vec(x))),
      sizes: GENERAL,
    },
    {
      name: "v - A * A (vector minus matrix)",
      source: "fn f(A: real[m, n], v: real[n]) = v - A * A",
      params: [p("A", MN), p("v", ["n"])],
      reference: (Av, v) => mapM((a, b) => b - a * a, Av, v),
      sizes: GENERAL,
    },
    {
      name: "-(A * B) + A - B / 2",
      source: "fn f(A: real[m, n], B: real[m, n]) = -(A * B) + A - B / 2",
      params: [p("A", MN), p("B", MN)],
      reference: (Av, B) => mapM((a, b) => -(a * b) + a - b / 2, Av, B),
      sizes: GENERAL,
    },
  );
  return cases;
}

const elementwise: Record<string, readonly [(x: number) => number, Sampler]> = {
  exp: [Math.exp, anyReal],
  log: [Math.log, between(0.1, 3)],
  sqrt: [Math.sqrt, between(0.1, 3)],
  sin: [Math.sin, between(-3, 3)],
  cos: [Math.cos, between(-3, 3)],
  tan: [Math.tan, between(-1.2, 1.2)],
  asin: [Math.asin, between(-0.9, 0.9)],
  acos: [Math.acos, between(-0.9, 0.9)],
  atan: [Math.atan, between(-3, 3)],
  sinh: [Math.sinh, anyReal],
  cosh: [Math.cosh, anyReal],
  tanh: [Math.tanh, anyReal],
  sigmoid: [mref.sigmoid, between(-4, 4)],
  softplus: [mref.softplus, between(-4, 4)],
  // Kinks at 0: sample away from them.
  relu: [(x) => Math.max(0, x), awayFromZero()],
  abs: [Math.abs, awayFromZero()],
  sign: [Math.sign, awayFromZero()],
  log1p: [Math.log1p, between(0.05, 3)],
  expm1: [Math.expm1, anyReal],
};

function elementwiseCases(): MatrixCase[] {
  return Object.entries(elementwise).flatMap(([fn, [f, sample]]): MatrixCase[] => [
    {
      name: `${fn}(A)`,
      source: `fn f(A: real[m, n]) = ${fn}(A)`,
      params: [p("A", MN, sample)],
      reference: map1(f),
      sizes: GENERAL,
    },
    {
      name: `sum(${fn}(A))`,
      source: `fn f(A: real[m, n]) = sum(${fn}(A))`,
      params: [p("A", MN, sample)],
      reference: (A) => mref.reduce("sum", map1(f)(A)),
      sizes: GENERAL,
    },
  ]);
}

function twoArgument(): MatrixCase[] {
  const cases: MatrixCase[] = [];
  const domains: Record<string, readonly [Sampler, Sampler]> = {
    max: [anyReal, anyReal],
    min: [anyReal, anyReal],
    pow: [between(0.5, 2), anyReal],
  };
  for (const fn of ["max", "min", "pow"]) {
    const [da, db] = domains[fn]!;
    const accept = fn === "pow" ? undefined : apart(0, 1);
    for (const [sa, sb, label] of combos) {
      const params = [p("a", sa, da), p("b", sb, db)];
      const f = (a: MValue, b: MValue) => mapM(binary[fn]!, a, b);
      cases.push(
        {
          name: `${fn}(a, b), ${label}`,
          source: `fn f(${signature(params)}) = ${fn}(a, b)`,
          params,
          reference: f,
          sizes: GENERAL,
          ...(accept && { accept }),
        },
        {
          name: `sum(${fn}(a, b)), ${label}`,
          source: `fn f(${signature(params)}) = sum(${fn}(a, b))`,
          params,
          reference: (a, b) => mref.reduce("sum", f(a, b)),
          sizes: GENERAL,
          ...(accept && { accept }),
        },
      );
    }
  }
  cases.push(
    {
      name: "max(0, A) (ReLU on a matrix)",
      source: "fn f(A: real[m, n]) = max(0, A)",
      params: [p("A", MN, awayFromZero())],
      reference: map1((a) => Math.max(0, a)),
      sizes: GENERAL,
    },
    {
      name: "min(A, 1)",
      source: "fn f(A: real[m, n]) = min(A, 1)",
      params: [p("A", MN, awayFromZero(0.1, 0.9))],
      reference: map1((a) => Math.min(a, 1)),
      sizes: GENERAL,
    },
    {
      name: "pow(A, 3), negative bases",
      source: "fn f(A: real[m, n]) = pow(A, 3)",
      params: [p("A", MN)],
      reference: map1((a) => a ** 3),
      sizes: GENERAL,
    },
  );
  return cases;
}

const comparisons: Record<string, (a: number, b: number) => boolean> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

function whereCases(): MatrixCase[] {
  const cases: MatrixCase[] = [];
  const branches = (a: number, b: number, c: boolean) => (c ? a * b : Math.sin(a) - b);
  cases.push(
    {
      name: "where(A > B, A * B, sin(A) - B), matrix condition",
      source: "fn f(A: real[m, n], B: real[m, n]) = where(A > B, A * B, sin(A) - B)",
      params: [p("A", MN), p("B", MN)],
      accept: apart(0, 1),
      reference: (A, B) => mapM((a, b) => branches(a, b, a > b), A, B),
      sizes: GENERAL,
    },
    {
      name: "sum(where(A > B, A * B, sin(A) - B))",
      source: "fn f(A: real[m, n], B: real[m, n]) = sum(where(A > B, A * B, sin(A) - B))",
      params: [p("A", MN), p("B", MN)],
      accept: apart(0, 1),
      reference: (A, B) =>
        mref.reduce(
          "sum",
          mapM((a, b) => branches(a, b, a > b), A, B),
        ),
      sizes: GENERAL,
    },
  );
  for (const [op, cmp] of Object.entries(comparisons)) {
    cases.push({
      name: `sum(where(C ${op} 1, A * B, sin(A) - B)), selector matrix`,
      source: `fn f(A: real[m, n], B: real[m, n], C: real[m, n]) wrt A, B = sum(where(C ${op} 1, A * B, sin(A) - B))`,
      params: [p("A", MN), p("B", MN), p("C", MN, selector, false)],
      reference: (A, B, C) =>
        mref.reduce(
          "sum",
          mapM((a, b, c) => branches(a, b, cmp(c, 1)), A, B, C),
        ),
      sizes: GENERAL,
    });
  }
  cases.push(
    {
      name: "where(C == 1, A, B * 2), selector, matrix result",
      source: "fn f(A: real[m, n], B: real[m, n], C: real[m, n]) wrt A, B = where(C == 1, A, B * 2)",
      params: [p("A", MN), p("B", MN), p("C", MN, selector, false)],
      reference: (A, B, C) => mapM((a, b, c) => (c === 1 ? a : 2 * b), A, B, C),
      sizes: GENERAL,
    },
    {
      name: "where(A > 0, A, v), vector branch over rows",
      source: "fn f(A: real[m, n], v: real[n]) = where(A > 0, A, v)",
      params: [p("A", MN, awayFromZero()), p("v", ["n"])],
      reference: (A, v) => mapM((a, b) => (a > 0 ? a : b), A, v),
      sizes: GENERAL,
    },
    {
      name: "where(A > v, A, v * 2), vector in condition and branch",
      source: "fn f(A: real[m, n], v: real[n]) = where(A > v, A, v * 2)",
      params: [p("A", MN), p("v", ["n"])],
      accept: apart(0, 1),
      reference: (A, v) => mapM((a, b) => (a > b ? a : 2 * b), A, v),
      sizes: GENERAL,
    },
    {
      name: "where(A > 0, v, w * 2), matrix condition, vector branches",
      source: "fn f(A: real[m, n], v: real[n], w: real[n]) = where(A > 0, v, w * 2)",
      params: [p("A", MN, awayFromZero()), p("v", ["n"]), p("w", ["n"])],
      reference: (A, v, w) => mapM((a, b, c) => (a > 0 ? b : 2 * c), A, v, w),
      sizes: GENERAL,
    },
    {
      name: "where(x > 0, A, B * x), vector condition, matrix branches",
      source: "fn f(x: real[n], A: real[m, n], B: real[m, n]) = where(x > 0, A, B * x)",
      params: [p("x", ["n"], awayFromZero()), p("A", MN), p("B", MN)],
      reference: (x, A, B) => mapM((c, a, b) => (c > 0 ? a : b * c), x, A, B),
      sizes: GENERAL,
    },
    {
      name: "where(s > 0, A, A * s), scalar condition",
      source: "fn f(s: real, A: real[m, n]) = where(s > 0, A, A * s)",
      params: [p("s", "real", awayFromZero()), p("A", MN)],
      reference: (sv, A) => mapM((c, a) => (c > 0 ? a : a * c), sv, A),
      sizes: GENERAL,
    },
    {
      name: "where(A > 0, sqrt(A), 0), scalar branch",
      source: "fn f(A: real[m, n]) = where(A > 0, sqrt(A), 0)",
      params: [p("A", MN, awayFromZero())],
      reference: map1((a) => (a > 0 ? Math.sqrt(a) : 0)),
      sizes: GENERAL,
    },
    {
      name: "sum(where(A >= 0.5, log(A), A - 1)), constant threshold",
      source: "fn f(A: real[m, n]) = sum(where(A >= 0.5, log(A), A - 1))",
      params: [p("A", MN, (r) => (r() < 0.5 ? -1 + 1.4 * r() : 0.6 + 1.4 * r()))],
      reference: (A) => mref.reduce("sum", map1((a) => (a >= 0.5 ? Math.log(a) : a - 1))(A)),
      sizes: GENERAL,
    },
  );
  return cases;
}

function indexing(): MatrixCase[] {
  return [
    {
      name: "A[0, 0] (symbolic dimensions)",
      source: "fn f(A: real[m, n]) = A[0, 0]",
      params: [p("A", MN)],
      reference: (A) => get(mat(A), 0, 0),
      sizes: GENERAL,
    },
    {
      name: "A[0, 0] * A (an entry broadcast back over the matrix)",
      source: "fn f(A: real[m, n]) = A[0, 0] * A",
      params: [p("A", MN)],
      reference: (A) => mref.scale(mat(A), get(mat(A), 0, 0)),
      sizes: GENERAL,
    },
    {
      name: "A[1, 2] * A[0, 1] + sin(A[1, 0])",
      source: "fn f(A: real[2, 3]) = A[1, 2] * A[0, 1] + sin(A[1, 0])",
      params: [p("A", [2, 3])],
      reference: (A) => get(mat(A), 1, 2) * get(mat(A), 0, 1) + Math.sin(get(mat(A), 1, 0)),
      sizes: FIXED,
    },
    {
      name: "A[2, 0] - A[0, 1] of a 3×2 matrix",
      source: "fn f(A: real[3, 2]) = A[2, 0] - A[0, 1]",
      params: [p("A", [3, 2])],
      reference: (A) => get(mat(A), 2, 0) - get(mat(A), 0, 1),
      sizes: FIXED,
    },
    {
      name: "A[1, 1] * A[1, 1] (same entry twice)",
      source: "fn f(A: real[2, 2]) = A[1, 1] * A[1, 1]",
      params: [p("A", [2, 2])],
      reference: (A) => get(mat(A), 1, 1) ** 2,
      sizes: FIXED,
    },
    {
      name: "(A @ B)[0, 1] (index of a product)",
      source: "fn f(A: real[2, 3], B: real[3, 2]) = (A @ B)[0, 1]",
      params: [p("A", [2, 3]), p("B", [3, 2])],
      reference: (A, B) => get(mref.matmul(mat(A), mat(B)), 0, 1),
      sizes: FIXED,
    },
    {
      name: "A'[2, 1] (index of a transpose)",
      source: "fn f(A: real[2, 3]) = A'[2, 1]",
      params: [p("A", [2, 3])],
      reference: (A) => get(mat(A), 1, 2),
      sizes: FIXED,
    },
    {
      name: "y = exp(A); y[1, 0] - y[0, 1] (index of a variable)",
      source: "fn f(A: real[2, 2]) -> real {\n  y = exp(A)\n  return y[1, 0] - y[0, 1]\n}",
      params: [p("A", [2, 2])],
      reference: (A) => Math.exp(get(mat(A), 1, 0)) - Math.exp(get(mat(A), 0, 1)),
      sizes: FIXED,
    },
    {
      name: "[[A[0, 1], A[0, 0]], [A[1, 1], A[1, 0] * A[0, 0]]] (permutation literal)",
      source: "fn f(A: real[2, 2]) = [[A[0, 1], A[0, 0]], [A[1, 1], A[1, 0] * A[0, 0]]]",
      params: [p("A", [2, 2])],
      reference: (A) => {
        const a = mat(A);
        return mref.matrix([
          [get(a, 0, 1), get(a, 0, 0)],
          [get(a, 1, 1), get(a, 1, 0) * get(a, 0, 0)],
        ]);
      },
      sizes: FIXED,
    },
    {
      name: "(A @ x)[1] (vector index of a matrix product)",
      source: "fn f(A: real[3, 2], x: real[2]) = (A @ x)[1]",
      params: [p("A", [3, 2]), p("x", [2])],
      reference: (A, x) => mref.matvec(mat(A), vec(x))[1]!,
      sizes: FIXED,
    },
    {
      name: "outer(x, y)[1, 0]",
      source: "fn f(x: real[2], y: real[3]) = outer(x, y)[1, 0]",
      params: [p("x", [2]), p("y", [3])],
      reference: (x, y) => vec(x)[1]! * vec(y)[0]!,
      sizes: FIXED,
    },
    {
      name: "A[1, 2] with symbolic dimensions m = 2, n = 3 and larger",
      source: "fn f(A: real[m, n]) = A[1, 2] * A[0, 0]",
      params: [p("A", MN)],
      reference: (A) => get(mat(A), 1, 2) * get(mat(A), 0, 0),
      sizes: [
        { m: 2, n: 3 },
        { m: 3, n: 4 },
      ],
    },
  ];
}

const reductionSamples: Record<string, Sampler> = {
  sum: anyReal,
  mean: anyReal,
  prod: anyReal,
  norm1: awayFromZero(),
  norm2: anyReal,
  max: anyReal,
  min: anyReal,
  logsumexp: between(-3, 3),
};

function reductionCases(): MatrixCase[] {
  const cases: MatrixCase[] = [];
  for (const [fn, sample] of Object.entries(reductionSamples)) {
    const tieFree = fn === "max" || fn === "min";
    const scaled = (A: MValue, s: MValue) => mapM((a, b) => a * b, A, s);
    cases.push(
      {
        name: `${fn}(A)`,
        source: `fn f(A: real[m, n]) = ${fn}(A)`,
        params: [p("A", MN, sample)],
        reference: (A) => mref.reduce(fn, A),
        sizes: GENERAL,
        ...(tieFree && { accept: (args: MValue[]) => distinct(args[0]!) }),
      },
      {
        name: `${fn}(A * s), s scalar`,
        source: `fn f(A: real[m, n], s: real) = ${fn}(A * s)`,
        params: [p("A", MN, sample), p("s", "real", awayFromZero(0.5, 1.5))],
        reference: (A, s) => mref.reduce(fn, scaled(A, s)),
        sizes: GENERAL,
        ...(tieFree && { accept: (args: MValue[]) => distinct(scaled(args[0]!, args[1]!)) }),
      },
    );
  }
  cases.push(
    {
      name: "logsumexp(A @ B)",
      source: "fn f(A: real[m, n], B: real[n, k]) = logsumexp(A @ B)",
      params: [p("A", MN), p("B", ["n", "k"])],
      reference: (A, B) => mref.reduce("logsumexp", mref.matmul(mat(A), mat(B))),
      sizes: TRIPLE,
    },
    {
      name: "norm2(A @ x - y) (least-squares residual)",
      source: "fn f(A: real[m, n], x: real[n], y: real[m]) = norm2(A @ x - y)",
      params: [p("A", MN), p("x", ["n"]), p("y", ["m"])],
      reference: (A, x, y) =>
        mref.reduce(
          "norm2",
          mapM((u, v) => u - v, mref.matvec(mat(A), vec(x)), y),
        ),
      sizes: GENERAL,
    },
  );
  return cases;
}

function axisCases(): MatrixCase[] {
  const cases: MatrixCase[] = [];
  for (const [fn, sample] of Object.entries(reductionSamples)) {
    const tieFree = fn === "max" || fn === "min";
    for (const axis of [0, 1] as const) {
      const accept = tieFree ? { accept: (args: MValue[]) => distinctAlong(mat(args[0]!), axis) } : {};
      // axis=0 gives one entry per column (n), axis=1 one per row (m).
      const w = axis === 0 ? "n" : "m";
      cases.push(
        {
          name: `${fn}(A, axis=${axis})`,
          source: `fn f(A: real[m, n]) = ${fn}(A, axis=${axis})`,
          params: [p("A", MN, sample)],
          reference: (A) => mref.along(fn, mat(A), axis),
          sizes: GENERAL,
          ...accept,
        },
        {
          name: `${fn}(A, axis=${axis}) @ w`,
          source: `fn f(A: real[m, n], w: real[${w}]) = ${fn}(A, axis=${axis}) @ w`,
          params: [p("A", MN, sample), p("w", [w])],
          reference: (A, wv) => mref.dot(mref.along(fn, mat(A), axis), wv),
          sizes: GENERAL,
          ...accept,
        },
      );
    }
  }
  cases.push(
    {
      name: "logsumexp(A @ B, axis=1)",
      source: "fn f(A: real[m, n], B: real[n, k]) = logsumexp(A @ B, axis=1)",
      params: [p("A", MN), p("B", ["n", "k"])],
      reference: (A, B) => mref.along("logsumexp", mref.matmul(mat(A), mat(B)), 1),
      sizes: TRIPLE,
    },
    {
      name: "A - mean(A, axis=0) (centering the columns)",
      source: "fn f(A: real[m, n]) = A - mean(A, axis=0)",
      params: [p("A", MN)],
      reference: (A) => mapM((a, b) => a - b, A, mref.along("mean", mat(A), 0)),
      sizes: GENERAL,
    },
    {
      name: "A' - mean(A, axis=1) (centering the rows, transposed)",
      source: "fn f(A: real[m, n]) = A' - mean(A, axis=1)",
      params: [p("A", MN)],
      reference: (A) => mapM((a, b) => a - b, mref.transpose(mat(A)), mref.along("mean", mat(A), 1)),
      sizes: GENERAL,
    },
    {
      name: "sum(sum(A, axis=0)) + sum(A, axis=1) @ sum(A, axis=1)",
      source: "fn f(A: real[m, n]) = sum(sum(A, axis=0)) + sum(A, axis=1) @ sum(A, axis=1)",
      params: [p("A", MN)],
      reference: (A) => {
        const r = mref.along("sum", mat(A), 1);
        return mref.reduce("sum", A) + mref.dot(r, r);
      },
      sizes: GENERAL,
    },
  );
  return cases;
}

function softmaxCases(): MatrixCase[] {
  const cases: MatrixCase[] = [];
  for (const axis of [0, 1] as const) {
    cases.push(
      {
        name: `softmax(A, axis=${axis})`,
        source: `fn f(A: real[m, n]) = softmax(A, axis=${axis})`,
        params: [p("A", MN, between(-3, 3))],
        reference: (A) => mref.softmaxAlong(mat(A), axis),
        sizes: GENERAL,
      },
      {
        name: `sum(softmax(A, axis=${axis}) * B)`,
        source: `fn f(A: real[m, n], B: real[m, n]) = sum(softmax(A, axis=${axis}) * B)`,
        params: [p("A", MN, between(-3, 3)), p("B", MN)],
        reference: (A, B) =>
          mref.reduce(
            "sum",
            mapM((a, b) => a * b, mref.softmaxAlong(mat(A), axis), B),
          ),
        sizes: GENERAL,
      },
      {
        name: `softmax(A * s, axis=${axis}), s scalar`,
        source: `fn f(A: real[m, n], s: real) = softmax(A * s, axis=${axis})`,
        params: [p("A", MN), p("s", "real")],
        reference: (A, s) => mref.softmaxAlong(mref.scale(mat(A), num(s)), axis),
        sizes: GENERAL,
      },
    );
  }
  cases.push(
    {
      name: "softmax(A @ B, axis=1)",
      source: "fn f(A: real[m, n], B: real[n, k]) = softmax(A @ B, axis=1)",
      params: [p("A", MN), p("B", ["n", "k"])],
      reference: (A, B) => mref.softmaxAlong(mref.matmul(mat(A), mat(B)), 1),
      sizes: TRIPLE,
    },
    {
      name: "sum(log(softmax(A, axis=1)) * Y)",
      source: "fn f(A: real[m, n], Y: real[m, n]) = sum(log(softmax(A, axis=1)) * Y)",
      params: [p("A", MN), p("Y", MN)],
      reference: (A, Y) =>
        mref.reduce(
          "sum",
          mapM((a, b) => Math.log(a) * b, mref.softmaxAlong(mat(A), 1), Y),
        ),
      sizes: GENERAL,
    },
  );
  return cases;
}

function structural(): MatrixCase[] {
  return [
    {
      name: "outer(x, y)",
      source: "fn f(x: real[n], y: real[k]) = outer(x, y)",
      params: [p("x", ["n"]), p("y", ["k"])],
      reference: (x, y) => mref.outer(vec(x), vec(y)),
      sizes: TRIPLE,
    },
    {
      name: "outer(x, x)",
      source: "fn f(x: real[n]) = outer(x, x)",
      params: [p("x", ["n"])],
      reference: (x) => mref.outer(vec(x), vec(x)),
      sizes: SQUARE,
    },
    {
      name: "sum(outer(x, y) * A)",
      source: "fn f(x: real[n], y: real[k], A: real[n, k]) = sum(outer(x, y) * A)",
      params: [p("x", ["n"]), p("y", ["k"]), p("A", ["n", "k"])],
      reference: (x, y, A) =>
        mref.reduce(
          "sum",
          mapM((a, b) => a * b, mref.outer(vec(x), vec(y)), A),
        ),
      sizes: TRIPLE,
    },
    {
      name: "outer(x, y) @ z",
      source: "fn f(x: real[n], y: real[k], z: real[k]) = outer(x, y) @ z",
      params: [p("x", ["n"]), p("y", ["k"]), p("z", ["k"])],
      reference: (x, y, z) => mref.matvec(mref.outer(vec(x), vec(y)), vec(z)),
      sizes: TRIPLE,
    },
    {
      name: "trace(A)",
      source: "fn f(A: real[n, n]) = trace(A)",
      params: [p("A", NN)],
      reference: (A) => mref.trace(mat(A)),
      sizes: SQUARE,
    },
    {
      name: "trace(A) * A (matrix result)",
      source: "fn f(A: real[n, n]) = trace(A) * A",
      params: [p("A", NN)],
      reference: (A) => mref.scale(mat(A), mref.trace(mat(A))),
      sizes: SQUARE,
    },
    {
      name: "trace(A @ B), non-square factors",
      source: "fn f(A: real[m, n], B: real[n, m]) = trace(A @ B)",
      params: [p("A", MN), p("B", ["n", "m"])],
      reference: (A, B) => mref.trace(mref.matmul(mat(A), mat(B))),
      sizes: GENERAL,
    },
    {
      name: "trace(A' @ A)",
      source: "fn f(A: real[m, n]) = trace(A' @ A)",
      params: [p("A", MN)],
      reference: (A) => mref.trace(mref.matmul(mref.transpose(mat(A)), mat(A))),
      sizes: GENERAL,
    },
    {
      name: "diag(v)",
      source: "fn f(v: real[n]) = diag(v)",
      params: [p("v", ["n"])],
      reference: (v) => mref.diag(vec(v)),
      sizes: SQUARE,
    },
    {
      name: "diag(exp(v)) @ A",
      source: "fn f(v: real[m], A: real[m, n]) = diag(exp(v)) @ A",
      params: [p("v", ["m"]), p("A", MN)],
      reference: (v, A) => mref.matmul(mref.diag(map1(Math.exp)(v) as Float64Array), mat(A)),
      sizes: GENERAL,
    },
    {
      name: "sum(diag(v) * A)",
      source: "fn f(v: real[n], A: real[n, n]) = sum(diag(v) * A)",
      params: [p("v", ["n"]), p("A", NN)],
      reference: (v, A) =>
        mref.reduce(
          "sum",
          mapM((a, b) => a * b, mref.diag(vec(v)), A),
        ),
      sizes: SQUARE,
    },
    {
      name: "diagonal(A), square",
      source: "fn f(A: real[n, n]) = diagonal(A)",
      params: [p("A", NN)],
      reference: (A) => mref.diagonal(mat(A)),
      sizes: SQUARE,
    },
    ...(
      [
        [2, 3],
        [3, 2],
        [1, 4],
        [4, 1],
        [1, 1],
      ] as const
    ).map(([r, c]): MatrixCase => ({
      name: `diagonal(A) of real[${r}, ${c}] (min(m, n) entries)`,
      source: `fn f(A: real[${r}, ${c}]) = diagonal(A) * 2`,
      params: [p("A", [r, c])],
      reference: (A) => mapM((a) => 2 * a, mref.diagonal(mat(A))),
      sizes: FIXED,
    })),
    {
      name: "diagonal(A @ A') @ w",
      source: "fn f(A: real[m, n], w: real[m]) = diagonal(A @ A') @ w",
      params: [p("A", MN), p("w", ["m"])],
      reference: (A, w) => mref.dot(mref.diagonal(mref.matmul(mat(A), mref.transpose(mat(A)))), w),
      sizes: GENERAL,
    },
    {
      name: "diag(diagonal(A))",
      source: "fn f(A: real[n, n]) = diag(diagonal(A))",
      params: [p("A", NN)],
      reference: (A) => mref.diag(mref.diagonal(mat(A))),
      sizes: SQUARE,
    },
  ];
}

function constructors(): MatrixCase[] {
  return [
    {
      name: "A + eye(n)",
      source: "fn f(A: real[n, n]) = A + eye(n)",
      params: [p("A", NN)],
      reference: (A) => mref.add(mat(A), mref.eye(mat(A).rows)),
      sizes: SQUARE,
    },
    {
      name: "sum(A * eye(n)) (= trace)",
      source: "fn f(A: real[n, n]) = sum(A * eye(n))",
      params: [p("A", NN)],
      reference: (A) => mref.trace(mat(A)),
      sizes: SQUARE,
    },
    {
      name: "eye(3) @ x",
      source: "fn f(x: real[3]) = eye(3) @ x",
      params: [p("x", [3])],
      reference: (x) => Float64Array.from(vec(x)),
      sizes: FIXED,
    },
    {
      name: "eye(n) * s (matrix from a dimension of a vector parameter)",
      source: "fn f(x: real[n], s: real) = eye(n) * s + outer(x, x)",
      params: [p("x", ["n"]), p("s", "real")],
      reference: (x, s) => mref.add(mref.scale(mref.eye(vec(x).length), num(s)), mref.outer(vec(x), vec(x))),
      sizes: SQUARE,
    },
    {
      name: "A + zeros(m, n)",
      source: "fn f(A: real[m, n]) = A + zeros(m, n)",
      params: [p("A", MN)],
      reference: (A) => A,
      sizes: GENERAL,
    },
    {
      name: "A * ones(m, n) * 3",
      source: "fn f(A: real[m, n]) = A * ones(m, n) * 3",
      params: [p("A", MN)],
      reference: (A) => mref.scale(mat(A), 3),
      sizes: GENERAL,
    },
    {
      name: "ones(m, n) @ x (row sums)",
      source: "fn f(A: real[m, n], x: real[n]) = ones(m, n) @ x + A @ x",
      params: [p("A", MN), p("x", ["n"])],
      reference: (A, x) =>
        mapM(
          (a, b) => a + b,
          mref.matvec(mref.full(mat(A).rows, mat(A).cols, 1), vec(x)),
          mref.matvec(mat(A), vec(x)),
        ),
      sizes: GENERAL,
    },
    {
      name: "sum(ones(k, m) @ A)",
      source: "fn f(A: real[m, n], B: real[n, k]) = sum(ones(k, m) @ A @ B)",
      params: [p("A", MN), p("B", ["n", "k"])],
      reference: (A, B) =>
        mref.reduce("sum", mref.matmul(mref.matmul(mref.full(mat(B).cols, mat(A).rows, 1), mat(A)), mat(B))),
      sizes: TRIPLE,
    },
    {
      name: "zeros(2, 3) + s",
      source: "fn f(s: real) = zeros(2, 3) + s",
      params: [p("s", "real")],
      reference: (s) => mref.full(2, 3, num(s)),
      sizes: FIXED,
    },
    {
      name: "A @ ones(n, k)",
      source: "fn f(A: real[m, n], B: real[n, k]) = A @ ones(n, k) + A @ B",
      params: [p("A", MN), p("B", ["n", "k"])],
      reference: (A, B) =>
        mref.add(mref.matmul(mat(A), mref.full(mat(B).rows, mat(B).cols, 1)), mref.matmul(mat(A), mat(B))),
      sizes: TRIPLE,
    },
  ];
}

function linalg(): MatrixCase[] {
  const X = (name = "A") => p(name, NN, wellConditioned);
  return [
    {
      name: "inv(A)",
      source: "fn f(A: real[n, n]) = inv(A)",
      params: [X()],
      reference: (A) => mref.inv(mat(A)),
      sizes: SQUARE,
    },
    {
      name: "sum(inv(A) * W)",
      source: "fn f(A: real[n, n], W: real[n, n]) = sum(inv(A) * W)",
      params: [X(), p("W", NN)],
      reference: (A, W) =>
        mref.reduce(
          "sum",
          mapM((a, b) => a * b, mref.inv(mat(A)), W),
        ),
      sizes: SQUARE,
    },
    {
      name: "inv(A) @ x (a linear solve)",
      source: "fn f(A: real[n, n], x: real[n]) = inv(A) @ x",
      params: [X(), p("x", ["n"])],
      reference: (A, x) => mref.matvec(mref.inv(mat(A)), vec(x)),
      sizes: SQUARE,
    },
    {
      name: "x @ inv(A) @ x",
      source: "fn f(A: real[n, n], x: real[n]) = x @ inv(A) @ x",
      params: [X(), p("x", ["n"])],
      reference: (A, x) => mref.dot(mref.vecmat(vec(x), mref.inv(mat(A))), x),
      sizes: SQUARE,
    },
    {
      name: "inv(inv(A))",
      source: "fn f(A: real[n, n]) = inv(inv(A))",
      params: [X()],
      reference: (A) => A,
      sizes: SQUARE,
    },
    {
      name: "inv(A) @ B",
      source: "fn f(A: real[n, n], B: real[n, k]) = inv(A) @ B",
      params: [X(), p("B", ["n", "k"])],
      reference: (A, B) => mref.matmul(mref.inv(mat(A)), mat(B)),
      sizes: [
        { n: 1, k: 2 },
        { n: 2, k: 3 },
        { n: 3, k: 1 },
        { n: 4, k: 4 },
      ],
    },
    {
      name: "det(A)",
      source: "fn f(A: real[n, n]) = det(A)",
      params: [X()],
      reference: (A) => mref.det(mat(A)),
      sizes: SQUARE,
    },
    {
      name: "det(A), any signs (random entries)",
      source: "fn f(A: real[n, n]) = det(A)",
      params: [p("A", NN, between(-1, 1))],
      // Random matrices may be badly conditioned: keep |det| away from 0 so inverses stay tame.
      accept: (args) => Math.abs(mref.det(mat(args[0]!))) > 0.05,
      reference: (A) => mref.det(mat(A)),
      sizes: SQUARE,
    },
    {
      name: "logdet(A)",
      source: "fn f(A: real[n, n]) = logdet(A)",
      params: [X()],
      reference: (A) => mref.logdet(mat(A)),
      sizes: SQUARE,
    },
    {
      name: "det(A * s)",
      source: "fn f(A: real[n, n], s: real) = det(A * s)",
      params: [X(), p("s", "real", between(0.5, 1.5))],
      reference: (A, s) => mref.det(mref.scale(mat(A), num(s))),
      sizes: SQUARE,
    },
    {
      name: "logdet(A' @ A)",
      source: "fn f(A: real[n, n]) = logdet(A' @ A)",
      params: [X()],
      reference: (A) => mref.logdet(mref.matmul(mref.transpose(mat(A)), mat(A))),
      sizes: SQUARE,
    },
    {
      name: "det(inv(A))",
      source: "fn f(A: real[n, n]) = det(inv(A))",
      params: [X()],
      reference: (A) => 1 / mref.det(mat(A)),
      sizes: SQUARE,
    },
    {
      name: "det(A @ B)",
      source: "fn f(A: real[n, n], B: real[n, n]) = det(A @ B)",
      params: [X(), p("B", NN, nearIdentity)],
      reference: (A, B) => mref.det(mref.matmul(mat(A), mat(B))),
      sizes: SQUARE,
    },
    {
      name: "logdet(A) - trace(A) + log(det(A))",
      source: "fn f(A: real[n, n]) = logdet(A) - trace(A) + log(det(A))",
      params: [X()],
      reference: (A) => 2 * mref.logdet(mat(A)) - mref.trace(mat(A)),
      sizes: SQUARE,
    },
    {
      name: "logdet(A + eye(n))",
      source: "fn f(A: real[n, n]) = logdet(A + eye(n))",
      params: [X()],
      reference: (A) => mref.logdet(mref.add(mat(A), mref.eye(mat(A).rows))),
      sizes: SQUARE,
    },
    {
      name: "det([[a, b], [c, d]]) = ad - bc",
      source: "fn f(a: real, b: real, c: real, d: real) = det([[a, b], [c, d]])",
      params: [p("a", "real"), p("b", "real"), p("c", "real"), p("d", "real")],
      reference: (a, b, c, d) => num(a) * num(d) - num(b) * num(c),
      sizes: FIXED,
    },
    {
      name: "inv([[a, b], [c, d]])",
      source: "fn f(a: real, b: real, c: real, d: real) = inv([[a, b], [c, d]])",
      params: [
        p("a", "real", between(2, 3)),
        p("b", "real", between(-0.5, 0.5)),
        p("c", "real", between(-0.5, 0.5)),
        p("d", "real", between(2, 3)),
      ],
      reference: (a, b, c, d) => {
        const D = num(a) * num(d) - num(b) * num(c);
        return mref.matrix([
          [num(d) / D, -num(b) / D],
          [-num(c) / D, num(a) / D],
        ]);
      },
      sizes: FIXED,
    },
  ];
}

function calls(): MatrixCase[] {
  return [
    {
      name: "g(X, v) = X @ v; sum(g(A, x)^2)",
      source: "fn g(X: real[p, q], v: real[q]) = X @ v\nfn f(A: real[m, n], x: real[n]) = sum(g(A, x)^2)",
      params: [p("A", MN), p("x", ["n"])],
      reference: (A, x) => mref.reduce("sum", map1((t) => t * t)(mref.matvec(mat(A), vec(x)))),
      sizes: GENERAL,
    },
    {
      name: "g(X) = X' @ X; trace(g(A))",
      source: "fn g(X: real[p, q]) = X' @ X\nfn f(A: real[m, n]) = trace(g(A))",
      params: [p("A", MN)],
      reference: (A) => mref.reduce("sum", map1((t) => t * t)(A)),
      sizes: GENERAL,
    },
    {
      name: "matrix-valued callee g(A, s) * A",
      source: "fn g(X: real[p, q], s: real) = X * s + 1\nfn f(A: real[m, n], s: real) = g(A, s) * A",
      params: [p("A", MN), p("s", "real")],
      reference: (A, s) => mapM((a, t) => (a * t + 1) * a, A, s),
      sizes: GENERAL,
    },
    {
      name: "g(X) = logdet(X); g(A @ A')",
      source: "fn g(X: real[p, p]) = logdet(X)\nfn f(A: real[n, n]) = g(A @ A')",
      params: [p("A", NN, wellConditioned)],
      reference: (A) => mref.logdet(mref.matmul(mat(A), mref.transpose(mat(A)))),
      sizes: SQUARE,
    },
    {
      name: "callee with a fixed-size matrix parameter and a literal argument",
      source:
        "fn g(X: real[2, 2], v: real[2]) = v @ X @ v\nfn f(a: real, b: real) = g([[a, b], [b * a, 1]], [a, b])",
      params: [p("a", "real"), p("b", "real")],
      reference: (a, b) => {
        const [x, y] = [num(a), num(b)];
        const X = mref.matrix([
          [x, y],
          [y * x, 1],
        ]);
        const v = Float64Array.of(x, y);
        return mref.dot(mref.vecmat(v, X), v);
      },
      sizes: FIXED,
    },
  ];
}

export const groups: readonly CaseGroup[] = [
  { title: "matrix parameters, unary operators and literals", cases: literals() },
  { title: "@ in all four forms", cases: matmulCases() },
  { title: "transpose", cases: transposeCases() },
  { title: "element-wise arithmetic and broadcasting", cases: arithmetic() },
  { title: "element-wise functions on matrices", cases: elementwiseCases() },
  { title: "max, min, pow of two arguments", cases: twoArgument() },
  { title: "where on matrices", cases: whereCases() },
  { title: "indexing A[i, j]", cases: indexing() },
  { title: "reductions of a whole matrix", cases: reductionCases() },
  { title: "reductions along an axis", cases: axisCases() },
  { title: "softmax along an axis", cases: softmaxCases() },
  { title: "outer, trace, diag, diagonal", cases: structural() },
  { title: "eye, zeros, ones", cases: constructors() },
  { title: "inv, det, logdet", cases: linalg() },
  { title: "calls of user functions", cases: calls() },
];
