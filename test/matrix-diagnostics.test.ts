// Matrix shape rules: every compile-time error with its
// exact code (compiler/diagnostics.ts), line:column and the source text it
// underlines; the matching good programs, whose result shapes are pinned by a
// declared return type; and the run-time errors of generated code for bad
// matrix arguments (ShapeError naming the parameter and the dimension) and
// singular matrices (the runtime's SingularMatrixError).

import { describe, expect, it } from "vitest";
import { compile, type Diagnostic } from "../compiler/index.js";
import { ShapeError, SingularMatrixError, inv, mat, matrix, type Matrix } from "../runtime/index.js";
import { load, type GeneratedModule } from "./support/load.js";

interface Expected {
  readonly code: string;
  readonly line: number;
  readonly column: number;
  /** The source text underlined (start to exclusive end, on one line). */
  readonly span?: string;
  /** Substrings the message must contain. */
  readonly message?: readonly string[];
}

interface BadCase {
  readonly name: string;
  readonly source: string;
  readonly expect: readonly Expected[];
}

const FILE = "matrix.grad";

const bad: readonly BadCase[] = [
  // ---------------------------------------------------------------- '@' inner dimensions (GC0203)
  {
    name: "matrix @ matrix, literal dimensions",
    source: "fn f(A: real[2, 3], B: real[2, 3]) = sum(A @ B)",
    expect: [
      { code: "GC0203", line: 1, column: 42, span: "A @ B", message: ["real[2, 3] @ real[2, 3]", "3 vs 2"] },
    ],
  },
  {
    name: "matrix @ vector, literal dimensions",
    source: "fn f(A: real[2, 3], x: real[2]) = sum(A @ x)",
    expect: [
      { code: "GC0203", line: 1, column: 39, span: "A @ x", message: ["real[2, 3] @ real[2]", "3 vs 2"] },
    ],
  },
  {
    name: "vector @ matrix, literal dimensions",
    source: "fn f(x: real[3], A: real[2, 3]) = sum(x @ A)",
    expect: [
      { code: "GC0203", line: 1, column: 39, span: "x @ A", message: ["real[3] @ real[2, 3]", "3 vs 2"] },
    ],
  },
  {
    name: "vector @ vector, literal dimensions",
    source: "fn f(x: real[3], y: real[2]) = x @ y",
    expect: [{ code: "GC0203", line: 1, column: 32, span: "x @ y", message: ["real[3] @ real[2]"] }],
  },
  {
    name: "matrix @ matrix, symbolic dimensions",
    source: "fn f(A: real[m, n], B: real[m, n]) = sum(A @ B)",
    expect: [
      { code: "GC0203", line: 1, column: 42, span: "A @ B", message: ["real[m, n] @ real[m, n]", "n vs m"] },
    ],
  },
  {
    name: "matrix @ vector, symbolic dimensions",
    source: "fn f(A: real[m, n], x: real[m]) = sum(A @ x)",
    expect: [
      { code: "GC0203", line: 1, column: 39, span: "A @ x", message: ["real[m, n] @ real[m]", "n vs m"] },
    ],
  },
  {
    name: "vector @ matrix, symbolic dimensions",
    source: "fn f(x: real[n], A: real[m, n]) = sum(x @ A)",
    expect: [
      { code: "GC0203", line: 1, column: 39, span: "x @ A", message: ["real[n] @ real[m, n]", "n vs m"] },
    ],
  },
  {
    name: "vector @ vector, symbolic dimensions",
    source: "fn f(x: real[n], y: real[m]) = x @ y",
    expect: [{ code: "GC0203", line: 1, column: 32, span: "x @ y", message: ["real[n] @ real[m]"] }],
  },
  {
    name: "matrix @ transposed matrix",
    source: "fn f(A: real[2, 3], B: real[2, 2]) = sum(A @ B')",
    expect: [{ code: "GC0203", line: 1, column: 42, span: "A @ B'", message: ["real[2, 3] @ real[2, 2]"] }],
  },
  {
    name: "the second '@' of a chain, with the shape of the first product",
    source: "fn f(A: real[2, 3], B: real[3, 4], C: real[3, 4]) = sum(A @ B @ C)",
    expect: [
      {
        code: "GC0203",
        line: 1,
        column: 57,
        span: "A @ B @ C",
        message: ["real[2, 4] @ real[3, 4]", "4 vs 3"],
      },
    ],
  },
  {
    name: "scalar @ matrix",
    source: "fn f(s: real, A: real[2, 2]) = sum(s @ A)",
    expect: [{ code: "GC0203", line: 1, column: 36, span: "s @ A", message: ["real @ real[2, 2]", "'*'"] }],
  },
  {
    name: "'@' in a block statement: X @ w with w of the wrong length (the paper's loss)",
    source: "fn f(X: real[N, d], w: real[N]) -> real[N] {\n  z = X @ w\n  return z\n}",
    expect: [
      { code: "GC0203", line: 2, column: 7, span: "X @ w", message: ["real[N, d] @ real[N]", "d vs N"] },
    ],
  },

  // ---------------------------------------------------------------- axis (GC0208)
  {
    name: "axis=2 on a matrix",
    source: "fn f(A: real[2, 3]) = mean(A, axis=2)",
    expect: [{ code: "GC0208", line: 1, column: 36, span: "2", message: ["0 or 1"] }],
  },
  {
    name: "axis=-1 (NumPy's last axis is not accepted)",
    source: "fn f(A: real[2, 3]) = softmax(A, axis=-1)",
    expect: [{ code: "GC0208", line: 1, column: 39, span: "-1", message: ["0 or 1"] }],
  },
  {
    name: "axis=0.5",
    source: "fn f(A: real[2, 3]) = sum(A, axis=0.5)",
    expect: [{ code: "GC0208", line: 1, column: 35, span: "0.5", message: ["0 or 1"] }],
  },
  {
    name: "axis given by a dimension name",
    source: "fn f(A: real[m, n]) = sum(A, axis=n)",
    expect: [{ code: "GC0208", line: 1, column: 35, span: "n", message: ["0 or 1"] }],
  },
  {
    name: "axis on a vector (logsumexp)",
    source: "fn f(x: real[3]) = logsumexp(x, axis=1)",
    expect: [{ code: "GC0208", line: 1, column: 33, span: "axis=1", message: ["matrix", "real[3]"] }],
  },
  {
    name: "axis on a vector (softmax)",
    source: "fn f(x: real[n]) = softmax(x, axis=0)",
    expect: [{ code: "GC0208", line: 1, column: 31, span: "axis=0", message: ["matrix", "real[n]"] }],
  },
  {
    name: "axis on a scalar",
    source: "fn f(s: real) = max(s, axis=0)",
    expect: [{ code: "GC0208", line: 1, column: 24, span: "axis=0", message: ["matrix", "real"] }],
  },
  {
    name: "axis on two-argument max",
    source: "fn f(A: real[2, 3], B: real[2, 3]) = sum(max(A, B, axis=0))",
    expect: [{ code: "GC0208", line: 1, column: 52, span: "axis=0", message: ["'max'", "'axis'"] }],
  },
  {
    name: "axis on trace",
    source: "fn f(A: real[2, 2]) = trace(A, axis=0)",
    expect: [{ code: "GC0208", line: 1, column: 32, span: "axis=0", message: ["'trace'", "'axis'"] }],
  },
  {
    name: "a keyword other than axis on a reduction",
    source: "fn f(A: real[2, 3]) = sum(A, dim=0)",
    expect: [{ code: "GC0208", line: 1, column: 30, span: "dim=0", message: ["'dim'"] }],
  },
  {
    // Python rejects `f(x, axis=0, axis=1)` ("keyword argument repeated"); silently
    // taking one of them hides a mistake.
    name: "axis given twice",
    source: "fn f(A: real[2, 3]) = sum(A, axis=0, axis=1)",
    expect: [{ code: "GC0208", line: 1, column: 38, span: "axis=1", message: ["axis"] }],
  },

  // ---------------------------------------------------------------- square-only functions (GC0210)
  {
    name: "inv of a 2×3 matrix",
    source: "fn f(A: real[2, 3]) = sum(inv(A))",
    expect: [{ code: "GC0210", line: 1, column: 31, span: "A", message: ["'inv'", "square", "real[2, 3]"] }],
  },
  {
    name: "det of a 2×3 matrix",
    source: "fn f(A: real[2, 3]) = det(A)",
    expect: [{ code: "GC0210", line: 1, column: 27, span: "A", message: ["'det'", "square", "real[2, 3]"] }],
  },
  {
    name: "logdet of an m×n matrix",
    source: "fn f(A: real[m, n]) = logdet(A)",
    expect: [
      { code: "GC0210", line: 1, column: 30, span: "A", message: ["'logdet'", "square", "real[m, n]"] },
    ],
  },
  {
    name: "trace of a 3×2 matrix",
    source: "fn f(A: real[3, 2]) = trace(A)",
    expect: [
      { code: "GC0210", line: 1, column: 29, span: "A", message: ["'trace'", "square", "real[3, 2]"] },
    ],
  },
  {
    name: "trace of a transposed non-square matrix",
    source: "fn f(A: real[2, 3]) = trace(A')",
    expect: [{ code: "GC0210", line: 1, column: 29, span: "A'", message: ["'trace'", "real[3, 2]"] }],
  },
  {
    name: "inv of a non-square product",
    source: "fn f(A: real[2, 3], B: real[3, 4]) = sum(inv(A @ B))",
    expect: [{ code: "GC0210", line: 1, column: 46, span: "A @ B", message: ["'inv'", "real[2, 4]"] }],
  },
  {
    name: "det of a vector",
    source: "fn f(x: real[3]) = det(x)",
    expect: [{ code: "GC0210", line: 1, column: 24, span: "x", message: ["'det'", "real[3]"] }],
  },
  {
    name: "inv of a scalar",
    source: "fn f(s: real) = inv(s)",
    expect: [{ code: "GC0210", line: 1, column: 21, span: "s", message: ["'inv'", "got real"] }],
  },

  // ---------------------------------------------------------------- matrix literals (GC0209)
  {
    name: "ragged matrix literal: the first row of another length",
    source: "fn f(a: real, b: real, c: real) = sum([[a, b, c], [a, b], [c]])",
    expect: [
      { code: "GC0209", line: 1, column: 51, span: "[a, b]", message: ["row 0 has 3", "row 1 has 2"] },
    ],
  },
  {
    name: "ragged matrix literal over two lines",
    source: "fn f(x: real) -> real {\n  A = [[x, 1],\n       [2, 3, 4]]\n  return sum(A)\n}",
    expect: [
      { code: "GC0209", line: 3, column: 8, span: "[2, 3, 4]", message: ["row 0 has 2", "row 1 has 3"] },
    ],
  },
  {
    name: "a vector as an entry of a matrix literal",
    source: "fn f(x: real[2]) = sum([[x, 1], [2, 3]])",
    expect: [{ code: "GC0209", line: 1, column: 26, span: "x", message: ["scalar", "real[2]"] }],
  },
  {
    name: "a matrix as an entry of a matrix literal",
    source: "fn f(A: real[2, 2]) = sum([[A, A]])",
    expect: [{ code: "GC0209", line: 1, column: 29, span: "A", message: ["scalar", "real[2, 2]"] }],
  },
  {
    name: "a three-level literal",
    source: "fn f(x: real) = sum([[[x]]])",
    expect: [{ code: "GC0209", line: 1, column: 22, span: "[[x]]", message: ["real[1, 1]"] }],
  },
  {
    name: "a zero dimension in a matrix type",
    source: "fn f(A: real[0, 2]) = sum(A)",
    expect: [{ code: "GC0001", line: 1, column: 14, span: "0" }],
  },

  // ---------------------------------------------------------------- indexing (GC0205)
  {
    name: "one index on a matrix",
    source: "fn f(A: real[2, 3]) = A[0]",
    expect: [
      { code: "GC0205", line: 1, column: 23, span: "A[0]", message: ["real[2, 3]", "2 indices", "got 1"] },
    ],
  },
  {
    name: "three indices on a matrix",
    source: "fn f(A: real[2, 3]) = A[0, 1, 2]",
    expect: [{ code: "GC0205", line: 1, column: 23, span: "A[0, 1, 2]", message: ["2 indices", "got 3"] }],
  },
  {
    name: "one index on a matrix product",
    source: "fn f(A: real[2, 3], B: real[3, 3]) = (A @ B)[1]",
    expect: [{ code: "GC0205", line: 1, column: 38, span: "(A @ B)[1]", message: ["real[2, 3]", "got 1"] }],
  },
  {
    name: "two indices on a vector",
    source: "fn f(x: real[3]) = x[0, 0]",
    expect: [
      { code: "GC0205", line: 1, column: 20, span: "x[0, 0]", message: ["real[3]", "1 index", "got 2"] },
    ],
  },
  {
    name: "row index out of range",
    source: "fn f(A: real[2, 3]) = A[2, 0]",
    expect: [{ code: "GC0205", line: 1, column: 25, span: "2", message: ["index 2", "out of range", "2"] }],
  },
  {
    name: "column index out of range",
    source: "fn f(A: real[2, 3]) = A[0, 3]",
    expect: [{ code: "GC0205", line: 1, column: 28, span: "3", message: ["index 3", "out of range", "3"] }],
  },
  {
    name: "both indices out of range: both reported",
    source: "fn f(A: real[2, 3]) = A[5, 7]",
    expect: [
      { code: "GC0205", line: 1, column: 25, span: "5", message: ["index 5"] },
      { code: "GC0205", line: 1, column: 28, span: "7", message: ["index 7"] },
    ],
  },
  {
    name: "index out of range of a transpose (A' is 3×2)",
    source: "fn f(A: real[2, 3]) = A'[0, 2]",
    expect: [{ code: "GC0205", line: 1, column: 29, span: "2", message: ["index 2", "out of range"] }],
  },
  {
    name: "literal column dimension next to a symbolic row dimension",
    source: "fn f(A: real[m, 3]) = A[0, 3]",
    expect: [{ code: "GC0205", line: 1, column: 28, span: "3", message: ["index 3"] }],
  },
  {
    name: "index out of range of a variable holding a product",
    source: "fn f(A: real[2, 3]) -> real {\n  B = A @ A'\n  return B[2, 1]\n}",
    expect: [{ code: "GC0205", line: 3, column: 12, span: "2", message: ["index 2"] }],
  },
  {
    name: "negative index",
    source: "fn f(A: real[2, 3]) = A[-1, 0]",
    expect: [{ code: "GC0205", line: 1, column: 25, span: "-1", message: ["non-negative integer"] }],
  },
  {
    name: "fractional index",
    source: "fn f(A: real[2, 3]) = A[0, 1.5]",
    expect: [{ code: "GC0205", line: 1, column: 28, span: "1.5", message: ["integer"] }],
  },

  // ---------------------------------------------------------------- broadcasting (GC0202)
  {
    name: "real[m, n] + real[m]: a vector broadcasts over rows only when its length is n (NumPy)",
    source: "fn f(A: real[m, n], v: real[m]) = A + v",
    expect: [{ code: "GC0202", line: 1, column: 35, span: "A + v", message: ["real[m, n]", "real[m]"] }],
  },
  {
    name: "real[2, 3] * real[2]",
    source: "fn f(A: real[2, 3], v: real[2]) = A * v",
    expect: [{ code: "GC0202", line: 1, column: 35, span: "A * v", message: ["real[2, 3]", "real[2]"] }],
  },
  {
    name: "real[2, 3] + real[2, 2]",
    source: "fn f(A: real[2, 3], B: real[2, 2]) = A + B",
    expect: [{ code: "GC0202", line: 1, column: 38, span: "A + B", message: ["real[2, 3]", "real[2, 2]"] }],
  },
  {
    name: "real[2, 3] - real[3, 2]",
    source: "fn f(A: real[2, 3], B: real[3, 2]) = A - B",
    expect: [{ code: "GC0202", line: 1, column: 38, span: "A - B", message: ["real[2, 3]", "real[3, 2]"] }],
  },
  {
    name: "real[m, n] * real[n, m]",
    source: "fn f(A: real[m, n], B: real[n, m]) = A * B",
    expect: [{ code: "GC0202", line: 1, column: 38, span: "A * B", message: ["real[m, n]", "real[n, m]"] }],
  },
  {
    name: "vector / transposed matrix in a block",
    source: "fn f(v: real[2], A: real[3, 2]) -> real {\n  B = v / A'\n  return sum(B)\n}",
    expect: [{ code: "GC0202", line: 2, column: 7, span: "v / A'", message: ["real[2]", "real[2, 3]"] }],
  },
  {
    name: "where with branches of different matrix shapes",
    source: "fn f(A: real[2, 3], B: real[3, 2]) = where(A > 0, A, B)",
    expect: [
      {
        code: "GC0202",
        line: 1,
        column: 38,
        span: "where(A > 0, A, B)",
        message: ["real[2, 3]", "real[3, 2]"],
      },
    ],
  },
  {
    name: "where whose vector condition does not broadcast over the matrix branches",
    source: "fn f(x: real[2], A: real[2, 3]) = where(x > 0, A, A)",
    expect: [
      { code: "GC0202", line: 1, column: 35, span: "where(x > 0, A, A)", message: ["real[2]", "real[2, 3]"] },
    ],
  },
  {
    name: "two-argument max of mismatched matrices",
    source: "fn f(A: real[2, 3], B: real[2, 2]) = max(A, B)",
    expect: [
      {
        code: "GC0202",
        line: 1,
        column: 38,
        span: "max(A, B)",
        message: ["real[2, 3]", "real[2, 2]", "'max'"],
      },
    ],
  },
  {
    name: "pow of mismatched matrices",
    source: "fn f(A: real[2, 3], B: real[2, 2]) = pow(A, B)",
    expect: [{ code: "GC0202", line: 1, column: 38, span: "pow(A, B)", message: ["'pow'"] }],
  },

  // ---------------------------------------------------------------- softmax without axis
  {
    name: "softmax of a matrix without axis",
    source: "fn f(A: real[2, 3]) = softmax(A)",
    expect: [{ code: "GC0208", line: 1, column: 23, span: "softmax(A)", message: ["axis=0 or axis=1"] }],
  },
  {
    name: "softmax of a matrix product without axis",
    source: "fn f(A: real[2, 3], B: real[3, 4]) = softmax(A @ B)",
    expect: [{ code: "GC0208", line: 1, column: 38, span: "softmax(A @ B)", message: ["axis"] }],
  },

  // ---------------------------------------------------------------- diag, diagonal, outer, dot: ranks (GC0210)
  {
    name: "diagonal of a vector",
    source: "fn f(x: real[3]) = diagonal(x)",
    expect: [
      { code: "GC0210", line: 1, column: 29, span: "x", message: ["'diagonal'", "matrix", "real[3]"] },
    ],
  },
  {
    name: "diagonal of a scalar",
    source: "fn f(s: real) = diagonal(s)",
    expect: [{ code: "GC0210", line: 1, column: 26, span: "s", message: ["'diagonal'", "got real"] }],
  },
  {
    name: "diag of a matrix",
    source: "fn f(A: real[2, 2]) = diag(A)",
    expect: [{ code: "GC0210", line: 1, column: 28, span: "A", message: ["'diag'", "vector", "real[2, 2]"] }],
  },
  {
    name: "diag of a scalar",
    source: "fn f(s: real) = diag(s)",
    expect: [{ code: "GC0210", line: 1, column: 22, span: "s", message: ["'diag'", "vector", "got real"] }],
  },
  {
    name: "diagonal of real[m, n] has no known length",
    source: "fn f(A: real[m, n]) = diagonal(A)",
    expect: [{ code: "GC0210", line: 1, column: 32, span: "A", message: ["real[m, n]"] }],
  },
  {
    name: "outer of a matrix",
    source: "fn f(A: real[2, 3], x: real[3]) = outer(A, x)",
    expect: [{ code: "GC0210", line: 1, column: 41, span: "A", message: ["'outer'", "real[2, 3]"] }],
  },
  {
    name: "dot of matrices",
    source: "fn f(A: real[2, 3], B: real[2, 3]) = dot(A, B)",
    expect: [{ code: "GC0210", line: 1, column: 42, span: "A", message: ["'dot'", "real[2, 3]"] }],
  },

  // ---------------------------------------------------------------- constructors, arity, calls, return types
  {
    name: "eye with two sizes",
    source: "fn f(x: real) = sum(eye(2, 3) * x)",
    expect: [{ code: "GC0201", line: 1, column: 21, span: "eye(2, 3)", message: ["'eye'", "got 2"] }],
  },
  {
    name: "zeros with three sizes",
    source: "fn f(x: real) = sum(zeros(2, 3, 4) * x)",
    expect: [{ code: "GC0201", line: 1, column: 21, span: "zeros(2, 3, 4)", message: ["'zeros'", "got 3"] }],
  },
  {
    name: "ones with a zero size",
    source: "fn f(x: real) = sum(ones(0, 2) * x)",
    expect: [{ code: "GC0210", line: 1, column: 26, span: "0", message: ["'ones'", "positive"] }],
  },
  {
    name: "transpose with two arguments",
    source: "fn f(A: real[2, 3]) = transpose(A, A)",
    expect: [
      { code: "GC0201", line: 1, column: 23, span: "transpose(A, A)", message: ["'transpose'", "got 2"] },
    ],
  },
  {
    name: "declared matrix return type differs (a transpose forgotten)",
    source: "fn f(A: real[2, 3]) -> real[3, 2] = A",
    expect: [{ code: "GC0204", line: 1, column: 37, span: "A", message: ["real[3, 2]", "real[2, 3]"] }],
  },
  {
    name: "a non-square argument for a callee's real[p, p]",
    source: "fn g(X: real[p, p]) = trace(X)\nfn f(A: real[2, 3]) = g(A)",
    expect: [{ code: "GC0202", line: 2, column: 25, span: "A", message: ["'X'", "'g'", "real[2, 3]"] }],
  },
  {
    name: "a vector for a callee's matrix parameter",
    source: "fn g(X: real[p, q]) = sum(X)\nfn f(x: real[3]) = g(x)",
    expect: [{ code: "GC0202", line: 2, column: 22, span: "x", message: ["'X'", "real[p, q]", "real[3]"] }],
  },
  {
    name: "independent matrix errors in one file are all reported, in order",
    source: [
      "fn a(A: real[2, 3]) = sum(A @ A)", // 1: inner dimensions
      "fn b(A: real[2, 3]) -> real {",
      "  B = [[1, 2], [3]]", // 3: ragged
      "  return det(A) + sum(B)", // 4: non-square det
      "}",
      "fn c(A: real[2, 3], v: real[2]) = softmax(A + v)", // 6: broadcast (softmax then stays quiet)
    ].join("\n"),
    expect: [
      { code: "GC0203", line: 1, column: 27, span: "A @ A" },
      { code: "GC0209", line: 3, column: 16, span: "[3]" },
      { code: "GC0210", line: 4, column: 14, span: "A" },
      { code: "GC0202", line: 6, column: 43, span: "A + v" },
    ],
  },
];

