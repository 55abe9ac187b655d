// Tests of the front end: compiler/grammar.peggy through compiler/parse.ts.

import { describe, expect, it } from "vitest";
import type { Expr, FunctionDecl, Program, Span } from "../compiler/ast.js";
import { type Diagnostic, DiagnosticSink } from "../compiler/diagnostics.js";
import { parse } from "../compiler/parse.js";

/** Parses `source`, expecting success. */
function program(source: string): Program {
  const sink = new DiagnosticSink("test.grad");
  const result = parse(source, "test.grad", sink);
  expect(sink.diagnostics).toEqual([]);
  if (result === undefined) throw new Error("parse failed");
  return result;
}

/** Parses `source`, expecting exactly one syntax error. */
function syntaxError(source: string): Diagnostic {
  const sink = new DiagnosticSink("test.grad");
  const result = parse(source, "test.grad", sink);
  expect(result).toBeUndefined();
  expect(sink.diagnostics).toHaveLength(1);
  const d = sink.diagnostics[0]!;
  expect(d.code).toBe("GC0001");
  expect(d.severity).toBe("error");
  expect(d.file).toBe("test.grad");
  return d;
}

function onlyFunction(source: string): FunctionDecl {
  const { functions } = program(source);
  expect(functions).toHaveLength(1);
  return functions[0]!;
}

/** The expression of a one-line function `fn f(x: real) = SOURCE`. */
function expr(source: string): Expr {
  const f = onlyFunction(`fn f(x: real) = ${source}`);
  const [ret] = f.body;
  if (ret?.kind !== "return") throw new Error("expected a return");
  return ret.value;
}

/** Prints an expression fully parenthesized, to check grouping. */
function show(e: Expr): string {
  switch (e.kind) {
    case "number":
      return e.text;
    case "pi":
      return "pi";
    case "name":
      return e.name;
    case "unary":
      return `(${e.operator}${show(e.operand)})`;
    case "binary":
    case "comparison":
      return `(${show(e.left)}${e.operator}${show(e.right)})`;
    case "call": {
      const args = [
        ...e.args.map(show),
        ...e.keywordArgs.map((k) => `${k.name.name}=${show(k.value)}`),
      ];
      return `${e.callee.name}(${args.join(", ")})`;
    }
    case "index":
      return `${show(e.target)}[${e.indices.map(show).join(", ")}]`;
    case "transpose":
      return `${show(e.operand)}'`;
    case "array":
      return `[${e.elements.map(show).join(", ")}]`;
  }
}

/** `line:column-line:column` of a span. */
function at(span: Span): string {
  return `${span.start.line}:${span.start.column}-${span.end.line}:${span.end.column}`;
}

describe("precedence and associativity", () => {
  it.each([
    // `^` binds tighter than unary minus, and its exponent may carry a sign.
    ["-x^2", "(-(x^2))"],
    ["x^-1", "(x^(-1))"],
    ["x^+1", "(x^(+1))"],
    ["x^y^2", "(x^(y^2))"],
    ["x^-y^2", "(x^(-(y^2)))"],
    ["2^-x^2", "(2^(-(x^2)))"],
    ["-2^2", "(-(2^2))"],
    ["(-2)^2", "((-2)^2)"],
    // Unary signs stack and bind tighter than `*`.
    ["- -x", "(-(-x))"],
    ["+x", "(+x)"],
    ["-a * b", "((-a)*b)"],
    ["a * -b", "(a*(-b))"],
    // Left-associative levels.
    ["a - b - c", "((a-b)-c)"],
    ["a - b + c", "((a-b)+c)"],
    ["a*b@c/d", "(((a*b)@c)/d)"],
    ["a / b * c", "((a/b)*c)"],
    ["a + b * c", "(a+(b*c))"],
    ["a @ b + c @ d", "((a@b)+(c@d))"],
    ["(a + b) * c", "((a+b)*c)"],
    // Postfix operators bind tightest, in any chain.
    ["A'^2", "(A'^2)"],
    ["-A'", "(-A')"],
    ["A''", "A''"],
    ["(A @ B)'", "(A@B)'"],
    ["x'[0]", "x'[0]"],
    ["A[0, 1]'", "A[0, 1]'"],
    ["x[0]^2", "(x[0]^2)"],
    ["x[0][1]", "x[0][1]"],
    ["x [0]", "x[0]"],
    ["2^x[1]", "(2^x[1])"],
    ["f(x)'", "f(x)'"],
    ["A' @ B'", "(A'@B')"],
    // Comparisons are lowest.
    ["a + b < c * d", "((a+b)<(c*d))"],
    ["-a <= b^2", "((-a)<=(b^2))"],
    ["a >= b", "(a>=b)"],
    ["a > b", "(a>b)"],
    ["a == b", "(a==b)"],
    ["a != b", "(a!=b)"],
    ["(a < b) < c", "((a<b)<c)"],
    ["where(x > 0, x, -x)", "where((x>0), x, (-x))"],
  ])("%s  →  %s", (source, expected) => {
    expect(show(expr(source))).toBe(expected);
  });

  it("accepts spaces anywhere between tokens, and none", () => {
    expect(show(expr("a*-b^c+d"))).toBe(show(expr("  a  *  - b ^ c   +  d  ")));
  });
});

