import { describe, it, expect } from "vitest";
import * as runtime from "../runtime/index.js";
import {
  fillMatrix,
  sumColumns,
  sumRows,
  tileColumns,
  tileRows,
  ShapeError,
  argmax,
  argmin,
  checkMatrix,
  checkScalar,
  checkVector,
  dot,
  fill,
  gradcheck,
  isMatrix,
  logsumexp,
  mat,
  matmul,
  matmulTransA,
  matmulTransB,
  matrix,
  matvec,
  max,
  min,
  norm2,
  oneHot,
  outer,
  prod,
  prodExcept,
  relu,
  sigmoid,
  sign,
  softmax,
  softplus,
  sum,
  transpose,
  vec,
  vecmat,
  sumAlong,
  logsumexpAlong,
  type Matrix,
  type Value,
} from "../runtime/index.js";
import { random } from "./support/numeric.js";

/** Deterministic pseudo-random numbers in [-1, 1). */
function rng(seed: number): () => number {
  const next = random(seed);
  return () => next() * 2 - 1;
}

function randomMatrix(rows: number, cols: number, next: () => number): Matrix {
  return matrix(rows, cols, Array.from({ length: rows * cols }, next));
}

function randomVector(n: number, next: () => number): Float64Array {
  return vec(Array.from({ length: n }, next));
}

function at(a: Matrix, i: number, j: number): number {
  return a.data[i * a.cols + j]!;
}

/** Naive triple loop: C = op(A) op(B), with op = transpose when asked. */
function naiveProduct(a: Matrix, b: Matrix, transA = false, transB = false): Matrix {
  const m = transA ? a.cols : a.rows;
  const k = transA ? a.rows : a.cols;
  const n = transB ? b.rows : b.cols;
  const out = matrix(m, n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        s += (transA ? at(a, p, i) : at(a, i, p)) * (transB ? at(b, j, p) : at(b, p, j));
      }
      out.data[i * n + j] = s;
    }
  }
  return out;
}

function expectMatrixClose(actual: Matrix, expected: Matrix): void {
  expect(actual.rows).toBe(expected.rows);
  expect(actual.cols).toBe(expected.cols);
  expect(actual.data.length).toBe(expected.data.length);
  actual.data.forEach((v, i) => expect(v).toBeCloseTo(expected.data[i]!, 12));
}

function expectShapeError(fn: () => unknown, message: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ShapeError);
  expect((caught as ShapeError).message).toBe(message);
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 5, 3],
  [4, 1, 2],
  [3, 4, 1],
  [2, 3, 5],
  [5, 2, 4],
  [7, 6, 3],
  // Around the kernels' blocks of 4 and of 3 rows: remainders of 0 to 3 and of 0 to 2.
  [4, 4, 4],
  [8, 9, 2],
  [9, 8, 5],
  [13, 11, 6],
  [6, 13, 11],
  [12, 12, 12],
  [10, 7, 9],
];

describe("module", () => {
  it("exports exactly the public API", () => {
    expect(Object.keys(runtime).sort()).toEqual(
      [
        "ShapeError",
        "Workspace",
        "argmax",
        "argmin",
        "checkDirection",
        "checkMatrix",
        "cofactor",
        "cofactorTangent",
        "checkScalar",
        "checkVector",
        "checkWorkspace",
        "dot",
        "fill",
        "fillMatrix",
        "flatten",
        "gradcheck",
        "isMatrix",
        "logsumexp",
        "mat",
        "matmul",
        "matmulTransA",
        "matmulTransB",
        "matrix",
        "matvec",
        "matvecRow",
        "max",
        "min",
        "norm2",
        "oneHot",
        "outer",
        "prod",
        "prodExcept",
        "prodExceptTangent",
        "prodExceptTangentAlong",
        "relu",
        "repairVecmat",
        "sech2",
        "setColumn",
        "setRow",
        "sigmoid",
        "sign",
        "softmax",
        "softplus",
        "sum",
        "sumColumns",
        "sumRows",
        "tileColumns",
        "tileRows",
        "transpose",
        "unit",
        "vec",
        "vecmat",
        "SingularMatrixError",
        "argmaxMaskAlong",
        "argminMaskAlong",
        "det",
        "diagMatrix",
        "diagonal",
        "eye",
        "inv",
        "logdet",
        "logsumexpAlong",
        "lu",
        "maxAlong",
        "minAlong",
        "norm2Along",
        "oneHotMatrix",
        "prodAlong",
        "prodExceptAlong",
        "softmaxAlong",
        "sumAlong",
        "tileAlong",
      ].sort(),
    );
  });
});

describe("ShapeError", () => {
  it("is an Error named ShapeError", () => {
    const error = new ShapeError("x has length 4, but d = 3");
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(ShapeError);
    expect(error.name).toBe("ShapeError");
    expect(error.message).toBe("x has length 4, but d = 3");
    expect(String(error)).toBe("ShapeError: x has length 4, but d = 3");
  });
});