/** Good programs, each result shape pinned by its declared return type (a mismatch would be GC0204). */
const good: readonly { readonly name: string; readonly source: string }[] = [
  { name: "matrix @ matrix", source: "fn f(A: real[m, n], B: real[n, k]) -> real[m, k] = A @ B" },
  { name: "matrix @ vector", source: "fn f(A: real[m, n], x: real[n]) -> real[m] = A @ x" },
  { name: "vector @ matrix", source: "fn f(x: real[m], A: real[m, n]) -> real[n] = x @ A" },
  { name: "vector @ vector", source: "fn f(x: real[n], y: real[n]) -> real = x @ y" },
  { name: "A' @ B", source: "fn f(A: real[n, m], B: real[n, k]) -> real[m, k] = A' @ B" },
  { name: "transpose", source: "fn f(A: real[m, n]) -> real[n, m] = transpose(A) + A'" },
  { name: "transpose of a vector", source: "fn f(x: real[n]) -> real[n] = x'" },
  {
    name: "real[m, n] + real[n] broadcasts over rows",
    source: "fn f(A: real[m, n], v: real[n]) -> real[m, n] = A + v",
  },
  { name: "real[n] * real[m, n]", source: "fn f(A: real[m, n], v: real[n]) -> real[m, n] = v * A" },
  { name: "real[n, n] + real[n]", source: "fn f(A: real[n, n], v: real[n]) -> real[n, n] = A - v" },
  { name: "scalar broadcast", source: "fn f(A: real[m, n], s: real) -> real[m, n] = s / A" },
  { name: "where on matrices", source: "fn f(A: real[m, n], v: real[n]) -> real[m, n] = where(A > v, A, 0)" },
  { name: "sum along axis 0", source: "fn f(A: real[m, n]) -> real[n] = sum(A, axis=0)" },
  { name: "max along axis 1", source: "fn f(A: real[m, n]) -> real[m] = max(A, axis=1)" },
  { name: "logsumexp along axis 1", source: "fn f(Z: real[N, k]) -> real[N] = logsumexp(Z, axis=1)" },
  {
    name: "whole-matrix reductions",
    source: "fn f(A: real[m, n]) -> real = norm2(A) + norm1(A) + prod(A) + mean(A)",
  },
  { name: "softmax along axis 0", source: "fn f(A: real[m, n]) -> real[m, n] = softmax(A, axis=0)" },
  { name: "outer", source: "fn f(x: real[m], y: real[n]) -> real[m, n] = outer(x, y)" },
  {
    name: "trace, det, logdet of a square matrix",
    source: "fn f(A: real[n, n]) -> real = trace(A) + det(A) + logdet(A)",
  },
  { name: "inv", source: "fn f(A: real[n, n]) -> real[n, n] = inv(A)" },
  { name: "diag", source: "fn f(v: real[n]) -> real[n, n] = diag(v)" },
  { name: "diagonal of a square matrix", source: "fn f(A: real[n, n]) -> real[n] = diagonal(A)" },
  { name: "diagonal of a 2×3 matrix", source: "fn f(A: real[2, 3]) -> real[2] = diagonal(A)" },
  { name: "diagonal of a 3×2 matrix", source: "fn f(A: real[3, 2]) -> real[2] = diagonal(A)" },
  {
    name: "eye, zeros, ones",
    source:
      "fn f(A: real[m, n], B: real[n, n]) -> real[m, n] = A @ eye(n) + zeros(m, n) + ones(m, n) + A @ B",
  },
  { name: "matrix literal", source: "fn f(x: real) -> real[2, 3] = [[x, 1, 2], [3, x^2, sin(x)]]" },
  { name: "index in range", source: "fn f(A: real[2, 3]) -> real = A[1, 2] + A'[2, 1]" },
  {
    name: "index with a symbolic dimension (checked at run time)",
    source: "fn f(A: real[m, 3]) -> real = A[4, 2]",
  },
  {
    name: "the paper's loss",
    source:
      "fn loss(w: real[d], b: real, X: real[N, d], y: real[N]) -> real wrt w, b {\n  z = X @ w + b\n  a = max(0, z)\n  return mean((y - a)^2)\n}",
  },
  {
    name: "the paper's [x², x³] check",
    source: "fn g(x: real) = [x^2, x^3] @ [[1, 2], [3, 4]] @ [x^2, x^3]",
  },
];