describe("literals", () => {
  it.each([
    ["3", 3],
    ["2.5", 2.5],
    [".5", 0.5],
    ["1.", 1],
    ["1e-3", 0.001],
    ["2.5E+10", 2.5e10],
    ["007", 7],
  ])("number %s", (text, value) => {
    expect(expr(text)).toMatchObject({ kind: "number", value, text });
  });

  it("pi is a PiLiteral, pix is a name", () => {
    expect(expr("pi")).toMatchObject({ kind: "pi" });
    expect(expr("pix")).toMatchObject({ kind: "name", name: "pix" });
    expect(expr("pi_2")).toMatchObject({ kind: "name", name: "pi_2" });
    expect(show(expr("2*pi*x"))).toBe("((2*pi)*x)");
  });

  it("vectors and matrices", () => {
    expect(show(expr("[x, 2*x, 3]"))).toBe("[x, (2*x), 3]");
    const m = expr("[[1, 2], [3, 4]]");
    expect(m.kind).toBe("array");
    if (m.kind !== "array") return;
    expect(m.elements.map((row) => row.kind)).toEqual(["array", "array"]);
    expect(show(m)).toBe("[[1, 2], [3, 4]]");
    expect(show(expr("[x^2, x^3] @ [[1, 2], [3, 4]] @ [x^2, x^3]"))).toBe(
      "(([(x^2), (x^3)]@[[1, 2], [3, 4]])@[(x^2), (x^3)])",
    );
  });

  it("the empty literal is an array with no elements (the checker rejects it)", () => {
    expect(expr("[]")).toMatchObject({ kind: "array", elements: [] });
    expect(expr("[ ]")).toMatchObject({ kind: "array", elements: [] });
    expect(expr("[\n]")).toMatchObject({ kind: "array", elements: [] });
    expect(show(expr("[[], []]"))).toBe("[[], []]");
    const e = expr("x + []");
    expect(e.kind === "binary" && e.right).toMatchObject({ kind: "array", elements: [] });
    if (e.kind === "binary") expect(at(e.right.span)).toBe("1:21-1:23");
    expect(syntaxError("fn f(x: real) = [1, 2,]").message).toBe('expected expression but found "]"');
    expect(syntaxError("fn f(x: real) = [,]").message).toBe('expected "]" or expression but found ","');
  });
});