describe("vec / mat / matrix / isMatrix", () => {
  it("vec copies into a Float64Array", () => {
    const source = [1, 2.5, -3];
    const v = vec(source);
    expect(v).toBeInstanceOf(Float64Array);
    expect(Array.from(v)).toEqual([1, 2.5, -3]);
    source[0] = 99;
    expect(v[0]).toBe(1);
    const typed = new Float64Array([4, 5]);
    const copy = vec(typed);
    typed[0] = 0;
    expect(Array.from(copy)).toEqual([4, 5]);
    expect(vec([]).length).toBe(0);
  });

  it("mat builds a row-major matrix", () => {
    const a = mat([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(a.rows).toBe(2);
    expect(a.cols).toBe(3);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(at(a, 1, 0)).toBe(4);
  });

  it("mat rejects ragged and empty input", () => {
    expectShapeError(() => mat([[1, 2], [3]]), "mat: row 1 has 1 entries, but row 0 has 2");
    expectShapeError(() => mat([]), "mat: a matrix needs at least one row and one column");
    expectShapeError(() => mat([[]]), "mat: a matrix needs at least one row and one column");
  });

  it("matrix makes zeros or wraps data", () => {
    const z = matrix(2, 3);
    expect(z.rows).toBe(2);
    expect(z.cols).toBe(3);
    expect(Array.from(z.data)).toEqual([0, 0, 0, 0, 0, 0]);
    const fromArray = matrix(2, 2, [1, 2, 3, 4]);
    expect(Array.from(fromArray.data)).toEqual([1, 2, 3, 4]);
    expect(fromArray.data).toBeInstanceOf(Float64Array);
    const buffer = new Float64Array([1, 2, 3]);
    expect(matrix(3, 1, buffer).data).toBe(buffer); // adopted, not copied
  });

  it("matrix rejects bad sizes", () => {
    expectShapeError(() => matrix(2, 3, [1, 2, 3]), "matrix: data has length 3, expected 2 × 3 = 6");
    expectShapeError(() => matrix(0, 3), "matrix: rows must be a positive integer, got 0");
    expectShapeError(() => matrix(2, 1.5), "matrix: cols must be a positive integer, got 1.5");
  });

  it("isMatrix recognizes well-formed matrices only", () => {
    expect(isMatrix(mat([[1]]))).toBe(true);
    expect(isMatrix({ rows: 1, cols: 2, data: new Float64Array(2) })).toBe(true);
    expect(isMatrix({ rows: 1, cols: 2, data: new Float64Array(3) })).toBe(false);
    expect(isMatrix({ rows: 1, cols: 2, data: [0, 0] })).toBe(false);
    expect(isMatrix({ rows: 0, cols: 0, data: new Float64Array(0) })).toBe(false);
    expect(isMatrix({ rows: 1.5, cols: 2, data: new Float64Array(3) })).toBe(false);
    expect(isMatrix({ rows: "1", cols: 1, data: new Float64Array(1) })).toBe(false);
    expect(isMatrix(new Float64Array(4))).toBe(false);
    expect(isMatrix(null)).toBe(false);
    expect(isMatrix(undefined)).toBe(false);
    expect(isMatrix(3)).toBe(false);
  });
});

describe("checks", () => {
  it("checkScalar accepts numbers including NaN", () => {
    expect(() => checkScalar(1.5, "b")).not.toThrow();
    expect(() => checkScalar(NaN, "b")).not.toThrow();
    expect(() => checkScalar(-Infinity, "b")).not.toThrow();
  });

  it("checkScalar names the parameter and what it got", () => {
    expectShapeError(() => checkScalar(new Float64Array(2), "b"), "b must be a number, got Float64Array");
    expectShapeError(() => checkScalar("1", "b"), "b must be a number, got string");
    expectShapeError(() => checkScalar(undefined, "lr"), "lr must be a number, got undefined");
    expectShapeError(() => checkScalar(null, "lr"), "lr must be a number, got null");
    expectShapeError(() => checkScalar([1], "lr"), "lr must be a number, got Array");
    expectShapeError(() => checkScalar(mat([[1, 2]]), "b"), "b must be a number, got Matrix (1 × 2)");
  });

  it("checkVector returns the length and checks it", () => {
    expect(checkVector(vec([1, 2, 3]), "x")).toBe(3);
    expect(checkVector(vec([1, 2, 3]), "x", 3, "d")).toBe(3);
    expectShapeError(
      () => checkVector(new Float64Array(0), "x", 0),
      "x is empty; a vector has at least one element",
    );
    expectShapeError(() => checkVector(vec([1, 2, 3, 4]), "x", 3, "d"), "x has length 4, but d = 3");
    expectShapeError(() => checkVector(vec([1, 2, 3, 4]), "x", 3), "x has length 4, expected 3");
    expectShapeError(() => checkVector(vec([1, 2, 3, 4]), "x", 3, "3"), "x has length 4, expected 3");
    expectShapeError(() => checkVector(vec([1]), "y", 5, "N"), "y has length 1, but N = 5");
  });

  it("checkVector rejects non-vectors", () => {
    expectShapeError(() => checkVector([1, 2], "x"), "x must be a Float64Array, got Array");
    expectShapeError(() => checkVector(2, "x", 3, "d"), "x must be a Float64Array, got number");
    expectShapeError(
      () => checkVector(new Float32Array(2), "x"),
      "x must be a Float64Array, got Float32Array",
    );
    expectShapeError(() => checkVector(matrix(2, 2), "x"), "x must be a Float64Array, got Matrix (2 × 2)");
  });

  it("checkMatrix checks kind, rows and columns", () => {
    const X = matrix(2, 4);
    expect(() => checkMatrix(X, "X", 2, "N", 4, "d")).not.toThrow();
    expect(() => checkMatrix(X, "X", undefined, "N", undefined, "d")).not.toThrow();
    expect(() => checkMatrix(X, "X", 2, "2", undefined, "d")).not.toThrow();
    expectShapeError(() => checkMatrix(X, "X", 2, "N", 3, "d"), "X has 4 columns, but d = 3");
    expectShapeError(() => checkMatrix(X, "X", 3, "3", 4, "d"), "X has 2 rows, expected 3");
    expectShapeError(() => checkMatrix(X, "X", 3, "N", 4, "d"), "X has 2 rows, but N = 3");
    expectShapeError(() => checkMatrix(X, "X", undefined, "N", 5, "5"), "X has 4 columns, expected 5");
    expectShapeError(() => checkMatrix(matrix(1, 1), "A", 2, "m", 2, "n"), "A has 1 row, but m = 2");
    expectShapeError(() => checkMatrix(matrix(2, 1), "A", 2, "m", 2, "n"), "A has 1 column, but n = 2");
  });

  it("checkMatrix rejects non-matrices", () => {
    expectShapeError(
      () => checkMatrix(new Float64Array(4), "X", 2, "N", 2, "d"),
      "X must be a Matrix, got Float64Array",
    );
    expectShapeError(
      () => checkMatrix({ rows: 2, cols: 2, data: new Float64Array(3) }, "X", 2, "N", 2, "d"),
      "X must be a Matrix, got malformed Matrix",
    );
    expectShapeError(
      () => checkMatrix([[1, 2]], "X", undefined, "N", undefined, "d"),
      "X must be a Matrix, got Array",
    );
    expectShapeError(
      () => checkMatrix(1, "X", undefined, "N", undefined, "d"),
      "X must be a Matrix, got number",
    );
  });
});

describe("scalar helpers", () => {
  it("sigmoid is stable and correct", () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(1000)).toBe(1);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(2)).toBeCloseTo(1 / (1 + Math.exp(-2)), 15);
    expect(sigmoid(-2)).toBeCloseTo(1 / (1 + Math.exp(2)), 15);
    expect(sigmoid(-30)).toBeGreaterThan(0);
    expect(sigmoid(Infinity)).toBe(1);
    expect(sigmoid(-Infinity)).toBe(0);
    expect(sigmoid(NaN)).toBeNaN();
  });

  it("softplus is stable and correct", () => {
    expect(softplus(1000)).toBe(1000);
    expect(softplus(-1000)).toBe(0);
    expect(softplus(0)).toBeCloseTo(Math.LN2, 15);
    expect(softplus(1)).toBeCloseTo(Math.log(1 + Math.E), 15);
    expect(softplus(-1)).toBeCloseTo(Math.log(1 + Math.exp(-1)), 15);
    expect(softplus(-50)).toBeCloseTo(Math.exp(-50), 30);
    expect(softplus(-50)).toBeGreaterThan(0);
    expect(softplus(Infinity)).toBe(Infinity);
    expect(softplus(-Infinity)).toBe(0);
    expect(softplus(NaN)).toBeNaN();
  });

  it("relu", () => {
    expect(relu(3)).toBe(3);
    expect(relu(-3)).toBe(0);
    expect(relu(0)).toBe(0);
    expect(relu(NaN)).toBeNaN();
  });

  it("sign", () => {
    expect(sign(2.5)).toBe(1);
    expect(sign(-0.1)).toBe(-1);
    expect(Object.is(sign(0), 0)).toBe(true);
    expect(Object.is(sign(-0), 0)).toBe(true);
    expect(sign(NaN)).toBeNaN();
    expect(sign(-Infinity)).toBe(-1);
  });
});