/** The source text from (line, column) to (endLine, endColumn), 1-based, end exclusive, by code points. */
function spanText(source: string, d: Diagnostic): string {
  const lines = source.split(/\r\n|\n/);
  if (d.line !== d.endLine) return `<spans lines ${d.line}-${d.endLine}>`;
  return [...lines[d.line - 1]!].slice(d.column - 1, d.endColumn - 1).join("");
}

describe("matrix shape errors at compile time", () => {
  for (const c of bad) {
    it(c.name, async () => {
      const result = await compile(c.source, { filename: FILE }).then(
        (r) => ({ ok: true as const, r }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      if (!result.ok) throw new Error(`compile() rejected: ${String(result.error)}`);
      const { code, diagnostics } = result.r;
      const listing = diagnostics.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`).join("\n");
      expect(code, listing).toBeUndefined();
      for (const d of diagnostics) {
        expect(d.severity).toBe("error");
        expect(d.file).toBe(FILE);
      }
      // Exactly the expected diagnostics, code and start position, in source order.
      expect(
        diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`),
        listing,
      ).toEqual(c.expect.map((e) => `${e.code} ${e.line}:${e.column}`));
      c.expect.forEach((e, i) => {
        const d = diagnostics[i]!;
        if (e.span !== undefined)
          expect(spanText(c.source, d), `span of ${d.code}: ${d.message}`).toBe(e.span);
        for (const part of e.message ?? []) expect(d.message).toContain(part);
      });
    });
  }
});