describe("calls", () => {
  it("positional then keyword arguments", () => {
    const e = expr("logsumexp(Z, axis=1)");
    expect(e.kind).toBe("call");
    if (e.kind !== "call") return;
    expect(e.callee.name).toBe("logsumexp");
    expect(e.args.map(show)).toEqual(["Z"]);
    expect(e.keywordArgs).toHaveLength(1);
    expect(e.keywordArgs[0]).toMatchObject({
      kind: "keywordArgument",
      name: { kind: "identifier", name: "axis" },
      value: { kind: "number", value: 1 },
    });
    expect(show(expr("softmax(A, axis = 0)"))).toBe("softmax(A, axis=0)");
    expect(show(expr("f(axis=1)"))).toBe("f(axis=1)");
  });

  it("no arguments, nested calls, spaces before the parenthesis", () => {
    expect(show(expr("f()"))).toBe("f()");
    expect(expr("f()")).toMatchObject({ kind: "call", args: [], keywordArgs: [] });
    expect(expr("f( \n )")).toMatchObject({ kind: "call", args: [], keywordArgs: [] });
    expect(show(expr("max(0, min(x, 1))"))).toBe("max(0, min(x, 1))");
    expect(show(expr("sum (x)"))).toBe("sum(x)");
  });

  it("`a == b` is a positional comparison, not a keyword argument", () => {
    const e = expr("f(a == b)");
    expect(e).toMatchObject({ kind: "call", keywordArgs: [] });
    expect(show(e)).toBe("f((a==b))");
  });
});

describe("functions", () => {
  it("block form with return type and wrt", () => {
    const f = onlyFunction(
      "fn loss(w: real[d], b: real, X: real[N, d], y: real[N]) -> real wrt w, b {\n" +
        "  z = X @ w + b\n" +
        "  return mean((y - z)^2)\n" +
        "}\n",
    );
    expect(f.kind).toBe("function");
    expect(f.form).toBe("block");
    expect(f.name.name).toBe("loss");
    expect(f.params.map((p) => p.name.name)).toEqual(["w", "b", "X", "y"]);
    expect(
      f.params.map((p) =>
        p.type.dims.map((d) => (d.kind === "dimName" ? d.name : d.value)),
      ),
    ).toEqual([["d"], [], ["N", "d"], ["N"]]);
    expect(f.returnType?.dims).toEqual([]);
    expect(f.wrt?.map((w) => w.name)).toEqual(["w", "b"]);
    expect(f.body.map((s) => s.kind)).toEqual(["assign", "return"]);
    const [assign, ret] = f.body;
    if (assign?.kind !== "assign" || ret?.kind !== "return")
      throw new Error("bad body");
    expect(assign.name.name).toBe("z");
    expect(show(assign.value)).toBe("((X@w)+b)");
    expect(show(ret.value)).toBe("mean(((y-z)^2))");
  });

  it("one-line form: optional return type and wrt, body is a synthesized return", () => {
    const f = onlyFunction("fn f(x: real, y: real) = 3 * x^2 * y   # comment");
    expect(f.form).toBe("expression");
    expect(f.returnType).toBeUndefined();
    expect(f.wrt).toBeUndefined();
    expect(f.body).toHaveLength(1);
    const [ret] = f.body;
    if (ret?.kind !== "return") throw new Error("expected a return");
    expect(show(ret.value)).toBe("((3*(x^2))*y)");
    expect(ret.span).toEqual(ret.value.span);

    const g = onlyFunction(
      "fn g(A: real[3, 3]) -> real[3] wrt A = A @ [1, 2, 3]",
    );
    expect(g.returnType?.dims).toMatchObject([
      { kind: "dimLiteral", value: 3 },
    ]);
    expect(g.wrt?.map((w) => w.name)).toEqual(["A"]);
    expect(g.params[0]?.type.dims).toMatchObject([
      { kind: "dimLiteral", value: 3 },
      { kind: "dimLiteral", value: 3 },
    ]);
  });

  it("block statements in any order (the checker validates it), on one line or many", () => {
    const f = onlyFunction("fn f(x: real) -> real { return x; y = 2 }");
    expect(f.body.map((s) => s.kind)).toEqual(["return", "assign"]);
    expect(onlyFunction("fn f(x: real) -> real {}").body).toEqual([]);
  });

  it("zero parameters, parameters over several lines, brace on its own line", () => {
    expect(onlyFunction("fn c() = 1").params).toEqual([]);
    const f = onlyFunction(
      "fn f(\n  a: real,   # first\n  b: real[\n    n\n  ]\n) -> real\n{\n  return a\n}",
    );
    expect(f.params.map((p) => p.name.name)).toEqual(["a", "b"]);
  });

  it("several functions, separated by newlines or `;`", () => {
    const p = program(
      "fn f(x: real) = x; fn g(x: real) = f(x)\n\n\nfn h(x: real) -> real {\n  return g(x)\n}",
    );
    expect(p.functions.map((f) => f.name.name)).toEqual(["f", "g", "h"]);
  });

  it("an empty file or one with only comments is a program with no functions", () => {
    expect(program("").functions).toEqual([]);
    expect(program("\n\n  \n").functions).toEqual([]);
    expect(
      program("# nothing here\n// nor here\n   # indented").functions,
    ).toEqual([]);
  });
});