describe("reductions", () => {
  it("sum and prod", () => {
    expect(sum(vec([1, 2, 3.5]))).toBe(6.5);
    expect(sum(vec([]))).toBe(0);
    expect(
      sum(
        mat([
          [1, 2],
          [3, 4],
        ]).data,
      ),
    ).toBe(10);
    expect(prod(vec([2, -3, 4]))).toBe(-24);
    expect(prod(vec([]))).toBe(1);
    expect(prod(vec([2, 0, 4]))).toBe(0);
  });

  it("prodExcept without zeros", () => {
    expect(Array.from(prodExcept(vec([2, 3, 4])))).toEqual([12, 8, 6]);
    expect(Array.from(prodExcept(vec([5])))).toEqual([1]);
    expect(prodExcept(vec([])).length).toBe(0);
  });

  it("prodExcept with one zero", () => {
    expect(Array.from(prodExcept(vec([2, 0, 4])))).toEqual([0, 8, 0]);
    expect(Array.from(prodExcept(vec([0, 3])))).toEqual([3, 0]);
  });

  it("prodExcept with two zeros", () => {
    expect(Array.from(prodExcept(vec([0, 3, 0, 5])))).toEqual([0, 0, 0, 0]);
  });

  it("norm2 is scaled against overflow and underflow", () => {
    expect(norm2(vec([3, 4]))).toBe(5);
    expect(norm2(vec([1e200, 1e200]))).toBe(Math.SQRT2 * 1e200);
    expect(norm2(vec([3e-200, 4e-200])) / 5e-200).toBeCloseTo(1, 14);
    expect(norm2(vec([0, 0, 0]))).toBe(0);
    expect(norm2(vec([]))).toBe(0);
    expect(norm2(vec([1, NaN, Infinity]))).toBeNaN();
    expect(norm2(vec([1, -Infinity]))).toBe(Infinity);
    expect(
      norm2(
        mat([
          [1, 2],
          [2, 4],
        ]).data,
      ),
    ).toBe(5);
  });

  it("max and min", () => {
    expect(max(vec([3, -1, 7, 2]))).toBe(7);
    expect(min(vec([3, -1, 7, 2]))).toBe(-1);
    expect(max(vec([1, NaN, 3]))).toBeNaN();
    expect(min(vec([1, NaN, 3]))).toBeNaN();
    expect(max(vec([-Infinity]))).toBe(-Infinity);
    expect(max(vec([]))).toBe(-Infinity);
    expect(min(vec([]))).toBe(Infinity);
  });

  it("argmax and argmin return the first extreme element", () => {
    expect(argmax(vec([1, 5, 3, 5]))).toBe(1);
    expect(argmin(vec([4, 1, 3, 1]))).toBe(1);
    expect(argmax(vec([2, 2, 2]))).toBe(0);
    expect(argmin(vec([2, 2, 2]))).toBe(0);
    expect(argmax(vec([-Infinity, -Infinity]))).toBe(0);
    expect(argmin(vec([Infinity, 1, Infinity]))).toBe(1);
    expect(argmax(vec([1, NaN, 3]))).toBe(1);
    expect(argmin(vec([1, 3, NaN]))).toBe(2);
    expect(argmax(vec([]))).toBe(-1);
    expect(argmin(vec([]))).toBe(-1);
  });

  it("logsumexp is stable", () => {
    expect(logsumexp(vec([1000, 1000]))).toBe(1000 + Math.LN2);
    expect(logsumexp(vec([-1000, -1000]))).toBe(-1000 + Math.LN2);
    expect(logsumexp(vec([1, 2, 3]))).toBeCloseTo(Math.log(Math.E + Math.E ** 2 + Math.E ** 3), 14);
    expect(logsumexp(vec([1000, -1000]))).toBe(1000);
    expect(logsumexp(vec([-Infinity, -Infinity]))).toBe(-Infinity);
    expect(logsumexp(vec([Infinity, 1]))).toBe(Infinity);
    expect(logsumexp(vec([-Infinity, 0]))).toBe(0);
    expect(logsumexp(vec([NaN, 1]))).toBeNaN();
    expect(logsumexp(vec([]))).toBe(-Infinity);
  });

  it("softmax is stable", () => {
    expect(Array.from(softmax(vec([1000, -1000])))).toEqual([1, 0]);
    expect(Array.from(softmax(vec([1000, 1000])))).toEqual([0.5, 0.5]);
    const s = softmax(vec([1, 2, 3]));
    const z = Math.E + Math.E ** 2 + Math.E ** 3;
    expect(s[0]).toBeCloseTo(Math.E / z, 15);
    expect(s[2]).toBeCloseTo(Math.E ** 3 / z, 15);
    expect(sum(s)).toBeCloseTo(1, 15);
    expect(Array.from(softmax(vec([-Infinity, 0])))).toEqual([0, 1]);
    expect(Array.from(softmax(vec([Infinity, 0, Infinity])))).toEqual([0.5, 0, 0.5]);
    expect(Array.from(softmax(vec([NaN, 0])))).toEqual([NaN, NaN]);
  });

  it("reductions do not mutate their input", () => {
    const x = vec([3, 1, 2]);
    softmax(x);
    prodExcept(x);
    logsumexp(x);
    norm2(x);
    expect(Array.from(x)).toEqual([3, 1, 2]);
  });
});

