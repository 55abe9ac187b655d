// The runtime's axis reductions (runtime/along.ts) and linear algebra (runtime/linalg.ts), each
// against a naive reference on seeded random matrices of several shapes and both axes, plus the
// edge cases: ties, NaN, zeros, ±Infinity, overflow / underflow, pivoting and singular matrices.

import { describe, expect, it } from "vitest";
import {
  ShapeError,
  SingularMatrixError,
  argmaxMaskAlong,
  argminMaskAlong,
  det,
  diagMatrix,
  diagonal,
  eye,
  inv,
  logdet,
  logsumexp,
  logsumexpAlong,
  lu,
  mat,
  matmul,
  matrix,
  maxAlong,
  minAlong,
  norm2,
  norm2Along,
  oneHotMatrix,
  prodAlong,
  prodExceptAlong,
  softmax,
  softmaxAlong,
  sumAlong,
  tileAlong,
  transpose,
  vec,
  type Matrix,
} from "../runtime/index.js";
import { random } from "./support/numeric.js";

// ---------------------------------------------------------------- helpers

/** Deterministic pseudo-random numbers in [-1, 1). */
function rng(seed: number): () => number {
  const next = random(seed);
  return () => next() * 2 - 1;
}

function randomMatrix(rows: number, cols: number, next: () => number): Matrix {
  return matrix(rows, cols, Array.from({ length: rows * cols }, next));
}

function at(a: Matrix, i: number, j: number): number {
  return a.data[i * a.cols + j]!;
}

/** Column k (axis 0) or row k (axis 1) of `a` as a plain array. */
function slice(a: Matrix, axis: 0 | 1, k: number): number[] {
  return axis === 0
    ? Array.from({ length: a.rows }, (_, i) => at(a, i, k))
    : Array.from({ length: a.cols }, (_, j) => at(a, k, j));
}

/** The number of slices along `axis`: one per column (axis 0) or row (axis 1). */
function sliceCount(a: Matrix, axis: 0 | 1): number {
  return axis === 0 ? a.cols : a.rows;
}

/** Applies a per-slice reference and collects one number per slice. */
function reduceRef(a: Matrix, axis: 0 | 1, f: (x: number[]) => number): number[] {
  return Array.from({ length: sliceCount(a, axis) }, (_, k) => f(slice(a, axis, k)));
}

/** Applies a per-slice reference that maps a slice to a slice, and assembles the matrix. */
function mapRef(a: Matrix, axis: 0 | 1, f: (x: number[]) => number[]): Matrix {
  const out = matrix(a.rows, a.cols);
  for (let k = 0; k < sliceCount(a, axis); k++) {
    const y = f(slice(a, axis, k));
    y.forEach((v, t) => {
      const [i, j] = axis === 0 ? [t, k] : [k, t];
      out.data[i * a.cols + j] = v;
    });
  }
  return out;
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const v = actual[i]!;
    if (!Number.isFinite(e)) expect(v).toBe(e);
    else expect(v).toBeCloseTo(e, digits);
  }
}

/** |actual − expected| ≤ tol · max(1, |expected|) elementwise. */
function expectRelClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-13): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const v = actual[i]!;
    if (!Number.isFinite(e)) expect(v).toBe(e);
    else expect(Math.abs(v - e)).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(e)));
  }
}

function expectMatrixClose(actual: Matrix, expected: Matrix, digits = 12): void {
  expect(actual.rows).toBe(expected.rows);
  expect(actual.cols).toBe(expected.cols);
  expectClose(actual.data, expected.data, digits);
}

function expectThrows(fn: () => unknown, type: typeof ShapeError, message: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(type);
  expect((caught as Error).message).toBe(message);
}

const SHAPES: [number, number][] = [
  [1, 1],
  [1, 5],
  [5, 1],
  [3, 4],
  [4, 3],
];
const AXES = [0, 1] as const;

/** Every (shape, axis) pair with a fresh random matrix, 3 matrices per pair. */
function* cases(seed: number): Generator<[Matrix, 0 | 1]> {
  const next = rng(seed);
  for (const [m, n] of SHAPES) {
    for (const axis of AXES) {
      for (let t = 0; t < 3; t++) yield [randomMatrix(m, n, next), axis];
    }
  }
}

/** A copy of `a` to check that a kernel did not mutate its input. */
function snapshot(a: Matrix): number[] {
  return Array.from(a.data);
}