describe("layout", () => {
  it("comments with # and //, and blank lines anywhere", () => {
    const f = onlyFunction(
      [
        "# header",
        "// another header",
        "",
        "fn f(x: real) -> real {  # trailing",
        "",
        "  // a comment line",
        "  y = x * 2 // trailing",
        "  # another",
        "",
        "  return y",
        "",
        "}  # after",
        "# footer",
      ].join("\n"),
    );
    expect(f.body.map((s) => s.kind)).toEqual(["assign", "return"]);
  });

  it("`//` is always a comment, `/` alone is division", () => {
    expect(show(expr("a / b // c"))).toBe("(a/b)");
    expect(show(expr("a//b"))).toBe("a");
  });

  it("`;` separates statements, stray ones are fine", () => {
    const f = onlyFunction(
      "fn f(x: real) -> real {; a = 1; b = 2;; return a + b; }",
    );
    expect(f.body.map((s) => s.kind)).toEqual(["assign", "assign", "return"]);
  });

  it("CRLF line ends and a byte order mark", () => {
    const f = onlyFunction(
      "\uFEFFfn f(x: real) -> real {\r\n  y = x\r\n  return y\r\n}\r\n",
    );
    expect(f.body).toHaveLength(2);
    expect(at(f.body[1]!.span)).toBe("3:3-3:11");
  });

  it("newlines inside (...) and [...] continue the expression", () => {
    const f = onlyFunction(
      [
        "fn f(x: real, A: real[2, 2]) -> real {",
        "  s = softmax(A @ [x, x],",
        "              axis=1)     # comment inside a call",
        "  t = [",
        "    [1, 2],  // a row",
        "    [3, 4]",
        "  ]",
        "  u = (x",
        "       + 1)",
        "  v = A[",
        "    0, 1]",
        "  return (sum(s) + sum(t) +",
        "    u + v)",
        "}",
      ].join("\n"),
    );
    expect(f.body.map((s) => show(s.value))).toEqual([
      "softmax((A@[x, x]), axis=1)",
      "[[1, 2], [3, 4]]",
      "(x+1)",
      "A[0, 1]",
      "(((sum(s)+sum(t))+u)+v)",
    ]);
  });

  it("a newline outside brackets ends the statement", () => {
    const d = syntaxError(
      "fn f(x: real) -> real {\n  y = x\n    + 1\n  return y\n}",
    );
    expect(`${d.line}:${d.column}`).toBe("3:5");
    expect(d.message).toBe('expected "}" or statement but found "+"');
  });
});