describe("vector helpers", () => {
  it("dot", () => {
    expect(dot(vec([1, 2, 3]), vec([4, -5, 6]))).toBe(12);
    expect(dot(vec([]), vec([]))).toBe(0);
    expectShapeError(() => dot(vec([1]), vec([1, 2])), "dot: lengths differ (1 and 2)");
    // A matrix has no length: rejected, never read as an empty vector.
    const m = mat([[1, 2]]);
    expectShapeError(
      () => dot(m as unknown as Float64Array, m as unknown as Float64Array),
      "dot: both operands must be vectors (Float64Array)",
    );
  });

  it("fill", () => {
    const f = fill(3, 2.5);
    expect(f).toBeInstanceOf(Float64Array);
    expect(Array.from(f)).toEqual([2.5, 2.5, 2.5]);
    expect(fill(0, 1).length).toBe(0);
  });

  it("oneHot", () => {
    expect(Array.from(oneHot(4, 2, 7))).toEqual([0, 0, 7, 0]);
    expect(Array.from(oneHot(1, 0, -1))).toEqual([-1]);
    expectShapeError(() => oneHot(3, 3, 1), "oneHot: index 3 is out of range for length 3");
  });
});

describe("matrix kernels", () => {
  const next = rng(42);

  it("matmul matches a naive triple loop on many shapes", () => {
    for (const [m, k, n] of SHAPES) {
      const a = randomMatrix(m, k, next);
      const b = randomMatrix(k, n, next);
      expectMatrixClose(matmul(a, b), naiveProduct(a, b));
    }
  });

  it("matmul on a small exact example", () => {
    const c = matmul(
      mat([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
      mat([
        [1, 0, 2],
        [0, 1, -1],
      ]),
    );
    expect(c.rows).toBe(3);
    expect(c.cols).toBe(3);
    expect(Array.from(c.data)).toEqual([1, 2, 0, 3, 4, 2, 5, 6, 4]);
  });

  it("matmulTransA and matmulTransB match naive loops without materializing", () => {
    for (const [m, k, n] of SHAPES) {
      const a = randomMatrix(k, m, next); // aᵀ is m×k
      const b = randomMatrix(k, n, next);
      expectMatrixClose(matmulTransA(a, b), naiveProduct(a, b, true, false));
      expectMatrixClose(matmulTransA(a, b), matmul(transpose(a), b));
      const c = randomMatrix(m, k, next);
      const d = randomMatrix(n, k, next); // dᵀ is k×n
      expectMatrixClose(matmulTransB(c, d), naiveProduct(c, d, false, true));
      expectMatrixClose(matmulTransB(c, d), matmul(c, transpose(d)));
    }
  });

  it("matvec and vecmat match naive loops", () => {
    for (const [m, n] of SHAPES) {
      const a = randomMatrix(m, n, next);
      const x = randomVector(n, next);
      const y = randomVector(m, next);
      const ax = matvec(a, x);
      const ya = vecmat(y, a);
      expect(ax.length).toBe(m);
      expect(ya.length).toBe(n);
      const axNaive = naiveProduct(a, matrix(n, 1, x.slice()));
      const yaNaive = naiveProduct(matrix(1, m, y.slice()), a);
      ax.forEach((v, i) => expect(v).toBeCloseTo(axNaive.data[i]!, 12));
      ya.forEach((v, j) => expect(v).toBeCloseTo(yaNaive.data[j]!, 12));
    }
  });

  it("transpose", () => {
    for (const [m, n] of SHAPES) {
      const a = randomMatrix(m, n, next);
      const t = transpose(a);
      expect(t.rows).toBe(n);
      expect(t.cols).toBe(m);
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) expect(at(t, j, i)).toBe(at(a, i, j));
      expect(transpose(t)).toEqual(a);
    }
  });

  it("outer", () => {
    const o = outer(vec([1, 2]), vec([3, 4, 5]));
    expect(o.rows).toBe(2);
    expect(o.cols).toBe(3);
    expect(Array.from(o.data)).toEqual([3, 4, 5, 6, 8, 10]);
    for (const [m, n] of SHAPES) {
      const x = randomVector(m, next);
      const y = randomVector(n, next);
      expectMatrixClose(outer(x, y), naiveProduct(matrix(m, 1, x.slice()), matrix(1, n, y.slice())));
    }
  });

  it("write into a given buffer whatever it held, and return it", () => {
    const dirty = (n: number) => Float64Array.from({ length: n }, () => 7);
    const dirtyMatrix = (rows: number, cols: number) => matrix(rows, cols, dirty(rows * cols));
    for (const [m, k, n] of SHAPES) {
      const a = randomMatrix(m, k, next);
      const b = randomMatrix(k, n, next);
      const x = randomVector(k, next);
      const y = randomVector(m, next);
      const cases: [
        () => Matrix | Float64Array,
        (into: never) => Matrix | Float64Array,
        () => Matrix | Float64Array,
      ][] = [
        [() => matmul(a, b), (o) => matmul(a, b, false, o), () => dirtyMatrix(m, n)],
        [() => matmulTransB(a, a), (o) => matmulTransB(a, a, false, o), () => dirtyMatrix(m, m)],
        [() => matvec(a, x), (o) => matvec(a, x, false, o), () => dirty(m)],
        [() => vecmat(y, a), (o) => vecmat(y, a, false, o), () => dirty(k)],
        [() => outer(y, x), (o) => outer(y, x, false, o), () => dirtyMatrix(m, k)],
        [() => sumAlong(a, 0), (o) => sumAlong(a, 0, o), () => dirty(k)],
        [() => sumAlong(a, 1), (o) => sumAlong(a, 1, o), () => dirty(m)],
        [() => logsumexpAlong(a, 0), (o) => logsumexpAlong(a, 0, o), () => dirty(k)],
        [() => logsumexpAlong(a, 1), (o) => logsumexpAlong(a, 1, o), () => dirty(m)],
      ];
      for (const [fresh, written, buffer] of cases) {
        const into = buffer();
        const result = written(into as never);
        expect(result).toBe(into);
        const data = (r: Matrix | Float64Array) => Array.from(r instanceof Float64Array ? r : r.data);
        expect(data(result)).toEqual(data(fresh()));
      }
      const square = dirtyMatrix(k, k);
      expect(matmulTransA(a, a, false, square)).toBe(square);
      expect(Array.from(square.data)).toEqual(Array.from(matmulTransA(a, a).data));
    }
  });

  it("kernels reject mismatched shapes", () => {
    const a = matrix(2, 3);
    expectShapeError(() => matmul(a, matrix(2, 3)), "matmul: cannot multiply 2×3 by 2×3");
    expectShapeError(() => matvec(a, vec([1, 2])), "matvec: cannot multiply 2×3 by a vector of length 2");
    expectShapeError(() => vecmat(vec([1, 2, 3]), a), "vecmat: cannot multiply a vector of length 3 by 2×3");
    expectShapeError(() => matmulTransA(a, matrix(3, 2)), "matmulTransA: cannot multiply (2×3)ᵀ by 3×2");
    expectShapeError(() => matmulTransB(a, matrix(3, 2)), "matmulTransB: cannot multiply 2×3 by (3×2)ᵀ");
  });

  it("matrix kernels propagate NaN and Infinity through zeros", () => {
    const c = matmul(mat([[0, 1]]), mat([[Infinity], [2]]));
    expect(c.data[0]).toBeNaN();
  });

  it("matrix kernels do not mutate their inputs", () => {
    const a = mat([
      [1, 2],
      [3, 4],
    ]);
    const b = mat([
      [5, 6],
      [7, 8],
    ]);
    matmul(a, b);
    matmulTransA(a, b);
    matmulTransB(a, b);
    transpose(a);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4]);
    expect(Array.from(b.data)).toEqual([5, 6, 7, 8]);
  });
});

