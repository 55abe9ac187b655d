// Diagnostics of bad programs, through the public API (docs/cli.md, "Diagnostic codes").
//
// Every expectation says where a user should be pointed: the offending token
// (or the smallest construct that is wrong), with the code of compiler/diagnostics.ts.
// One mistake should give one diagnostic; independent mistakes should all be
// reported. Positions are 1-based; the end is exclusive.

import { describe, expect, it } from "vitest";
import { check, compile, formatDiagnostic, type Diagnostic } from "../compiler/index.js";

interface Expected {
  readonly code: string;
  readonly line: number;
  readonly column: number;
  readonly endLine?: number;
  readonly endColumn?: number;
  /** Substrings the message must contain. */
  readonly message?: readonly string[];
}

interface BadCase {
  readonly name: string;
  readonly source: string;
  readonly expect: readonly Expected[];
}

const FILE = "bad.grad";

const bad: readonly BadCase[] = [
  // ---------------------------------------------------------------- syntax (GC0001)
  {
    name: "missing ')' at the end of the file points at the '(' left open",
    source: "fn f(x: real) = (x + 1\n",
    expect: [{ code: "GC0001", line: 1, column: 17, endLine: 1, endColumn: 18, message: ["never closed"] }],
  },
  {
    name: "missing ')' of a call at the end of the file",
    source: "fn f(x: real) = exp(x + 1",
    expect: [{ code: "GC0001", line: 1, column: 20, endLine: 1, endColumn: 21, message: ['"("'] }],
  },
  {
    name: "missing ')' in a block, before the next statement: same place as at the end of the file",
    source: "fn f(x: real) -> real {\n  y = (x + 1\n  return y\n}\n",
    expect: [{ code: "GC0001", line: 2, column: 7, message: ['"("', "not closed"] }],
  },
  {
    name: "missing ')' in a parameter list",
    source: "fn f(x: real = x",
    expect: [
      { code: "GC0001", line: 1, column: 14, endLine: 1, endColumn: 15, message: ['")"', 'found "="'] },
    ],
  },
  {
    name: "missing '=' in a one-line function",
    source: "fn f(x: real) x + 1",
    expect: [
      { code: "GC0001", line: 1, column: 15, endLine: 1, endColumn: 16, message: ['"="', 'found "x"'] },
    ],
  },
  {
    name: "block body without '-> TYPE'",
    source: "fn f(x: real) {\n  return x\n}",
    expect: [{ code: "GC0001", line: 1, column: 15, endLine: 1, endColumn: 16, message: ["return type"] }],
  },
  {
    name: "'->' without a type",
    source: "fn f(x: real) -> = x",
    expect: [{ code: "GC0001", line: 1, column: 18, message: ["type", 'found "="'] }],
  },
  {
    name: "parameter without a type",
    source: "fn f(x) = x",
    expect: [{ code: "GC0001", line: 1, column: 7, message: ['":"'] }],
  },
  {
    name: "bad character '$'",
    source: "fn f(x: real) = x $ 2",
    expect: [{ code: "GC0001", line: 1, column: 19, endLine: 1, endColumn: 20, message: ['"$"'] }],
  },
  {
    name: "'**' is not an operator",
    source: "fn f(x: real) = x ** 2",
    expect: [{ code: "GC0001", line: 1, column: 19, endLine: 1, endColumn: 21, message: ['"^"'] }],
  },
  {
    name: "unterminated block points at the '{' left open",
    source: "fn f(x: real) -> real {\n  return x\n",
    expect: [{ code: "GC0001", line: 1, column: 23, endLine: 1, endColumn: 24, message: ['"{"'] }],
  },
  {
    name: "'fn' without a name",
    source: "fn (x: real) = x",
    expect: [
      { code: "GC0001", line: 1, column: 4, endLine: 1, endColumn: 5, message: ["name", 'found "("'] },
    ],
  },
  {
    name: "'3x' (implicit multiplication) points at the 'x'",
    source: "fn f(x: real) = 3x",
    expect: [{ code: "GC0001", line: 1, column: 18, endLine: 1, endColumn: 19, message: ['found "x"'] }],
  },
  {
    name: "a type with three dimensions",
    source: "fn f(x: real[2, 3, 4]) = sum(x)",
    expect: [{ code: "GC0001", line: 1, column: 13, message: ["at most two dimensions"] }],
  },
  {
    name: "empty file",
    source: "",
    expect: [{ code: "GC0113", line: 1, column: 1, message: ["no function"] }],
  },
  {
    name: "comments and blank lines only",
    source: "# a model\n\n// nothing here yet\n",
    expect: [{ code: "GC0113", line: 1, column: 1, message: ["no function"] }],
  },
  {
    name: "empty literal '[]' gets the dedicated code, not a generic syntax error",
    source: "fn f(x: real) = x + []",
    expect: [{ code: "GC0209", line: 1, column: 21, endLine: 1, endColumn: 23, message: ["empty"] }],
  },

  // ---------------------------------------------------------------- names (GC01xx)
  {
    name: "unknown name",
    source: "fn f(x: real) = x + q",
    expect: [
      { code: "GC0101", line: 1, column: 21, endLine: 1, endColumn: 22, message: ["unknown name 'q'"] },
    ],
  },
  {
    name: "name used before it is assigned",
    source: "fn f(x: real) -> real {\n  y = z + 1\n  z = x\n  return y\n}",
    expect: [{ code: "GC0101", line: 2, column: 7, endLine: 2, endColumn: 8, message: ["'z'", "before"] }],
  },
  {
    name: "a function used as a value",
    source: "fn g(x: real) = x\nfn f(x: real) = g + x",
    expect: [{ code: "GC0101", line: 2, column: 17, endLine: 2, endColumn: 18, message: ["'g'", "g(...)"] }],
  },
  {
    name: "unknown function",
    source: "fn f(x: real) = foo(x)",
    expect: [{ code: "GC0104", line: 1, column: 17, endLine: 1, endColumn: 20, message: ["'foo'"] }],
  },
  {
    name: "duplicate assignment",
    source: "fn f(x: real) -> real {\n  y = x\n  y = 2 * x\n  return y\n}",
    expect: [{ code: "GC0102", line: 3, column: 3, endLine: 3, endColumn: 4, message: ["'y'"] }],
  },
  {
    name: "variable named like a parameter",
    source: "fn f(x: real) -> real {\n  x = 2\n  return x\n}",
    expect: [{ code: "GC0102", line: 2, column: 3, endLine: 2, endColumn: 4, message: ["parameter"] }],
  },
  {
    name: "two parameters with one name",
    source: "fn f(x: real, x: real) = x",
    expect: [{ code: "GC0102", line: 1, column: 15, endLine: 1, endColumn: 16, message: ["'x'"] }],
  },
  {
    name: "variable named like a dimension",
    source: "fn f(v: real[n]) -> real {\n  n = 2\n  return n\n}",
    expect: [{ code: "GC0102", line: 2, column: 3, endLine: 2, endColumn: 4, message: ["dimension"] }],
  },
  {
    name: "parameter named like an earlier function: one diagnostic, at the parameter",
    source: "fn g(x: real) = x\nfn f(g: real) = g * 2",
    expect: [{ code: "GC0102", line: 2, column: 6, endLine: 2, endColumn: 7, message: ["'g'", "function"] }],
  },
  {
    name: "built-in name as a variable: one diagnostic, at the assignment",
    source: "fn f(x: real[3]) -> real {\n  sum = x[0] + x[1]\n  return sum * 2\n}",
    expect: [
      { code: "GC0103", line: 2, column: 3, endLine: 2, endColumn: 6, message: ["'sum'", "built-in"] },
    ],
  },
  {
    name: "keyword 'pi' as a parameter name",
    source: "fn f(pi: real) = 2 * pi",
    expect: [{ code: "GC0103", line: 1, column: 6, endLine: 1, endColumn: 8, message: ["'pi'", "keyword"] }],
  },
  {
    name: "built-in name as a parameter",
    source: "fn f(exp: real) = 2",
    expect: [{ code: "GC0103", line: 1, column: 6, endLine: 1, endColumn: 9, message: ["'exp'"] }],
  },
  {
    name: "unknown 'wrt' name",
    source: "fn f(x: real, y: real) wrt z = x * y",
    expect: [{ code: "GC0106", line: 1, column: 28, endLine: 1, endColumn: 29, message: ["'wrt z'"] }],
  },
  {
    name: "duplicate 'wrt' name points at the second one",
    source: "fn f(x: real, y: real) wrt x, x = x * y",
    expect: [{ code: "GC0111", line: 1, column: 31, endLine: 1, endColumn: 32, message: ["'x'", "twice"] }],
  },
  {
    name: "recursion (a function calling itself)",
    source: "fn f(x: real) = f(x - 1)",
    expect: [{ code: "GC0105", line: 1, column: 17, endLine: 1, endColumn: 18, message: ["itself"] }],
  },
  {
    name: "a function named after a built-in: one diagnostic, and its body still calls the built-in",
    source: "fn dot(x: real[n], y: real[n]) = dot(x, y)",
    expect: [
      { code: "GC0103", line: 1, column: 4, endLine: 1, endColumn: 7, message: ["'dot'", "built-in"] },
    ],
  },
  {
    name: "'__proto__' as a variable",
    source: "fn f(x: real) -> real {\n  __proto__ = x\n  return __proto__\n}",
    expect: [{ code: "GC0103", line: 2, column: 3, endLine: 2, endColumn: 12, message: ["'__proto__'"] }],
  },
  {
    name: "calling a function defined later",
    source: "fn f(x: real) = g(x)\nfn g(x: real) = x",
    expect: [{ code: "GC0105", line: 1, column: 17, endLine: 1, endColumn: 18, message: ["'g'", "later"] }],
  },
  {
    name: "duplicate function",
    source: "fn f(x: real) = x\nfn f(y: real) = y",
    expect: [{ code: "GC0107", line: 2, column: 4, endLine: 2, endColumn: 5, message: ["'f'", "already"] }],
  },
  {
    name: "missing 'return'",
    source: "fn f(x: real) -> real {\n  y = x\n}",
    expect: [{ code: "GC0108", line: 1, column: 4, endLine: 1, endColumn: 5, message: ["return"] }],
  },
  {
    name: "statement after 'return'",
    source: "fn f(x: real) -> real {\n  return x\n  y = 2\n}",
    expect: [{ code: "GC0109", line: 3, column: 3, message: ["after `return`"] }],
  },
  {
    name: "function name clashing with a generated export",
    source: "fn f(x: real) = x\nfn fGrad(x: real) = x",
    expect: [{ code: "GC0110", line: 2, column: 4, endLine: 2, endColumn: 9, message: ["'fGrad'", "'f'"] }],
  },
  {
    name: "function named with a TypeScript reserved word",
    source: "fn delete(x: real) = x",
    expect: [{ code: "GC0103", line: 1, column: 4, endLine: 1, endColumn: 10, message: ["'delete'"] }],
  },
  {
    name: "unknown dimension in a return type",
    source: "fn f(x: real[n]) -> real[m] = x",
    expect: [{ code: "GC0112", line: 1, column: 26, endLine: 1, endColumn: 27, message: ["'m'"] }],
  },

  // ---------------------------------------------------------------- shapes and arity (GC02xx)
  {
    name: "wrong arity of a built-in",
    source: "fn f(x: real) = exp(x, 2)",
    expect: [{ code: "GC0201", line: 1, column: 17, message: ["'exp'", "1", "got 2"] }],
  },
  {
    name: "wrong arity of max: the message says it takes one or two",
    source: "fn f(x: real) = max(x, 0, 1)",
    expect: [{ code: "GC0201", line: 1, column: 17, message: ["'max'", "2", "got 3"] }],
  },
  {
    name: "wrong arity of a user function",
    source: "fn g(a: real, b: real) = a * b\nfn f(x: real) = g(x)",
    expect: [{ code: "GC0201", line: 2, column: 17, message: ["'g'", "2", "got 1"] }],
  },
  {
    name: "vector literals of different sizes",
    source: "fn f(x: real) = [x, 1] + [x, 2, 3]",
    expect: [
      { code: "GC0202", line: 1, column: 17, endLine: 1, endColumn: 35, message: ["real[2]", "real[3]"] },
    ],
  },
  {
    name: "real[n] + real[m]",
    source: "fn f(x: real[n], y: real[m]) = x + y",
    expect: [
      { code: "GC0202", line: 1, column: 32, endLine: 1, endColumn: 37, message: ["real[n]", "real[m]"] },
    ],
  },
  {
    name: "a failed assignment does not cascade into later uses of the name",
    source: "fn f(v: real[3]) -> real {\n  w = v + [1, 2]\n  return sum(w)\n}",
    expect: [{ code: "GC0202", line: 2, column: 7, message: ["real[3]", "real[2]"] }],
  },
  {
    name: "dot of vectors of different lengths",
    source: "fn f(x: real) = dot([x, 1], [x, 2, 3])",
    expect: [{ code: "GC0202", line: 1, column: 17, message: ["real[2]", "real[3]"] }],
  },
  {
    name: "user-function argument of the wrong shape",
    source: "fn g(v: real[n]) = sum(v)\nfn f(x: real) = g(x)",
    expect: [
      {
        code: "GC0202",
        line: 2,
        column: 19,
        endLine: 2,
        endColumn: 20,
        message: ["'v'", "real[n]", "got real"],
      },
    ],
  },
  {
    name: "user-function arguments disagreeing on a dimension",
    source: "fn g(a: real[n], b: real[n]) = dot(a, b)\nfn f(x: real) = g([x, 1], [x, 2, 3])",
    expect: [{ code: "GC0202", line: 2, column: 27, message: ["'b'", "real[2]", "real[3]"] }],
  },
  {
    name: "'@' of two scalars",
    source: "fn f(x: real, y: real) = x @ y",
    expect: [{ code: "GC0203", line: 1, column: 26, endLine: 1, endColumn: 31, message: ["'*'"] }],
  },
  {
    name: "declared return type mismatch, one-line form",
    source: "fn f(x: real[3]) -> real = x * 2",
    expect: [
      { code: "GC0204", line: 1, column: 28, endLine: 1, endColumn: 33, message: ["real", "real[3]"] },
    ],
  },
  {
    name: "declared return type mismatch, block form",
    source: "fn f(x: real[3]) -> real {\n  return x\n}",
    expect: [{ code: "GC0204", line: 2, column: 10, endLine: 2, endColumn: 11, message: ["real[3]"] }],
  },
  {
    name: "comparison outside where",
    source: "fn f(x: real) = x > 0",
    expect: [{ code: "GC0206", line: 1, column: 17, endLine: 1, endColumn: 22, message: ["where"] }],
  },
  {
    name: "where whose condition is not a comparison",
    source: "fn f(x: real) = where(x, 1, 2)",
    expect: [{ code: "GC0207", line: 1, column: 23, endLine: 1, endColumn: 24, message: ["comparison"] }],
  },
  {
    name: "non-literal index",
    source: "fn f(x: real[3], i: real) = x[i]",
    expect: [{ code: "GC0205", line: 1, column: 31, endLine: 1, endColumn: 32, message: ["literal"] }],
  },
  {
    name: "index out of range of a literal size",
    source: "fn f(x: real[3]) = x[3]",
    expect: [{ code: "GC0205", line: 1, column: 22, endLine: 1, endColumn: 23, message: ["out of range"] }],
  },
  {
    name: "too many indices",
    source: "fn f(x: real[3]) = x[0, 1]",
    expect: [{ code: "GC0205", line: 1, column: 20, message: ["got 2"] }],
  },
  {
    name: "indexing a scalar",
    source: "fn f(x: real) = x[0]",
    expect: [{ code: "GC0205", line: 1, column: 17, message: ["scalar"] }],
  },
  {
    name: "sum(x, axis=2)",
    source: "fn f(x: real[2, 3]) = sum(x, axis=2)",
    expect: [{ code: "GC0208", line: 1, column: 35, endLine: 1, endColumn: 36, message: ["0 or 1"] }],
  },
  {
    name: "axis on a vector",
    source: "fn f(x: real[3]) = sum(x, axis=0)",
    expect: [
      { code: "GC0208", line: 1, column: 27, endLine: 1, endColumn: 33, message: ["matrix", "real[3]"] },
    ],
  },
  {
    name: "unknown keyword argument",
    source: "fn f(x: real[3]) = sum(x, foo=1)",
    expect: [{ code: "GC0208", line: 1, column: 27, message: ["'foo'"] }],
  },
  {
    name: "keyword argument to an element-wise function",
    source: "fn f(x: real[3]) = sum(exp(x, axis=1))",
    expect: [{ code: "GC0208", line: 1, column: 31, message: ["'axis'"] }],
  },
  {
    name: "vector literal with a vector element",
    source: "fn f(x: real[2]) = sum([x, 1])",
    expect: [
      { code: "GC0209", line: 1, column: 25, endLine: 1, endColumn: 26, message: ["scalar", "real[2]"] },
    ],
  },
  {
    name: "ragged matrix literal points at the odd row",
    source: "fn f(x: real) = sum([[x, 1], [2]])",
    expect: [{ code: "GC0209", line: 1, column: 30, endLine: 1, endColumn: 33, message: ["row 1"] }],
  },
  {
    name: "zeros(x) with a parameter, not a dimension",
    source: "fn f(x: real) = sum(zeros(x))",
    expect: [{ code: "GC0210", line: 1, column: 27, endLine: 1, endColumn: 28, message: ["'zeros'"] }],
  },
  {
    name: "reduction of a scalar",
    source: "fn f(x: real) = sum(x)",
    expect: [
      { code: "GC0210", line: 1, column: 21, endLine: 1, endColumn: 22, message: ["'sum'", "got real"] },
    ],
  },

  // ---------------------------------------------------------------- line ends and layout
  {
    name: "CRLF line ends count lines and columns as LF does",
    source: "fn f(x: real) -> real {\r\n  y = x\r\n  return q\r\n}\r\n",
    expect: [{ code: "GC0101", line: 3, column: 10, endLine: 3, endColumn: 11, message: ["'q'"] }],
  },
  {
    name: "a tab counts as one column",
    source: "fn f(x: real) -> real {\n\treturn x + q\n}",
    expect: [{ code: "GC0101", line: 2, column: 13, endLine: 2, endColumn: 14 }],
  },
  {
    name: "unicode names before the error do not shift the column",
    source: "fn f(θ: real, φ: real) = θ * φ + ψ",
    expect: [{ code: "GC0101", line: 1, column: 34, endLine: 1, endColumn: 35, message: ["'ψ'"] }],
  },

  {
    name: "'real' as a function name",
    source: "fn real(x: real) = x",
    expect: [
      { code: "GC0103", line: 1, column: 4, endLine: 1, endColumn: 8, message: ["'real'", "keyword"] },
    ],
  },
  {
    name: "function named like a global the generated code uses (Math)",
    source: "fn Math(x: real) = exp(x)",
    expect: [{ code: "GC0103", line: 1, column: 4, endLine: 1, endColumn: 8, message: ["'Math'"] }],
  },
  {
    name: "functions whose generated tape types clash (f and F both make FTape)",
    source: "fn f(x: real) = exp(x)\nfn F(x: real) = sin(x)",
    expect: [{ code: "GC0110", line: 2, column: 4, endLine: 2, endColumn: 5, message: ["FTape"] }],
  },
  {
    name: "a byte-order mark does not shift columns",
    source: "\uFEFFfn f(x: real) = q",
    expect: [{ code: "GC0101", line: 1, column: 17, endLine: 1, endColumn: 18, message: ["'q'"] }],
  },
  {
    // Columns count characters as a user (and a terminal caret) sees them; 𝑥 is
    // one character, two UTF-16 code units.
    name: "an astral-plane letter counts as one column",
    source: "fn f(x: real) = 𝑥 + q",
    expect: [
      { code: "GC0101", line: 1, column: 17, endLine: 1, endColumn: 18, message: ["'𝑥'"] },
      { code: "GC0101", line: 1, column: 21, endLine: 1, endColumn: 22, message: ["'q'"] },
    ],
  },

  // ---------------------------------------------------------------- no cascades, nothing missed
  {
    name: "an error in a function does not make its callers report it as 'defined later'",
    source: "fn a(x: real) = x + q\nfn b(y: real) = a(y)",
    expect: [{ code: "GC0101", line: 1, column: 21, message: ["'q'"] }],
  },
  {
    name: "where with too few arguments: one arity error, no 'comparison outside where'",
    source: "fn f(x: real) = where(x > 0, x)",
    expect: [{ code: "GC0201", line: 1, column: 17, message: ["'where'", "3", "got 2"] }],
  },
  {
    name: "unknown function with an unknown argument reports both",
    source: "fn f(x: real) = foo(q)",
    expect: [
      { code: "GC0104", line: 1, column: 17, endLine: 1, endColumn: 20, message: ["'foo'"] },
      { code: "GC0101", line: 1, column: 21, message: ["'q'"] },
    ],
  },
  {
    name: "the body of a duplicate function is still checked",
    source: "fn f(x: real) = x\nfn f(y: real) = y + q",
    expect: [
      { code: "GC0107", line: 2, column: 4 },
      { code: "GC0101", line: 2, column: 21, message: ["'q'"] },
    ],
  },

  // ---------------------------------------------------------------- several independent errors
  {
    name: "several errors in different functions and statements are all reported, in source order",
    source: [
      "fn a(x: real) = x + q", // 1: unknown name q
      "fn b(v: real[3]) -> real {",
      "  w = v + [1, 2]", // 3: shape mismatch
      "  u = 2 * v",
      "  return foo(u)", // 5: unknown function
      "}",
      "fn c(x: real) = x @ x", // 7: '@' of scalars
      "fn a(y: real) = y", // 8: duplicate function
      "fn d(x: real, y: real) wrt z = x * y", // 9: unknown wrt
    ].join("\n"),
    expect: [
      { code: "GC0101", line: 1, column: 21, message: ["'q'"] },
      { code: "GC0202", line: 3, column: 7 },
      { code: "GC0104", line: 5, column: 10, message: ["'foo'"] },
      { code: "GC0203", line: 7, column: 17 },
      { code: "GC0107", line: 8, column: 4 },
      { code: "GC0106", line: 9, column: 28 },
    ],
  },
  {
    name: "several errors in one function",
    source: "fn f(x: real[3], x: real) wrt y {\n  return x\n}",
    // a block without '-> TYPE' is a syntax error: only that one is reported
    expect: [{ code: "GC0001", line: 1, column: 33, message: ["return type"] }],
  },
  {
    name: "several checker errors in one function",
    source: "fn f(x: real[3], x: real) -> real wrt y {\n  z = x[5]\n  z = 1\n  return z\n}",
    expect: [
      { code: "GC0102", line: 1, column: 18 },
      { code: "GC0106", line: 1, column: 39 },
      { code: "GC0205", line: 2, column: 9 },
      { code: "GC0102", line: 3, column: 3 },
    ],
  },
];