describe("names", () => {
  it("unicode identifiers", () => {
    const f = onlyFunction(
      "fn f(α: real, θ_1: real[n], _x2: real) = α * θ_1 + _x2 + Ωmega",
    );
    expect(f.params.map((p) => p.name.name)).toEqual(["α", "θ_1", "_x2"]);
    const [ret] = f.body;
    expect(ret && show(ret.value)).toBe("(((α*θ_1)+_x2)+Ωmega)");
  });

  it("keywords are not names, but names may start with one", () => {
    expect(show(expr("fnord + returned + wrtx + reality"))).toBe(
      "(((fnord+returned)+wrtx)+reality)",
    );
    const f = onlyFunction(
      "fn f(x: real) -> real {\n  returned = x\n  return returned\n}",
    );
    expect(f.body[0]).toMatchObject({
      kind: "assign",
      name: { name: "returned" },
    });
  });

  it("keywords are names where a name is bound (the checker rejects them)", () => {
    const f = onlyFunction("fn real(x: real) = x");
    expect(f.name).toMatchObject({ kind: "identifier", name: "real" });
    expect(at(f.name.span)).toBe("1:4-1:8");
    expect(onlyFunction("fn fn(x: real) = x").name.name).toBe("fn");

    const g = onlyFunction("fn f(pi: real, wrt: real, fn: real, return: real) = 2 * pi");
    expect(g.params.map((p) => p.name)).toMatchObject([
      { kind: "identifier", name: "pi" },
      { kind: "identifier", name: "wrt" },
      { kind: "identifier", name: "fn" },
      { kind: "identifier", name: "return" },
    ]);
    expect(at(g.params[0]!.name.span)).toBe("1:6-1:8");
    // In an expression `pi` is still the constant.
    const [ret] = g.body;
    expect(ret?.value).toMatchObject({ kind: "binary", right: { kind: "pi" } });
    expect(onlyFunction("fn f(real: real) = 1").params[0]?.name.name).toBe("real");

    const h = onlyFunction("fn f(x: real) wrt pi, real = 1");
    expect(h.wrt?.map((w) => w.name)).toEqual(["pi", "real"]);
    expect(h.wrt?.map((w) => w.kind)).toEqual(["identifier", "identifier"]);

    const b = onlyFunction(
      "fn f(x: real) -> real {\n  pi = 3\n  wrt = 1\n  real = 2\n  fn=4\n  return pi\n}",
    );
    expect(b.body.map((s) => (s.kind === "assign" ? s.name.name : s.kind))).toEqual([
      "pi",
      "wrt",
      "real",
      "fn",
      "return",
    ]);
    expect(b.body[0]).toMatchObject({ kind: "assign", name: { kind: "identifier", name: "pi" } });
    expect(at(b.body[0]!.span)).toBe("2:3-2:9");
    expect(b.body[4]).toMatchObject({ kind: "return", value: { kind: "pi" } });
  });

  it("`return` always starts a return statement; a keyword starts a statement only as an assignment", () => {
    const r = syntaxError("fn f(x: real) -> real {\n  return = 1\n}");
    expect([r.line, r.column, r.message]).toEqual([2, 10, 'expected expression but found "="']);
    const p = syntaxError("fn f(x: real) -> real {\n  pi == 3\n}");
    expect([p.line, p.column, p.message]).toEqual([2, 3, 'expected "}" or statement but found "pi"']);
    const q = syntaxError("fn f(x: real) -> real {\n  pi + 3\n}");
    expect([q.line, q.column, q.message]).toEqual([2, 3, 'expected "}" or statement but found "pi"']);
    expect(syntaxError("fn f(x: real) = 2 * fn").message).toBe('expected expression but found "fn"');
  });

  it("built-in function names parse as names (the checker rejects rebinding them)", () => {
    const f = onlyFunction(
      "fn f(x: real) -> real {\n  exp = x\n  return exp\n}",
    );
    expect(f.body[0]).toMatchObject({ kind: "assign", name: { name: "exp" } });
  });
});