describe("gradcheck", () => {
  // The shape of a generated module: loss(w, b, X, y) = mean((X w + b - y)^2) with grad wrt w, b.
  interface LossGradient {
    w: Float64Array;
    b: number;
  }
  function loss(w: Float64Array, b: number, X: Matrix, y: Float64Array): number {
    const r = matvec(X, w).map((z, i) => z + b - y[i]!);
    return dot(r, r) / y.length;
  }
  function lossGrad(
    w: Float64Array,
    b: number,
    X: Matrix,
    y: Float64Array,
  ): { value: number; grad: LossGradient } {
    const r = matvec(X, w).map((z, i) => z + b - y[i]!);
    const n = y.length;
    return {
      value: dot(r, r) / n,
      grad: { w: vecmat(r, X).map((g) => (2 * g) / n), b: (2 * sum(r)) / n },
    };
  }
  const next = rng(7);
  const w = randomVector(3, next);
  const X = randomMatrix(5, 3, next);
  const y = randomVector(5, next);

  it("accepts a correct gradient returned as an object (generated-module style)", () => {
    const result = gradcheck(loss, (...a) => lossGrad(...a).grad, [w, 0.3, X, y], { wrt: [0, 1] });
    expect(result.ok).toBe(true);
    expect(result.maxRelativeError).toBeLessThan(1e-8);
    expect(result.worst).toBeDefined();
    expect([0, 1]).toContain(result.worst!.arg);
  });

  it("detects a wrong gradient and reports where", () => {
    const wrong = (...a: Parameters<typeof loss>): LossGradient => {
      const g = lossGrad(...a).grad;
      const gw = g.w.slice();
      gw[2] = gw[2]! * 1.5 + 0.5;
      return { w: gw, b: g.b };
    };
    const result = gradcheck(loss, wrong, [w, 0.3, X, y], { wrt: [0, 1] });
    expect(result.ok).toBe(false);
    expect(result.maxRelativeError).toBeGreaterThan(0.01);
    expect(result.worst).toMatchObject({ arg: 0, index: 2 });
    const { analytic, numeric } = result.worst!;
    expect(numeric).toBeCloseTo(lossGrad(w, 0.3, X, y).grad.w[2]!, 6);
    expect(analytic).not.toBeCloseTo(numeric, 2);
  });

  it("detects a wrong scalar gradient", () => {
    const result = gradcheck(
      (x: number, z: number) => x * x * z,
      (x, z) => [2 * x * z, x * x + 1],
      [1.5, 2],
    );
    expect(result.ok).toBe(false);
    expect(result.worst).toMatchObject({ arg: 1, index: 0, analytic: 3.25 });
    expect(result.worst!.numeric).toBeCloseTo(2.25, 8);
    expect(result.maxRelativeError).toBeCloseTo(1 / 3.25, 6);
  });

  it("checks matrix arguments and array-returned gradients with default wrt", () => {
    const v = randomVector(3, next);
    // f(A, v) = vᵀ A v, ∂f/∂A = v vᵀ, ∂f/∂v = (A + Aᵀ) v
    const f = (A: Matrix, x: Float64Array): number => dot(x, matvec(A, x));
    const g = (A: Matrix, x: Float64Array): [Matrix, Float64Array] => [
      outer(x, x),
      matvec(A, x).map((s, i) => s + vecmat(x, A)[i]!),
    ];
    const A = randomMatrix(3, 3, next);
    const result = gradcheck(f, g, [A, v]);
    expect(result.ok).toBe(true);
    expect(result.maxRelativeError).toBeLessThan(1e-8);
  });

  it("does not mutate the caller's arguments", () => {
    const w0 = w.slice();
    const X0 = X.data.slice();
    gradcheck(loss, (...a) => lossGrad(...a).grad, [w, 0.3, X, y], { wrt: [0, 1] });
    expect(w).toEqual(w0);
    expect(X.data).toEqual(X0);
  });

  it("passes the unperturbed arguments to f except the one element being perturbed", () => {
    const seen: number[][] = [];
    const f = (x: Float64Array): number => {
      seen.push(Array.from(x));
      return sum(x);
    };
    const result = gradcheck(f, (x) => [fill(x.length, 1)], [vec([1, 2])], { h: 1e-3 });
    expect(result.ok).toBe(true);
    expect(seen).toHaveLength(4);
    expect(seen[0]![0]).toBeCloseTo(1.001, 12);
    expect(seen[0]![1]).toBe(2);
    expect(seen[2]![0]).toBe(1);
    expect(seen[2]![1]).toBeCloseTo(2.002, 12); // h scaled by max(1, |x|)
  });

  it("honours tolerance", () => {
    const f = (x: number): number => x * x;
    const slightlyOff = (x: number): number[] => [2 * x + 1e-4];
    expect(gradcheck(f, slightlyOff, [1]).ok).toBe(false);
    expect(gradcheck(f, slightlyOff, [1], { tolerance: 1e-3 }).ok).toBe(true);
  });

  it("treats NaN gradients as failures", () => {
    const result = gradcheck(
      (x: number) => x,
      () => [NaN],
      [1],
    );
    expect(result.ok).toBe(false);
    expect(result.maxRelativeError).toBe(Infinity);
  });

  it("reports nothing to compare for empty wrt", () => {
    const result = gradcheck(
      (x: number) => x,
      () => [],
      [1],
      { wrt: [] },
    );
    expect(result).toEqual({ maxRelativeError: 0, ok: true, worst: undefined });
  });

  it("rejects gradients of the wrong count or shape", () => {
    expectShapeError(
      () => gradcheck(loss, (...a) => lossGrad(...a).grad, [w, 0.3, X, y]),
      "gradcheck: grad returned 2 gradients, but wrt names 4 arguments (pass options.wrt)",
    );
    expectShapeError(
      () =>
        gradcheck(
          (x: Float64Array) => sum(x),
          () => [vec([1])],
          [vec([1, 2])],
        ),
      "gradcheck: gradient 0 (for argument 0) has length 1, expected 2",
    );
    expectShapeError(
      () =>
        gradcheck(
          (A: Matrix) => sum(A.data),
          () => [matrix(2, 1)],
          [matrix(1, 2)],
        ),
      "gradcheck: gradient 0 (for argument 0) is 2×1, expected 1×2",
    );
    expect(() =>
      gradcheck(
        (x: number) => x,
        () => [1],
        [1],
        { wrt: [1] },
      ),
    ).toThrow(RangeError);
  });

  it("accepts the loose Value signature too", () => {
    const f = (...args: Value[]): number => (typeof args[0] === "number" ? args[0] ** 3 : 0);
    const g = (...args: Value[]): Record<string, Value> => ({
      x: typeof args[0] === "number" ? 3 * args[0] ** 2 : 0,
    });
    const args: Value[] = [2];
    expect(gradcheck(f, g, args).ok).toBe(true);
  });
});