// Naive references.
const refMax = (x: number[]): number => Math.max(...x);
const refMin = (x: number[]): number => Math.min(...x);
const refSum = (x: number[]): number => x.reduce((s, v) => s + v, 0);
const refProd = (x: number[]): number => x.reduce((p, v) => p * v, 1);
const refProdExcept = (x: number[]): number[] =>
  x.map((_, i) => x.reduce((p, v, k) => (k === i ? p : p * v), 1));
const refNorm2 = (x: number[]): number => Math.hypot(...x);
const refLogsumexp = (x: number[]): number => Math.log(x.reduce((s, v) => s + Math.exp(v), 0));
const refSoftmax = (x: number[]): number[] => {
  const s = x.reduce((acc, v) => acc + Math.exp(v), 0);
  return x.map((v) => Math.exp(v) / s);
};
/** One-hot at the first index where `better(x[i], best)` never beat it; the first NaN wins. */
function refMask(x: number[], better: (a: number, b: number) => boolean): number[] {
  let best = x.findIndex((v) => Number.isNaN(v));
  if (best < 0) {
    best = 0;
    for (let i = 1; i < x.length; i++) if (better(x[i]!, x[best]!)) best = i;
  }
  return x.map((_, i) => (i === best ? 1 : 0));
}
const refArgmaxMask = (x: number[]): number[] => refMask(x, (a, b) => a > b);
const refArgminMask = (x: number[]): number[] => refMask(x, (a, b) => a < b);

/** The determinant by cofactor expansion along the first row. */
function cofactorDet(a: number[][]): number {
  const n = a.length;
  if (n === 1) return a[0]![0]!;
  let d = 0;
  for (let j = 0; j < n; j++) {
    const minor = a.slice(1).map((row) => row.filter((_, k) => k !== j));
    d += (j % 2 === 0 ? 1 : -1) * a[0]![j]! * cofactorDet(minor);
  }
  return d;
}

function toRows(a: Matrix): number[][] {
  return Array.from({ length: a.rows }, (_, i) => slice(a, 1, i));
}

/** A random n×n matrix made well-conditioned by adding n to the diagonal. */
function wellConditioned(n: number, next: () => number): Matrix {
  const a = randomMatrix(n, n, next);
  for (let i = 0; i < n; i++) a.data[i * n + i] = a.data[i * n + i]! + n;
  return a;
}

/** A random n×n matrix with entries in [-1, 1): LU needs row swaps, det may be negative. */
function general(n: number, next: () => number): Matrix {
  return randomMatrix(n, n, next);
}

// ---------------------------------------------------------------- along.ts