describe("matrix programs that are well-shaped compile without diagnostics", () => {
  for (const c of good) {
    it(c.name, async () => {
      const { code, diagnostics } = await compile(c.source, { filename: "good.grad" });
      expect(diagnostics.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`)).toEqual([]);
      expect(code).toBeDefined();
    });
  }
});

// ---------------------------------------------------------------- run time

/**
 * Calls `body`, expecting an error of class `type` whose message contains every part. Generated
 * modules load their own copy of the runtime (test/support/load.ts), so the class is matched by
 * its name and its base class.
 */
function expectThrows(
  body: () => unknown,
  type: new (...args: never[]) => Error,
  parts: readonly string[],
  what: string,
): void {
  let error: unknown;
  let result: unknown;
  try {
    result = body();
  } catch (e) {
    error = e;
  }
  expect(
    error,
    `${what}: expected ${type.name}, returned ${JSON.stringify(result, (_k, v) => (v instanceof Float64Array ? Array.from(v) : v))}`,
  ).toBeInstanceOf(Error);
  expect((error as Error).name, what).toBe(type.name);
  for (const part of parts) expect((error as Error).message, what).toContain(part);
}

const modules = new Map<string, Promise<GeneratedModule>>();
function moduleFor(source: string): Promise<GeneratedModule> {
  let m = modules.get(source);
  if (m === undefined) {
    m = load(source);
    modules.set(source, m);
  }
  return m;
}

/** The exports taking the function's parameters (fGrad only for a scalar result). */
function entryPoints(m: GeneratedModule, name = "f"): string[] {
  return [name, `${name}Grad`, `${name}Forward`].filter((e) => typeof m[e] === "function");
}

describe("singular matrices at run time", () => {
  const singular: readonly { name: string; A: Matrix }[] = [
    {
      name: "[[1, 2], [2, 4]]",
      A: mat([
        [1, 2],
        [2, 4],
      ]),
    },
    { name: "[[0]]", A: mat([[0]]) },
    { name: "the 3×3 zero matrix", A: matrix(3, 3) },
    {
      name: "[[1, 2, 3], [2, 4, 6], [1, 0, 1]] (dependent rows)",
      A: mat([
        [1, 2, 3],
        [2, 4, 6],
        [1, 0, 1],
      ]),
    },
    {
      name: "[[NaN, 1], [1, 1]]",
      A: mat([
        [NaN, 1],
        [1, 1],
      ]),
    },
  ];

  it.each(singular)("runtime inv($name) throws SingularMatrixError", ({ A }) => {
    expectThrows(() => inv(A), SingularMatrixError, ["singular"], "inv");
  });

  it.each(singular)("generated code calling inv throws SingularMatrixError for $name", async ({ A }) => {
    const x = new Float64Array(A.rows).fill(1);
    for (const [source, args] of [
      ["fn f(A: real[n, n]) = inv(A)", [A]],
      ["fn f(A: real[n, n], x: real[n]) = sum(inv(A) @ x)", [A, x]],
      ["fn f(A: real[n, n], W: real[n, n]) = sum(W * inv(A))", [A, A]],
    ] as const) {
      const m = await moduleFor(source);
      for (const e of entryPoints(m))
        expectThrows(() => m[e](...args), SingularMatrixError, ["singular"], `${source}: ${e}`);
    }
  });

  // [[1, 2, 3], [4, 5, 6], [7, 8, 9]] is singular, but rounding leaves a pivot of about 1e-16 in
  // its LU decomposition: checking pivots only against exactly 0 returns entries of about 1e16.
  it("runtime inv([[1, 2, 3], [4, 5, 6], [7, 8, 9]]) (numerically singular) throws SingularMatrixError", () => {
    expectThrows(
      () =>
        inv(
          mat([
            [1, 2, 3],
            [4, 5, 6],
            [7, 8, 9],
          ]),
        ),
      SingularMatrixError,
      ["singular"],
      "inv",
    );
  });

  it("det of a singular matrix is 0 and logdet is -Infinity (no error)", async () => {
    const m = await moduleFor("fn f(A: real[n, n]) = det(A)");
    expect(
      m.f!(
        mat([
          [1, 2],
          [2, 4],
        ]),
      ),
    ).toBe(0);
    const l = await moduleFor("fn f(A: real[n, n]) = logdet(A)");
    expect(
      l.f!(
        mat([
          [1, 2],
          [2, 4],
        ]),
      ),
    ).toBe(-Infinity);
  });

  it("logdet's gradient at a singular matrix is NaN (the value is −Infinity), not a throw", async () => {
    const m = await moduleFor("fn f(A: real[n, n]) = logdet(A)");
    const { value, grad } = m.fGrad!(
      mat([
        [1, 2],
        [2, 4],
      ]),
    );
    expect(value).toBe(-Infinity);
    expect([...grad.A.data].every(Number.isNaN)).toBe(true);
  });

  it("a logdet of a NaN matrix in a branch where did not take leaves every derivative finite", async () => {
    // Found by the random-program check: the gradient used to throw SingularMatrixError here.
    const source = "fn f(v: real[n], y: real) = where(y > 0, y^2, logdet(outer(v^pi, v) + eye(n)))";
    const m = await load(source, { modes: ["grad", "vjp", "jvp", "hessian"] });
    const v = Float64Array.of(-0.5, 1, 2); // (−0.5)^π is NaN
    expect(m.f(v, 3)).toBe(9);
    expect(m.fGrad(v, 3).grad).toEqual({ v: new Float64Array(3), y: 6 });
    expect(m.fBackward(m.fForward(v, 3).tape, 1)).toEqual({ v: new Float64Array(3), y: 6 });
    expect(m.fJvp(v, 3, { v: Float64Array.of(1, 1, 1), y: 1 }).tangent).toBe(6);
    expect([...m.fHessian(v, 3).hessian.data]).toEqual([...new Array(15).fill(0), 2]);
  });
});

describe("matrix arguments of the wrong size throw ShapeError naming the parameter", () => {
  const source = "fn f(X: real[N, d], w: real[d], A: real[2, 3]) = sum(X @ w) + sum(A)";
  const X = matrix(3, 2);
  const w = new Float64Array(2);
  const A = matrix(2, 3);
  const cases: readonly { name: string; args: unknown[]; parts: string[] }[] = [
    {
      name: "w longer than X's columns",
      args: [X, new Float64Array(3), A],
      parts: ["w has length 3", "d = 2"],
    },
    {
      name: "A with 3 rows for real[2, 3]",
      args: [X, w, matrix(3, 2)],
      parts: ["A has 3 rows", "expected 2"],
    },
    {
      name: "A with 4 columns for real[2, 3]",
      args: [X, w, matrix(2, 4)],
      parts: ["A has 4 columns", "expected 3"],
    },
    {
      name: "a Float64Array for a matrix",
      args: [new Float64Array(6), w, A],
      parts: ["X must be a Matrix", "Float64Array"],
    },
    { name: "a number for a matrix", args: [1, w, A], parts: ["X must be a Matrix", "number"] },
    {
      name: "nested arrays for a matrix",
      args: [
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        w,
        A,
      ],
      parts: ["X must be a Matrix"],
    },
    {
      name: "data of the wrong length",
      args: [{ rows: 3, cols: 2, data: new Float64Array(5) }, w, A],
      parts: ["X must be a Matrix", "malformed"],
    },
    {
      name: "data as a plain array",
      args: [{ rows: 3, cols: 2, data: [1, 2, 3, 4, 5, 6] }, w, A],
      parts: ["X must be a Matrix"],
    },
    {
      name: "a matrix for a vector",
      args: [X, matrix(1, 2), A],
      parts: ["w must be a Float64Array", "Matrix"],
    },
  ];

  it.each(cases)("$name", async ({ args, parts }) => {
    const m = await moduleFor(source);
    for (const e of entryPoints(m)) expectThrows(() => m[e](...args), ShapeError, parts, e);
  });

  it("symbolic dimensions must agree between matrices: B of real[n, m] after A of real[m, n]", async () => {
    const m = await moduleFor("fn f(A: real[m, n], B: real[n, m]) = trace(A @ B)");
    for (const e of entryPoints(m)) {
      expectThrows(() => m[e](matrix(2, 3), matrix(2, 2)), ShapeError, ["B has 2 rows", "n = 3"], e);
      expectThrows(() => m[e](matrix(2, 3), matrix(3, 3)), ShapeError, ["B has 3 columns", "m = 2"], e);
    }
  });

  it("a matrix product's operand bound later: B of real[n, n] after A of real[m, n]", async () => {
    const m = await moduleFor("fn f(A: real[m, n], B: real[n, n]) = sum(A @ B)");
    for (const e of entryPoints(m))
      expectThrows(() => m[e](matrix(2, 3), matrix(3, 2)), ShapeError, ["B has 2 columns", "n = 3"], e);
  });

  // real[n, n] binds n from the rows; the columns must then equal n too.
  it.each([
    "fn f(S: real[n, n]) = trace(S)",
    "fn f(S: real[n, n]) = det(S)",
    "fn f(S: real[n, n]) = logdet(S)",
    "fn f(S: real[n, n]) = sum(inv(S))",
    "fn f(S: real[n, n]) = sum(S * eye(n))",
    "fn f(S: real[n, n], x: real[n]) = x @ S @ x",
  ])("a non-square matrix for real[n, n] (the first use of n): %s", async (source) => {
    const m = await moduleFor(source);
    const S = mat([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const args = source.includes("x: real[n]") ? [S, new Float64Array(2).fill(1)] : [S];
    for (const e of entryPoints(m))
      expectThrows(() => m[e](...args), ShapeError, ["S has 3 columns", "n = 2"], e);
  });

  it("an index beyond a symbolic dimension throws ShapeError naming the parameter and dimension", async () => {
    const m = await moduleFor("fn f(A: real[m, n]) = A[1, 2]");
    for (const e of entryPoints(m)) {
      expectThrows(() => m[e](matrix(2, 2)), ShapeError, ["A", "n", "2"], `${e}, 2×2`);
      expectThrows(() => m[e](matrix(1, 3)), ShapeError, ["A", "m", "1"], `${e}, 1×3`);
    }
  });

  it("fBackward rejects a seed that is not shaped like the matrix result", async () => {
    const m = await moduleFor("fn f(A: real[m, n]) = A * 2");
    const { tape } = m.fForward!(matrix(2, 3)) as { tape: unknown };
    expectThrows(
      () => m.fBackward!(tape, matrix(3, 3)),
      ShapeError,
      ["seed has 3 rows", "m = 2"],
      "3×3 seed",
    );
    expectThrows(
      () => m.fBackward!(tape, matrix(2, 2)),
      ShapeError,
      ["seed has 2 columns", "n = 3"],
      "2×2 seed",
    );
    expectThrows(() => m.fBackward!(tape, 1), ShapeError, ["seed must be a Matrix", "number"], "scalar seed");
    expectThrows(
      () => m.fBackward!(tape, new Float64Array(6)),
      ShapeError,
      ["seed must be a Matrix"],
      "vector seed",
    );
  });
});