describe("spans", () => {
  const source = [
    "# comment", // line 1
    "fn loss(w: real[d], b: real) -> real wrt w {", // line 2
    "  z = -w' @ (w + b)^2", // line 3
    "  return sum(z, axis=0)", // line 4
    "}", // line 5
    "fn g(x: real) = [x,", // line 6
    "  pi]", // line 7
  ].join("\n");
  const p = program(source);
  const [loss, g] = p.functions;
  if (loss === undefined || g === undefined)
    throw new Error("expected two functions");

  it("program and functions", () => {
    expect(p.span).toEqual({
      start: { offset: 0, line: 1, column: 1 },
      end: { offset: source.length, line: 7, column: 6 },
    });
    expect(at(loss.span)).toBe("2:1-5:2");
    expect(at(loss.name.span)).toBe("2:4-2:8");
    expect(at(g.span)).toBe("6:1-7:6");
  });

  it("spans have exactly start and end, with offset, line and column", () => {
    expect(loss.name.span).toStrictEqual({
      start: { offset: 13, line: 2, column: 4 },
      end: { offset: 17, line: 2, column: 8 },
    });
    expect(
      source.slice(loss.name.span.start.offset, loss.name.span.end.offset),
    ).toBe("loss");
  });

  it("params and types", () => {
    const [w, b] = loss.params;
    expect(at(w!.span)).toBe("2:9-2:19");
    expect(at(w!.type.span)).toBe("2:12-2:19");
    expect(at(w!.type.dims[0]!.span)).toBe("2:17-2:18");
    expect(at(b!.type.span)).toBe("2:24-2:28");
    expect(at(loss.returnType!.span)).toBe("2:33-2:37");
    expect(at(loss.wrt![0]!.span)).toBe("2:42-2:43");
  });

  it("statements and expressions, parentheses included", () => {
    const [assign, ret] = loss.body;
    if (assign?.kind !== "assign" || ret?.kind !== "return")
      throw new Error("bad body");
    expect(at(assign.span)).toBe("3:3-3:22");
    expect(at(assign.name.span)).toBe("3:3-3:4");
    const value = assign.value; // -w' @ (w + b)^2  →  (-(w')) @ ((w + b)^2)
    expect(value.kind).toBe("binary");
    if (value.kind !== "binary") return;
    expect(at(value.span)).toBe("3:7-3:22");
    expect(at(value.left.span)).toBe("3:7-3:10"); // -w'
    expect(value.left.kind === "unary" && at(value.left.operand.span)).toBe(
      "3:8-3:10",
    ); // w'
    expect(at(value.right.span)).toBe("3:13-3:22"); // (w + b)^2
    expect(value.right.kind === "binary" && at(value.right.left.span)).toBe(
      "3:13-3:20",
    ); // (w + b)

    expect(at(ret.span)).toBe("4:3-4:24");
    expect(at(ret.value.span)).toBe("4:10-4:24");
    if (ret.value.kind !== "call") throw new Error("expected a call");
    expect(at(ret.value.callee.span)).toBe("4:10-4:13");
    expect(at(ret.value.keywordArgs[0]!.span)).toBe("4:17-4:23");
  });

  it("a multi-line array literal", () => {
    const [ret] = g.body;
    expect(at(ret!.span)).toBe("6:17-7:6");
    expect(
      ret!.value.kind === "array" && at(ret!.value.elements[1]!.span),
    ).toBe("7:3-7:5");
  });

  it("index and transpose end at their last character", () => {
    expect(at(expr("A[0, 1]").span)).toBe("1:17-1:24");
    expect(at(expr("A'").span)).toBe("1:17-1:19");
    expect(at(expr("  1.5e3  ").span)).toBe("1:19-1:24");
  });
});