describe("reductions along an axis match per-slice references", () => {
  it("maxAlong / minAlong", () => {
    for (const [a, axis] of cases(1)) {
      const before = snapshot(a);
      const mx = maxAlong(a, axis);
      const mn = minAlong(a, axis);
      expect(mx).toBeInstanceOf(Float64Array);
      expect(Array.from(mx)).toEqual(reduceRef(a, axis, refMax));
      expect(Array.from(mn)).toEqual(reduceRef(a, axis, refMin));
      expect(snapshot(a)).toEqual(before);
    }
  });

  it("maxAlong / minAlong: NaN anywhere in a slice gives NaN, ±Infinity are ordinary", () => {
    const a = mat([
      [1, NaN, -Infinity],
      [NaN, 2, 3],
      [0, -1, Infinity],
    ]);
    expect(Array.from(maxAlong(a, 0))).toEqual([NaN, NaN, Infinity]);
    expect(Array.from(minAlong(a, 0))).toEqual([NaN, NaN, -Infinity]);
    expect(Array.from(maxAlong(a, 1))).toEqual([NaN, NaN, Infinity]);
    expect(Array.from(minAlong(a, 1))).toEqual([NaN, NaN, -1]);
    const b = mat([[-Infinity, -Infinity]]);
    expect(Array.from(maxAlong(b, 1))).toEqual([-Infinity]);
    expect(Array.from(maxAlong(b, 0))).toEqual([-Infinity, -Infinity]);
  });

  it("sumAlong / prodAlong", () => {
    for (const [a, axis] of cases(2)) {
      const before = snapshot(a);
      expectClose(sumAlong(a, axis), reduceRef(a, axis, refSum), 14);
      expectClose(prodAlong(a, axis), reduceRef(a, axis, refProd), 14);
      expect(snapshot(a)).toEqual(before);
    }
    const a = mat([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(Array.from(sumAlong(a, 0))).toEqual([5, 7, 9]);
    expect(Array.from(sumAlong(a, 1))).toEqual([6, 15]);
    expect(Array.from(prodAlong(a, 0))).toEqual([4, 10, 18]);
    expect(Array.from(prodAlong(a, 1))).toEqual([6, 120]);
  });

  it("prodExceptAlong matches the product of the other elements", () => {
    for (const [a, axis] of cases(3)) {
      const before = snapshot(a);
      expectMatrixClose(prodExceptAlong(a, axis), mapRef(a, axis, refProdExcept), 14);
      expect(snapshot(a)).toEqual(before);
    }
  });

  it("prodExceptAlong is exact with one and with several zeros in a slice", () => {
    const a = mat([
      [2, 0, 0, 5],
      [3, 7, 0, 0],
      [4, 2, 0, 6],
    ]);
    // Columns: [2,3,4] no zero; [0,7,2] one zero; [0,0,0] all zero; [5,0,6] one zero.
    expect(Array.from(prodExceptAlong(a, 0).data)).toEqual([12, 14, 0, 0, 8, 0, 0, 30, 6, 0, 0, 0]);
    // Rows: [2,0,0,5] two zeros; [3,7,0,0] two zeros; [4,2,0,6] one zero.
    expect(Array.from(prodExceptAlong(a, 1).data)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 48, 0]);
    for (const axis of AXES) {
      expectMatrixClose(prodExceptAlong(a, axis), mapRef(a, axis, refProdExcept), 14);
    }
    expect(Array.from(prodExceptAlong(mat([[0]]), 0).data)).toEqual([1]);
    expect(Array.from(prodExceptAlong(mat([[0, 3]]), 1).data)).toEqual([3, 0]);
    expect(Array.from(prodExceptAlong(mat([[0], [3]]), 0).data)).toEqual([3, 0]);
  });

  it("norm2Along", () => {
    for (const [a, axis] of cases(4)) {
      const before = snapshot(a);
      expectRelClose(norm2Along(a, axis), reduceRef(a, axis, refNorm2), 1e-14);
      expect(snapshot(a)).toEqual(before);
    }
  });

  it("norm2Along neither overflows nor underflows, and rows agree with norm2 exactly", () => {
    const a = mat([
      [1e200, 3e200, 0, 3, 1e-200],
      [1e200, 4e200, 0, 4, 1e-200],
    ]);
    const cols = norm2Along(a, 0);
    expectRelClose(cols, [Math.SQRT2 * 1e200, 5e200, 0, 5, Math.SQRT2 * 1e-200], 1e-15);
    expect(Number.isFinite(cols[0]!)).toBe(true);
    expect(cols[4]).toBeGreaterThan(0);
    const rows = norm2Along(transpose(a), 1);
    expectRelClose(rows, Array.from(cols), 1e-15);
    for (let i = 0; i < a.cols; i++) {
      expect(rows[i]).toBe(norm2(vec(slice(a, 0, i))));
    }
    const special = mat([
      [NaN, Infinity, -Infinity],
      [Infinity, 1, 2],
    ]);
    expect(Array.from(norm2Along(special, 0))).toEqual([NaN, Infinity, Infinity]);
    expect(Array.from(norm2Along(special, 1))).toEqual([NaN, Infinity]);
  });

  it("logsumexpAlong", () => {
    for (const [a, axis] of cases(5)) {
      const before = snapshot(a);
      expectRelClose(logsumexpAlong(a, axis), reduceRef(a, axis, refLogsumexp), 1e-14);
      expect(snapshot(a)).toEqual(before);
    }
  });

  it("logsumexpAlong is stable for ±1000 and handles ±Infinity and NaN like logsumexp", () => {
    const a = mat([
      [1000, -1000, 1000, 800, -Infinity, Infinity, NaN],
      [1000, -1000, -1000, 0, -Infinity, 1, 0],
    ]);
    const expected = [1000 + Math.LN2, -1000 + Math.LN2, 1000, 800, -Infinity, Infinity, NaN];
    const cols = logsumexpAlong(a, 0);
    expectRelClose(cols, expected, 1e-15);
    expect(cols[6]).toBeNaN();
    const rows = logsumexpAlong(transpose(a), 1);
    expectRelClose(rows, expected, 1e-15);
    expect(rows[6]).toBeNaN();
    for (let j = 0; j < a.cols; j++) {
      expect(rows[j]).toBe(logsumexp(vec(slice(a, 0, j))));
    }
  });

  it("logsumexpAlong also writes exp(x − logsumexp) when asked, as the derivative would compute it", () => {
    /** exp(x − lse) of each entry, lse spread along the axis. */
    const shifted = (a: Matrix, axis: 0 | 1, lse: Float64Array) =>
      Array.from(a.data, (x, k) => Math.exp(x - lse[axis === 0 ? k % a.cols : Math.floor(k / a.cols)]!));
    const special = mat([
      [1000, -1000, 1000, 800, -Infinity, Infinity, NaN, 0],
      [1000, -1000, -1000, 0, -Infinity, 1, 0, 1e-300],
      [-800, 999, 3, -Infinity, -Infinity, Infinity, 2, -0],
    ]);
    for (const [a, axis] of [
      ...cases(7),
      [special, 0] as const,
      [special, 1] as const,
      [transpose(special), 1] as const,
    ]) {
      const lse = logsumexpAlong(a, axis);
      const exponentials = matrix(a.rows, a.cols);
      const withExponentials = logsumexpAlong(a, axis, new Float64Array(lse.length), exponentials);
      expect(Array.from(withExponentials)).toEqual(Array.from(lse));
      const expected = shifted(a, axis, lse);
      exponentials.data.forEach((e, k) => {
        if (Number.isNaN(expected[k]!)) expect(e).toBeNaN();
        else expect(Math.abs(e - expected[k]!)).toBeLessThanOrEqual(1e-15 + 4e-16 * Math.abs(a.data[k]!));
      });
    }
    // Columns whose exponentials are subnormal: exp(x − lse) itself, not a rounded exp(x) / Σ.
    const tiny = mat([[-665], [-744], [-745.2]]);
    const tinyExponentials = matrix(3, 1);
    const tinyLse = logsumexpAlong(tiny, 0, undefined, tinyExponentials)[0]!;
    tinyExponentials.data.forEach((e, k) => {
      const expected = Math.exp(tiny.data[k]! - tinyLse);
      expect(Math.abs(e - expected)).toBeLessThanOrEqual(1e-12 * expected);
    });
    // Of all elements: the same with logsumexp.
    for (const x of [
      vec([1, 2, 3]),
      vec([1000, -1000, 1000]),
      vec([-Infinity, -Infinity]),
      vec([Infinity, 1]),
      vec([NaN, 1]),
    ]) {
      const e = new Float64Array(x.length);
      const lse = logsumexp(x, e);
      expect(Object.is(lse, logsumexp(x))).toBe(true);
      e.forEach((v, k) => {
        const expected = Math.exp(x[k]! - lse);
        if (Number.isNaN(expected)) expect(v).toBeNaN();
        // exp(x − lse) itself carries lse's rounding (ulp(1000 + ln 2) ≈ 1e-13): theirs is the looser.
        else expect(Math.abs(v - expected)).toBeLessThanOrEqual(1e-15 + 4e-16 * Math.abs(lse));
      });
    }
  });

  it("softmaxAlong", () => {
    for (const [a, axis] of cases(6)) {
      const before = snapshot(a);
      const s = softmaxAlong(a, axis);
      expectMatrixClose(s, mapRef(a, axis, refSoftmax), 14);
      expectClose(sumAlong(s, axis), new Float64Array(sliceCount(a, axis)).fill(1), 14);
      expect(snapshot(a)).toEqual(before);
    }
  });

  it("softmaxAlong is stable for ±1000 and follows softmax's conventions", () => {
    const a = mat([
      [1000, -1000, Infinity, -Infinity, NaN, 5],
      [1000, -1000, Infinity, -Infinity, 0, 5],
      [-1000, -1001, 0, -Infinity, 1, 5],
    ]);
    const e = Math.E;
    const expected = transpose(
      mat([
        [0.5, 0.5, 0],
        [e / (2 * e + 1), e / (2 * e + 1), 1 / (2 * e + 1)],
        [0.5, 0.5, 0],
        [NaN, NaN, NaN],
        [NaN, NaN, NaN],
        [1 / 3, 1 / 3, 1 / 3],
      ]),
    );
    const s0 = softmaxAlong(a, 0);
    expect(s0.rows).toBe(3);
    expect(s0.cols).toBe(6);
    s0.data.forEach((v, k) => {
      const want = expected.data[k]!;
      if (Number.isNaN(want)) expect(v).toBeNaN();
      else expect(v).toBeCloseTo(want, 15);
    });
    // Axis 1 on the transpose is the same computation as softmax on each row.
    const s1 = softmaxAlong(transpose(a), 1);
    expect(Array.from(s1.data)).toEqual(Array.from(transpose(s0).data));
    for (let j = 0; j < a.cols; j++) {
      expect(Array.from(softmax(vec(slice(a, 0, j))))).toEqual(slice(s1, 1, j));
    }
    // One element per slice: 1, or NaN for −Infinity / NaN.
    const single = mat([[3, Infinity, -Infinity, NaN]]);
    expect(Array.from(softmaxAlong(single, 0).data)).toEqual([1, 1, NaN, NaN]);
    expect(Array.from(softmaxAlong(transpose(single), 1).data)).toEqual([1, 1, NaN, NaN]);
  });

  it("argmaxMaskAlong / argminMaskAlong", () => {
    for (const [a, axis] of cases(7)) {
      const before = snapshot(a);
      expect(Array.from(argmaxMaskAlong(a, axis).data)).toEqual(
        Array.from(mapRef(a, axis, refArgmaxMask).data),
      );
      expect(Array.from(argminMaskAlong(a, axis).data)).toEqual(
        Array.from(mapRef(a, axis, refArgminMask).data),
      );
      expect(snapshot(a)).toEqual(before);
    }
  });

  it("argmaxMaskAlong / argminMaskAlong mark the first of tied extremes, or the first NaN", () => {
    const a = mat([
      [1, 5, 2, 7],
      [3, 5, 2, 7],
      [3, 0, 2, 7],
    ]);
    expect(Array.from(argmaxMaskAlong(a, 0).data)).toEqual([0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(argminMaskAlong(a, 0).data)).toEqual([1, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0]);
    expect(Array.from(argmaxMaskAlong(a, 1).data)).toEqual([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(Array.from(argminMaskAlong(a, 1).data)).toEqual([1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0]);
    const b = mat([
      [1, NaN, 4],
      [NaN, 9, NaN],
      [9, NaN, -1],
    ]);
    for (const axis of AXES) {
      const max = argmaxMaskAlong(b, axis);
      const min = argminMaskAlong(b, axis);
      expect(Array.from(max.data)).toEqual(Array.from(mapRef(b, axis, refArgmaxMask).data));
      expect(Array.from(min.data)).toEqual(Array.from(mapRef(b, axis, refArgminMask).data));
      expect(Array.from(sumAlong(max, axis))).toEqual([1, 1, 1]);
    }
    expect(Array.from(argmaxMaskAlong(b, 0).data)).toEqual([0, 1, 0, 1, 0, 1, 0, 0, 0]);
    expect(Array.from(argmaxMaskAlong(b, 1).data)).toEqual([0, 1, 0, 1, 0, 0, 0, 1, 0]);
    const infinities = mat([[-Infinity, -Infinity, Infinity, Infinity]]);
    expect(Array.from(argmaxMaskAlong(infinities, 1).data)).toEqual([0, 0, 1, 0]);
    expect(Array.from(argminMaskAlong(infinities, 1).data)).toEqual([1, 0, 0, 0]);
    expect(Array.from(argmaxMaskAlong(infinities, 0).data)).toEqual([1, 1, 1, 1]);
  });

  it("axis 0 of a matrix is axis 1 of its transpose", () => {
    for (const [a] of cases(8)) {
      const t = transpose(a);
      for (const f of [maxAlong, minAlong, sumAlong, prodAlong]) {
        expectClose(f(a, 0), f(t, 1), 14);
      }
      expectRelClose(norm2Along(a, 0), norm2Along(t, 1), 1e-15);
      expectRelClose(logsumexpAlong(a, 0), logsumexpAlong(t, 1), 1e-15);
      for (const f of [argmaxMaskAlong, argminMaskAlong, prodExceptAlong, softmaxAlong]) {
        expectMatrixClose(f(a, 0), transpose(f(t, 1)), 14);
      }
    }
  });

  it("tileAlong broadcasts a reduction back and is the adjoint of sumAlong", () => {
    const next = rng(9);
    for (const [m, n] of SHAPES) {
      for (const axis of AXES) {
        const v = vec(Array.from({ length: axis === 0 ? n : m }, next));
        const t = tileAlong(v, axis, m, n);
        expect(t.rows).toBe(m);
        expect(t.cols).toBe(n);
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) expect(at(t, i, j)).toBe(v[axis === 0 ? j : i]);
        }
        // ⟨tileAlong(v), A⟩ = ⟨v, sumAlong(A)⟩.
        const a = randomMatrix(m, n, next);
        const lhs = t.data.reduce((s, x, k) => s + x * a.data[k]!, 0);
        const sums = sumAlong(a, axis);
        const rhs = v.reduce((s, x, k) => s + x * sums[k]!, 0);
        expect(lhs).toBeCloseTo(rhs, 13);
      }
    }
    expect(Array.from(tileAlong(vec([1, 2]), 0, 2, 2).data)).toEqual([1, 2, 1, 2]);
    expect(Array.from(tileAlong(vec([1, 2]), 1, 2, 2).data)).toEqual([1, 1, 2, 2]);
  });

  it("reject a bad axis and a wrong vector length", () => {
    const a = matrix(2, 3);
    const reductions = {
      maxAlong,
      minAlong,
      sumAlong,
      prodAlong,
      norm2Along,
      logsumexpAlong,
      argmaxMaskAlong,
      argminMaskAlong,
      prodExceptAlong,
      softmaxAlong,
    };
    for (const [name, f] of Object.entries(reductions)) {
      for (const axis of [2, -1, 0.5, NaN]) {
        expectThrows(() => f(a, axis), ShapeError, `${name}: axis must be 0 or 1, got ${axis}`);
      }
    }
    expectThrows(
      () => tileAlong(vec([1, 2]), 0, 2, 3),
      ShapeError,
      "tileAlong: v has length 2, expected 3 (one per column)",
    );
    expectThrows(
      () => tileAlong(vec([1, 2, 3]), 1, 2, 3),
      ShapeError,
      "tileAlong: v has length 3, expected 2 (one per row)",
    );
    expectThrows(() => tileAlong(vec([1]), 2, 1, 1), ShapeError, "tileAlong: axis must be 0 or 1, got 2");
    expectThrows(
      () => tileAlong(vec([]), 0, 2, 0),
      ShapeError,
      "tileAlong: cols must be a positive integer, got 0",
    );
    expectThrows(
      () => tileAlong(vec([1]), 1, 1.5, 1),
      ShapeError,
      "tileAlong: rows must be a positive integer, got 1.5",
    );
  });
});

// ---------------------------------------------------------------- linalg.ts

describe("diagonal / diagMatrix / eye / oneHotMatrix", () => {
  it("diagonal takes min(rows, cols) entries and diagMatrix is its adjoint", () => {
    const next = rng(10);
    for (const [m, n] of SHAPES) {
      const a = randomMatrix(m, n, next);
      const d = diagonal(a);
      const k = Math.min(m, n);
      expect(Array.from(d)).toEqual(Array.from({ length: k }, (_, i) => at(a, i, i)));
      const v = vec(Array.from({ length: k }, next));
      const dm = diagMatrix(v, m, n);
      expect(dm.rows).toBe(m);
      expect(dm.cols).toBe(n);
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) expect(at(dm, i, j)).toBe(i === j ? v[i] : 0);
      }
      expect(Array.from(diagonal(dm))).toEqual(Array.from(v));
      // ⟨diagonal(A), v⟩ = ⟨A, diagMatrix(v)⟩.
      const lhs = d.reduce((s, x, i) => s + x * v[i]!, 0);
      const rhs = a.data.reduce((s, x, i) => s + x * dm.data[i]!, 0);
      expect(lhs).toBeCloseTo(rhs, 14);
    }
    expect(
      Array.from(
        diagonal(
          mat([
            [1, 2, 3],
            [4, 5, 6],
          ]),
        ),
      ),
    ).toEqual([1, 5]);
    expectThrows(
      () => diagMatrix(vec([1, 2, 3]), 2, 3),
      ShapeError,
      "diagMatrix: v has length 3, expected min(2, 3) = 2",
    );
    expectThrows(
      () => diagMatrix(vec([]), 0, 3),
      ShapeError,
      "diagMatrix: rows must be a positive integer, got 0",
    );
  });

  it("eye", () => {
    expect(eye(1)).toEqual(mat([[1]]));
    expect(eye(3)).toEqual(
      mat([
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]),
    );
    expectThrows(() => eye(0), ShapeError, "eye: n must be a positive integer, got 0");
    expectThrows(() => eye(2.5), ShapeError, "eye: n must be a positive integer, got 2.5");
  });

  it("oneHotMatrix", () => {
    expect(oneHotMatrix(2, 3, 1, 2, 7)).toEqual(
      mat([
        [0, 0, 0],
        [0, 0, 7],
      ]),
    );
    expect(oneHotMatrix(1, 1, 0, 0, -2)).toEqual(mat([[-2]]));
    for (const [row, col] of [
      [2, 0],
      [0, 3],
      [-1, 0],
      [0, 1.5],
    ] as const) {
      expectThrows(
        () => oneHotMatrix(2, 3, row, col, 1),
        ShapeError,
        `oneHotMatrix: index (${row}, ${col}) is out of range for a 2 × 3 matrix`,
      );
    }
  });
});