const good: readonly { readonly name: string; readonly source: string }[] = [
  { name: "unicode names", source: "fn f(θ: real, α_1: real) = θ * α_1 + sin(θ)" },
  {
    name: "a keyword prefix is a name: pix, returned, realm",
    source: "fn f(pix: real, realm: real) -> real {\n  returned = pix * realm\n  return returned\n}",
  },
  { name: "';' separates statements", source: "fn f(x: real) -> real { y = x * 2; z = y + 1; return z }" },
  { name: "';' separates functions", source: "fn f(x: real) = x; fn g(y: real) = y^2" },
  {
    name: "comments everywhere",
    source:
      "# header\n// second header\nfn f(x: real) -> real { # after the brace\n  y = x # trailing\n  // a line comment\n  return y // done\n}\n# footer",
  },
  { name: "one-liner with a declared type", source: "fn f(x: real[3]) -> real = sum(x)" },
  { name: "one-liner with a declared type and wrt", source: "fn f(x: real, y: real) -> real wrt x = x * y" },
  { name: "a dimension used as a number", source: "fn avg(x: real[n]) -> real = sum(x) / n" },
  {
    name: "a function calling an earlier one",
    source: "fn sq(v: real[n]) -> real = dot(v, v)\nfn f(y: real[3], z: real) -> real = sq(y) * z",
  },
  { name: "where with a comparison", source: "fn f(x: real[n]) -> real = sum(where(x > 0, x, 0))" },
  { name: "CRLF line ends", source: "fn f(x: real) -> real {\r\n  y = x^2\r\n  return y\r\n}\r\n" },
  {
    name: "brace on the next line and blank lines",
    source: "\n\nfn f(x: real) -> real\n{\n\n  return -x^2\n\n}\n\n",
  },
  { name: "power with a signed exponent", source: "fn f(x: real) = x^-1 + -x^2" },
  { name: "zeros of a dimension", source: "fn f(x: real[n]) -> real = sum(x + ones(n))" },
];