describe("syntax errors", () => {
  it.each([
    ["missing )", "fn f(x: real) = (x + 1\n", "1:17", '"(" was never closed'],
    [
      "missing ) in a call",
      "fn f(x: real) = 2 * g(x,\n  [1, 2]",
      "1:22",
      '"(" was never closed',
    ],
    [
      "missing ]",
      "fn f(x: real) -> real {\n  y = [1, [2, 3]  # (\n  return y\n}\n",
      "2:7",
      '"[" is not closed: expected ",", "]", or operator but found "return" on line 3',
    ],
    [
      "missing ) before the next statement: same place as at the end of the file",
      "fn f(x: real) -> real {\n  y = (x + 1\n  return y\n}",
      "2:7",
      '"(" is not closed: expected ")" or operator but found "return" on line 3',
    ],
    [
      "missing ) before an assignment after a `;`",
      "fn f(x: real) -> real {\n  y = (x + 1\n  z = 2; return y\n}",
      "2:7",
      '"(" is not closed: expected ")" or operator but found "z" on line 3',
    ],
    [
      "missing ] before the next function",
      "fn f(x: real) = [x, 1\nfn g(y: real) = y",
      "1:17",
      '"[" is not closed: expected ",", "]", or operator but found "fn" on line 2',
    ],
    [
      "a later line that does not start a statement is blamed itself",
      "fn f(x: real) = g(x,\n  y $ 1)",
      "2:5",
      'expected ")", ",", or operator but found "$" (the "(" on line 1 is not closed)',
    ],
    [
      "missing ) on the same line as the next token",
      "fn f(x: real) -> real {\n  y = (x + 1; return y\n}",
      "2:13",
      'expected ")" or operator but found ";"',
    ],
    [
      "missing ) in the parameters",
      "fn f(x: real",
      "1:5",
      '"(" was never closed',
    ],
    [
      "missing ) on a line",
      "fn f(x: real) -> real {\n  return g((x)\n}",
      "2:11",
      '"(" is not closed: expected ")", ",", or operator but found "}" on line 3',
    ],
    [
      "fn without a name",
      "fn (x: real) = x",
      "1:4",
      'expected name but found "("',
    ],
    [
      "= =",
      "fn f(x: real) -> real {\n  x = = 1\n}",
      "2:7",
      'expected expression but found "="',
    ],
    [
      "bad token",
      "fn f(x: real) = x $ 2",
      "1:19",
      'expected operator or end of line but found "$"',
    ],
    [
      "unterminated block",
      "fn f(x: real) -> real {\n  return x\n",
      "1:23",
      '"{" was never closed',
    ],
    [
      "unterminated block at the end of a statement",
      "fn f(x: real) -> real { return x",
      "1:23",
      '"{" was never closed',
    ],
    [
      "unterminated block before the next function",
      "fn f(x: real) -> real {\n  return x\nfn g(y: real) = y",
      "1:23",
      '"{" is not closed: expected "}" or statement but found "fn" on line 3',
    ],
    [
      "number next to a name",
      "fn f(x: real) = 3x",
      "1:18",
      'expected operator or end of line but found "x"',
    ],
    [
      "dangling operator",
      "fn f(x: real) = x +\n  1",
      "1:20",
      "expected expression but found end of line",
    ],
    [
      "statement outside a function",
      "x = 1",
      "1:1",
      'expected "fn" or end of file but found "x"',
    ],
    [
      "expression statement",
      "fn f(x: real) -> real {\n  x + 1\n}",
      "2:5",
      'expected "=" but found "+"',
    ],
    [
      "comparison as a statement",
      "fn f(x: real) -> real {\n  x == 1\n}",
      "2:5",
      'expected "=" but found "=="',
    ],
    [
      "keyword as an operand",
      "fn f(x: real) = fn",
      "1:17",
      'expected expression but found "fn"',
    ],
    [
      "unknown type",
      "fn f(x: int) = x",
      "1:9",
      'expected type but found "int"',
    ],
    [
      "empty dimensions",
      "fn f(x: real[]) = x",
      "1:14",
      'expected dimension but found "]"',
    ],
    [
      "zero dimension",
      "fn f(x: real[0]) = x",
      "1:14",
      'expected dimension but found "0"',
    ],
    [
      "empty index",
      "fn f(x: real) = x[]",
      "1:19",
      'expected expression but found "]"',
    ],
    [
      "trailing comma",
      "fn f(x: real) = [1, 2,]",
      "1:23",
      'expected expression but found "]"',
    ],
    [
      "missing body",
      "fn f(x: real) x",
      "1:15",
      'expected "->", "=", "wrt", or "{" but found "x"',
    ],
    [
      "dangling wrt comma",
      "fn f(x: real) wrt x, = x",
      "1:22",
      'expected name but found "="',
    ],
    [
      "two functions on one line",
      "fn f(x: real) -> real { return x } fn g(y: real) = y",
      "1:36",
      'expected end of line but found "fn"',
    ],
    [
      "call of a non-name",
      "fn f(x: real) = (f)(x)",
      "1:20",
      'expected operator or end of line but found "("',
    ],
    [
      "transpose after a space",
      "fn f(x: real) = x '",
      "1:19",
      'expected operator or end of line but found "\'"',
    ],
    [
      "superscript digit",
      "fn f(x: real) = x²",
      "1:18",
      'expected operator or end of line but found "²"',
    ],
    [
      "unclosed comment-like slash",
      "fn f(x: real) = x / ",
      "1:21",
      "expected expression but found end of file",
    ],
  ])("%s", (_name, source, position, message) => {
    const d = syntaxError(source);
    expect(`${d.line}:${d.column}`).toBe(position);
    expect(d.message).toBe(message);
  });

  it("spans the offending token", () => {
    const d = syntaxError("fn f(x: real) -> real {\n  x == 1\n}");
    expect([d.line, d.column, d.endLine, d.endColumn]).toEqual([2, 5, 2, 7]);
    const eol = syntaxError("fn f(x: real) = x +\n");
    expect([eol.line, eol.column, eol.endLine, eol.endColumn]).toEqual([
      1, 20, 1, 20,
    ]);
  });

  it.each([
    [
      "chained comparison",
      "fn f(x: real) = a < b < c",
      "1:23",
      "comparisons cannot be chained; use parentheses",
    ],
    [
      "python power",
      "fn f(x: real) = x ** 2",
      "1:19",
      '"**" is not an operator; use "^" for powers',
    ],
    [
      "block without a return type",
      "fn f(x: real) {\n  return x\n}",
      "1:15",
      'a function with a block body needs a return type, as in "-> real"',
    ],
    [
      "three dimensions",
      "fn f(x: real[1, 2, 3]) = x",
      "1:13",
      "a type has at most two dimensions: real, real[n] or real[m, n]",
    ],
    [
      "positional after keyword",
      "fn f(x: real) = g(axis=1, x)",
      "1:27",
      "positional argument after keyword argument",
    ],
  ])("specific message: %s", (_name, source, position, message) => {
    const d = syntaxError(source);
    expect(`${d.line}:${d.column}`).toBe(position);
    expect(d.message).toBe(message);
  });

  it("never throws: every prefix of a valid file parses or gives one diagnostic", () => {
    const source =
      "# model\nfn loss(w: real[d], X: real[N, d]) -> real wrt w {\n  z = X @ w' + [1, 2][0]\n" +
      "  return logsumexp(z, axis=0) / N; }\nfn g(x: real) = -x^-2 < 1.5e-3\n";
    for (let i = 0; i <= source.length; i++) {
      const sink = new DiagnosticSink("test.grad");
      const result = parse(source.slice(0, i), "test.grad", sink);
      expect(result === undefined ? sink.diagnostics.length : 0).toBe(
        result === undefined ? 1 : 0,
      );
      if (result === undefined)
        expect(sink.diagnostics[0]?.code).toBe("GC0001");
    }
  });

  it("absurdly deep nesting is a diagnostic, not a crash", () => {
    const d = syntaxError(
      `fn f(x: real) = ${"(".repeat(5000)}x${")".repeat(5000)}`,
    );
    expect(d.message).toBe("expression nested too deeply to parse");
  });
});

describe("function headers over several lines", () => {
  it.each([
    "fn f(x: real) -> real\n    wrt x = x^2",
    "fn f(x: real)\n  -> real = x^2",
    "fn f(x: real)\n  = x^2",
    "fn f(x: real, y: real)\n  -> real\n  wrt x\n{\n  return x * y\n}",
  ])("%j parses", (source) => {
    const sink = new DiagnosticSink("test.grad");
    const program = parse(source, "test.grad", sink);
    expect(sink.diagnostics).toEqual([]);
    expect(program?.functions).toHaveLength(1);
  });
});