describe("lu / det / logdet / inv", () => {
  it("lu: PA = LU with unit lower L, a permutation and its sign", () => {
    const next = rng(11);
    for (const n of [1, 2, 3, 4, 7]) {
      for (let t = 0; t < 3; t++) {
        const a = general(n, next);
        const before = snapshot(a);
        const { lu: packed, pivots, sign, singular } = lu(a);
        expect(snapshot(a)).toEqual(before);
        expect(singular).toBe(false);
        expect(packed).toHaveLength(n * n);
        expect(Array.from(pivots).sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
        // The sign is the permutation's parity (count inversions).
        let inversions = 0;
        for (let i = 0; i < n; i++) {
          for (let j = i + 1; j < n; j++) if (pivots[i]! > pivots[j]!) inversions++;
        }
        expect(sign).toBe(inversions % 2 === 0 ? 1 : -1);
        const l = matrix(n, n);
        const u = matrix(n, n);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            const v = packed[i * n + j]!;
            if (j < i) l.data[i * n + j] = v;
            else u.data[i * n + j] = v;
          }
          l.data[i * n + i] = 1;
        }
        // Partial pivoting keeps |L_ij| ≤ 1.
        l.data.forEach((v) => expect(Math.abs(v)).toBeLessThanOrEqual(1));
        const pa = matrix(n, n);
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) pa.data[i * n + j] = at(a, pivots[i]!, j);
        }
        expectMatrixClose(matmul(l, u), pa, 13);
      }
    }
  });

  it("det matches cofactor expansion for n ≤ 4", () => {
    const next = rng(12);
    for (const n of [1, 2, 3, 4]) {
      for (let t = 0; t < 5; t++) {
        const a = general(n, next);
        const expected = cofactorDet(toRows(a));
        expect(Math.abs(det(a) - expected)).toBeLessThan(1e-13);
      }
    }
    expect(det(mat([[3]]))).toBe(3);
    expect(
      det(
        mat([
          [1, 2],
          [3, 4],
        ]),
      ),
    ).toBeCloseTo(-2, 14);
  });

  it("det of a product is the product of dets", () => {
    const next = rng(13);
    for (const n of [1, 2, 3, 5, 8]) {
      const a = general(n, next);
      const b = general(n, next);
      const expected = det(a) * det(b);
      expect(Math.abs(det(matmul(a, b)) - expected)).toBeLessThan(1e-12 * Math.max(1, Math.abs(expected)));
      expect(det(transpose(a))).toBeCloseTo(det(a), 12);
    }
  });

  it("a matrix that needs pivoting", () => {
    const swap = mat([
      [0, 1],
      [1, 0],
    ]);
    const decomposition = lu(swap);
    expect(decomposition.singular).toBe(false);
    expect(decomposition.sign).toBe(-1);
    expect(Array.from(decomposition.pivots)).toEqual([1, 0]);
    expect(det(swap)).toBe(-1);
    expect(logdet(swap)).toBeNaN();
    expect(inv(swap)).toEqual(swap);
    const a = mat([
      [0, 2, 1],
      [0, 0, 3],
      [4, 0, 0],
    ]);
    expect(det(a)).toBeCloseTo(cofactorDet(toRows(a)), 13);
    expect(det(a)).toBe(24);
    expect(logdet(a)).toBeCloseTo(Math.log(24), 14);
    expectMatrixClose(matmul(a, inv(a)), eye(3), 14);
  });

  it("logdet equals log(det) for positive det and agrees on the sign otherwise", () => {
    const next = rng(14);
    for (const n of [1, 2, 3, 4, 6]) {
      const b = general(n, next);
      // B Bᵀ + I is symmetric positive definite: det > 0.
      const spd = matmul(b, transpose(b));
      for (let i = 0; i < n; i++) spd.data[i * n + i] = spd.data[i * n + i]! + 1;
      expect(det(spd)).toBeGreaterThan(0);
      expect(logdet(spd)).toBeCloseTo(Math.log(det(spd)), 12);
      const a = general(n, next);
      const d = det(a);
      if (d > 0) expect(logdet(a)).toBeCloseTo(Math.log(d), 12);
      else expect(logdet(a)).toBeNaN();
    }
    expect(logdet(mat([[-2]]))).toBeNaN();
    expect(logdet(eye(5))).toBe(0);
  });

  it("inv: A · inv(A) ≈ I on well-conditioned matrices", () => {
    const next = rng(15);
    for (const n of [1, 2, 3, 4, 5, 10, 25]) {
      for (let t = 0; t < 3; t++) {
        const a = wellConditioned(n, next);
        const before = snapshot(a);
        const ai = inv(a);
        expect(snapshot(a)).toEqual(before);
        for (const product of [matmul(a, ai), matmul(ai, a)]) {
          const id = eye(n);
          product.data.forEach((v, k) => expect(Math.abs(v - id.data[k]!)).toBeLessThan(1e-10));
        }
        expect(det(ai)).toBeCloseTo(1 / det(a), 10);
      }
    }
    // General (pivoting, not diagonally dominant) matrices too.
    for (const n of [2, 3, 4, 6]) {
      const a = general(n, next);
      const product = matmul(a, inv(a));
      const id = eye(n);
      product.data.forEach((v, k) => expect(Math.abs(v - id.data[k]!)).toBeLessThan(1e-10));
    }
    expect(inv(mat([[4]]))).toEqual(mat([[0.25]]));
  });

  it("a singular matrix: det = 0, logdet = −Infinity, inv throws SingularMatrixError", () => {
    const singular = [
      mat([[0]]),
      mat([
        [1, 2],
        [2, 4],
      ]),
      mat([
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ]),
      mat([
        [0, 0, 0],
        [1, 2, 3],
        [4, 5, 7],
      ]),
      mat([
        [0, 1, 2],
        [0, 3, 4],
        [0, 5, 6],
      ]),
      mat([
        [0, 1],
        [0, 0],
      ]),
    ];
    for (const a of singular.filter((_, k) => k !== 2)) {
      expect(lu(a).singular).toBe(true);
      expect(det(a)).toBe(0);
      expect(logdet(a)).toBe(-Infinity);
      expectThrows(() => inv(a), SingularMatrixError, "inv: the matrix is singular");
    }
    // [[1, 2, 3], [4, 5, 6], [7, 8, 9]] is singular, but rounding leaves a tiny nonzero pivot.
    expect(Math.abs(det(singular[2]!))).toBeLessThan(1e-12);
    const error = (() => {
      try {
        inv(
          mat([
            [1, 1],
            [1, 1],
          ]),
        );
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(SingularMatrixError);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ShapeError);
    expect((error as Error).name).toBe("SingularMatrixError");
    expect(String(error)).toBe("SingularMatrixError: inv: the matrix is singular");
  });

  it("NaN and infinite entries: det / logdet are NaN, inv throws", () => {
    for (const a of [
      mat([
        [NaN, 1],
        [1, 0],
      ]),
      mat([
        [1, 0],
        [NaN, 1],
      ]),
      mat([
        [2, 1],
        [1, NaN],
      ]),
    ]) {
      expect(lu(a).singular).toBe(true);
      expect(det(a)).toBeNaN();
      expect(logdet(a)).toBeNaN();
      expectThrows(() => inv(a), SingularMatrixError, "inv: the matrix is singular");
    }
    const infinite = mat([
      [Infinity, 0],
      [0, 1],
    ]);
    expect(lu(infinite).singular).toBe(true);
    expect(det(infinite)).toBe(Infinity);
    expect(logdet(infinite)).toBe(Infinity);
    expectThrows(() => inv(infinite), SingularMatrixError, "inv: the matrix is singular");
  });

  it("a 60 × 60 matrix whose det overflows has a finite logdet", () => {
    const next = rng(16);
    const n = 60;
    const base = general(n, next);
    // Make det(base) positive by negating a row if needed.
    if (det(base) < 0) for (let j = 0; j < n; j++) base.data[j] = -base.data[j]!;
    const baseDet = det(base);
    expect(baseDet).toBeGreaterThan(0);
    expect(Number.isFinite(baseDet)).toBe(true);
    const scale = 1e6;
    const big = matrix(
      n,
      n,
      base.data.map((v) => v * scale),
    );
    expect(det(big)).toBe(Infinity); // det(base) · 10^360 overflows
    const ld = logdet(big);
    expect(Number.isFinite(ld)).toBe(true);
    const expected = Math.log(baseDet) + n * Math.log(scale);
    expect(Math.abs(ld - expected)).toBeLessThan(1e-10 * Math.abs(expected));
    expect(logdet(base)).toBeCloseTo(Math.log(baseDet), 10);
    // And the small side: det underflows to 0 but logdet stays finite.
    const tiny = matrix(
      n,
      n,
      base.data.map((v) => v * 1e-7),
    );
    expect(det(tiny)).toBe(0);
    expect(lu(tiny).singular).toBe(false);
    expect(logdet(tiny)).toBeCloseTo(Math.log(baseDet) + n * Math.log(1e-7), 9);
  });

  it("reject non-square matrices with a ShapeError", () => {
    const a = matrix(2, 3);
    for (const [name, f] of Object.entries({ lu, det, logdet, inv })) {
      expectThrows(() => f(a), ShapeError, `${name}: the matrix must be square, got 2 × 3`);
    }
    expectThrows(() => inv(matrix(3, 1)), ShapeError, "inv: the matrix must be square, got 3 × 1");
  });
});