describe("broadcasting and axis reductions", () => {
  const a = mat([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  it("sumColumns sums down each column, sumRows along each row", () => {
    expect(Array.from(sumColumns(a))).toEqual([5, 7, 9]);
    expect(Array.from(sumRows(a))).toEqual([6, 15]);
  });
  it("tileRows repeats a vector as every row, tileColumns as every column", () => {
    const rows = tileRows(vec([1, 2, 3]), 2);
    expect([rows.rows, rows.cols]).toEqual([2, 3]);
    expect(Array.from(rows.data)).toEqual([1, 2, 3, 1, 2, 3]);
    const cols = tileColumns(vec([7, 8]), 3);
    expect([cols.rows, cols.cols]).toEqual([2, 3]);
    expect(Array.from(cols.data)).toEqual([7, 7, 7, 8, 8, 8]);
  });
  it("fillMatrix fills an m×n matrix", () => {
    const f = fillMatrix(2, 2, 0.5);
    expect([f.rows, f.cols, ...f.data]).toEqual([2, 2, 0.5, 0.5, 0.5, 0.5]);
  });
});

describe("checkVector of an empty vector", () => {
  it("throws: dimensions are positive", () => {
    expect(() => runtime.checkVector(new Float64Array(0), "x")).toThrow(
      "x is empty; a vector has at least one element",
    );
  });
});

describe("prodExceptTangent", () => {
  const reference = (x: number[], t: number[]) =>
    x.map((_, i) =>
      x.reduce(
        (acc, _xj, j) =>
          j === i ? acc : acc + t[j]! * x.reduce((p, xk, k) => (k === i || k === j ? p : p * xk), 1),
        0,
      ),
    );
  it.each([
    [
      [2, 3, 5, 7],
      [1, -1, 0.5, 2],
    ],
    [
      [0, 3, 0, 7],
      [1, 2, 3, 4],
    ],
    [[4], [9]],
    [
      [0, 2],
      [1, 1],
    ],
  ])("matches Σ_{j≠i} t_j Π_{k∉{i,j}} x_k for x = %j", (x, t) => {
    expect(Array.from(runtime.prodExceptTangent(vec(x), vec(t)))).toEqual(reference(x, t));
  });
  it("along each column and row", () => {
    const a = mat([
      [2, 0],
      [3, 5],
      [4, 6],
    ]);
    const t = mat([
      [1, 2],
      [0, 1],
      [-1, 3],
    ]);
    const cols = runtime.prodExceptTangentAlong(a, t, 0);
    const column = (m: typeof a, j: number) => [0, 1, 2].map((r) => m.data[r * 2 + j]!);
    const perColumn = [0, 1].map((j) => reference(column(a, j), column(t, j)));
    expect(Array.from(cols.data)).toEqual([0, 1, 2].flatMap((i) => [perColumn[0]![i]!, perColumn[1]![i]!]));
    const rows = runtime.prodExceptTangentAlong(a, t, 1);
    expect(Array.from(rows.data)).toEqual(
      [0, 1, 2].flatMap((i) =>
        reference([a.data[2 * i]!, a.data[2 * i + 1]!], [t.data[2 * i]!, t.data[2 * i + 1]!]),
      ),
    );
  });
});

describe("sweep helpers", () => {
  it("unit, flatten, setRow and setColumn", () => {
    expect(Array.from(runtime.unit(3, 1))).toEqual([0, 1, 0]);
    expect(Array.from(runtime.unit(2, 5))).toEqual([0, 0]);
    expect(Array.from(runtime.flatten(2))).toEqual([2]);
    expect(
      Array.from(
        runtime.flatten(
          mat([
            [1, 2],
            [3, 4],
          ]),
        ),
      ),
    ).toEqual([1, 2, 3, 4]);
    const m = runtime.matrix(2, 3);
    runtime.setRow(m, 1, 7, vec([8, 9]));
    runtime.setColumn(m, 0, vec([5]), 6);
    expect(Array.from(m.data)).toEqual([5, 0, 0, 6, 8, 9]);
  });
});

describe("checkDirection", () => {
  it("accepts an object and rejects anything else, naming the parameter", () => {
    expect(() => runtime.checkDirection({ x: 1 }, "tangent")).not.toThrow();
    expect(() => runtime.checkDirection(undefined, "tangent")).toThrow(
      "tangent must be an object with one entry per parameter, got undefined",
    );
    expect(() => runtime.checkDirection(vec([1]), "direction")).toThrow(runtime.ShapeError);
  });
});