/** Every diagnostic must point inside the source, with end ≥ start. */
function expectValidSpan(d: Diagnostic, source: string): void {
  const lines = source.split(/\r\n|\n/);
  const where = `${d.code} at ${d.line}:${d.column}-${d.endLine}:${d.endColumn}`;
  expect(Number.isInteger(d.line) && d.line >= 1, where).toBe(true);
  expect(Number.isInteger(d.column) && d.column >= 1, where).toBe(true);
  expect(Number.isInteger(d.endLine) && Number.isInteger(d.endColumn), where).toBe(true);
  expect(d.line <= lines.length, where).toBe(true);
  expect(d.endLine <= lines.length, where).toBe(true);
  expect(d.column <= lines[d.line - 1]!.length + 1, where).toBe(true);
  expect(d.endColumn <= lines[d.endLine - 1]!.length + 1, where).toBe(true);
  expect(d.endLine > d.line || (d.endLine === d.line && d.endColumn >= d.column), where).toBe(true);
}

function byPosition(a: { line: number; column: number }, b: { line: number; column: number }): number {
  return a.line - b.line || a.column - b.column;
}

describe("diagnostics of bad programs", () => {
  it("has at least 30 cases", () => {
    expect(bad.length).toBeGreaterThanOrEqual(30);
  });

  for (const c of bad) {
    it(c.name, async () => {
      // compile() never rejects for bad source.
      const result = await compile(c.source, { filename: FILE }).then(
        (r) => ({ ok: true as const, r }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      if (!result.ok) throw new Error(`compile() rejected: ${String(result.error)}`);
      const { code, diagnostics } = result.r;
      expect(code).toBeUndefined();

      for (const d of diagnostics) {
        expect(d.severity).toBe("error");
        expect(d.file).toBe(FILE);
        expect(typeof d.message).toBe("string");
        expect(d.message.length).toBeGreaterThan(0);
        expectValidSpan(d, c.source);
      }

      // Exactly the expected diagnostics: code and start position, in source order.
      const got = diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`);
      const want = c.expect.map((e) => `${e.code} ${e.line}:${e.column}`);
      expect(got, diagnostics.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`).join("\n")).toEqual(
        want,
      );
      expect([...diagnostics].sort(byPosition)).toEqual(diagnostics);

      c.expect.forEach((e, i) => {
        const d = diagnostics[i]!;
        if (e.endLine !== undefined) expect(d.endLine, d.message).toBe(e.endLine);
        if (e.endColumn !== undefined) expect(d.endColumn, d.message).toBe(e.endColumn);
        for (const part of e.message ?? []) expect(d.message).toContain(part);
      });
    });
  }
});

describe("good edge programs compile without diagnostics", () => {
  for (const c of good) {
    it(c.name, async () => {
      const { code, diagnostics } = await compile(c.source, { filename: "good.grad" });
      expect(diagnostics.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`)).toEqual([]);
      expect(code).toBeDefined();
      expect(code).toMatch(/^\/\/ Code generated by gradc from good\.grad\. DO NOT EDIT\./);
    });
  }
});

describe("the API's options are checked like the CLI's", () => {
  const source = "fn f(x: real) = x";
  const optionErrors = async (options: unknown) => {
    const result = await compile(source, options as Parameters<typeof compile>[1]);
    expect(result.code).toBeUndefined();
    return result.diagnostics.map((d) => `${d.code} ${d.message}`);
  };

  it("null options mean the defaults", async () => {
    const { code, diagnostics } = await compile(source, null as unknown as undefined);
    expect(diagnostics).toEqual([]);
    expect(code).toMatch(/^\/\/ Code generated by gradc from input\.grad\./);
  });

  it("malformed options resolve with GC0301 diagnostics, never a rejection", async () => {
    expect(await optionErrors({ runtimeImport: "" })).toEqual([
      "GC0301 runtimeImport must be a non-empty module specifier",
    ]);
    expect(await optionErrors({ modes: "grad" })).toEqual([
      "GC0301 modes must be an array of grad, vjp, jvp, jacobian, hessian",
    ]);
    expect(await optionErrors({ modes: ["grad", "fast"] })).toEqual([
      "GC0301 unknown mode 'fast'; modes are grad, vjp, jvp, jacobian, hessian",
    ]);
    expect(await optionErrors({ checks: "no", filename: 7 })).toEqual([
      "GC0301 filename must be a non-empty string",
      "GC0301 checks must be true or false",
    ]);
    expect(await optionErrors(42)).toEqual(["GC0301 options must be an object"]);
  });

  it("a file name with line breaks is escaped in the header comment", async () => {
    const { code, diagnostics } = await compile(source, { filename: "a\nb\u2028c\rd.grad" });
    expect(diagnostics).toEqual([]);
    expect(code!.split("\n")[0]).toBe(
      "// Code generated by gradc from a\\u000ab\\u2028c\\u000dd.grad. DO NOT EDIT.",
    );
  });
});

describe("code frames", () => {
  it("show a very long line around the span only, with the caret under it", () => {
    const source = `fn f(x: real) = ${Array.from({ length: 200 }, () => "x").join(" + ")} + q\n`;
    const [d] = check(source, { filename: "long.grad" }).diagnostics;
    const [head, line, caret] = formatDiagnostic(d!, source).split("\n");
    expect(head).toBe("long.grad:1:817: error GC0101: unknown name 'q'");
    expect(line!.length).toBeLessThan(140);
    expect(line).toMatch(/^ 1 \| …x \+ x .* \+ q$/);
    // The caret sits under the q.
    expect(caret!.indexOf("^")).toBe(line!.length - 1);
  });
});

describe("code frames of spans over several lines", () => {
  it("frame each line of the span, the middle of a long one left out", () => {
    const source =
      "fn f(x: real[3], y: real[4]) -> real {\n  a = (x\n   +\n    1\n  +\n    y)\n  return sum(a)\n}\n";
    const [d] = check(source, { filename: "m.grad" }).diagnostics;
    expect(formatDiagnostic(d!, source).split("\n")).toEqual([
      "m.grad:2:7: error GC0202: shapes real[3] and real[4] do not match for '+'",
      " 2 |   a = (x",
      "   |       ^^",
      " 3 |    +",
      "   |    ^",
      " . |",
      " 5 |   +",
      "   |   ^",
      " 6 |     y)",
      "   |     ^^",
    ]);
  });
});
