// Each primitive's notation (compiler/notation.ts, the `notation` of its table entry): the
// paper's forms for its worked operations, printed exactly, and — so that a notation cannot be
// wrong and pass — every element-wise primitive's formula and local derivatives evaluated at
// sample points against the primitive's own arithmetic and central differences of it.

import { describe, expect, it } from "vitest";
import type { AttrsOf } from "../compiler/ir.js";
import { formulaText, num, symbol, type Formula } from "../compiler/notation.js";
import { primitives, type Op } from "../compiler/primitives.js";
import { sech2, sigmoid, softplus } from "../runtime/kernels.js";

const [w, x, X, A, B] = ["w", "x", "X", "A", "B"].map(symbol) as [
  Formula,
  Formula,
  Formula,
  Formula,
  Formula,
];

function value<K extends Op>(op: K, args: Formula[], attrs = {} as AttrsOf<K>): string {
  return formulaText(primitives[op].notation.value(args, attrs));
}

function derivatives<K extends Op>(op: K, args: Formula[], attrs = {} as AttrsOf<K>): (string | undefined)[] {
  const { notation } = primitives[op];
  const result = notation.value(args, attrs);
  return notation.derivatives!(args, result, attrs).map((d) => d && formulaText(d));
}

describe("the paper's notation", () => {
  it("element-wise binary operators have diagonal Jacobians (the paper's table)", () => {
    expect(derivatives("add", [w, x])).toEqual(["I", "I"]);
    expect(derivatives("sub", [w, x])).toEqual(["I", "−I"]);
    expect(derivatives("mul", [w, x])).toEqual(["diag(x)", "diag(w)"]);
    expect(derivatives("div", [w, x])).toEqual(["diag(1 ⊘ x)", "diag(−w ⊘ x²)"]);
    expect([value("mul", [w, x]), value("div", [w, x]), value("sub", [w, x])]).toEqual([
      "w ⊙ x",
      "w ⊘ x",
      "w − x",
    ]);
  });

  it("unary functions as diag(f′(x))", () => {
    expect(derivatives("tanh", [x])).toEqual(["diag(1 − tanh²(x))"]);
    expect(derivatives("relu", [x])).toEqual(["diag(1[x > 0])"]);
    expect(derivatives("sigmoid", [x])).toEqual(["diag(σ(x) ⊙ (1 − σ(x)))"]);
    expect(derivatives("log", [x])).toEqual(["diag(1 ⊘ x)"]);
    expect(derivatives("neg", [x])).toEqual(["−I"]);
    expect([value("sigmoid", [x]), value("log", [x]), value("pow", [x, num(2)])]).toEqual([
      "σ(x)",
      "ln(x)",
      "x²",
    ]);
  });

  it("reductions, dot products, scalar expansion", () => {
    expect(derivatives("sum", [x])).toEqual(["1⃗ᵀ"]);
    expect(derivatives("dot", [w, x])).toEqual(["xᵀ", "wᵀ"]);
    expect(value("dot", [w, x])).toBe("w · x");
    expect(derivatives("broadcast", [x], { shape: ["n"] })).toEqual(["1⃗"]);
    expect(derivatives("norm2", [x])).toEqual(["xᵀ ⊘ ‖x‖"]);
    expect(derivatives("logsumexp", [x])).toEqual(["softmax(x)ᵀ"]);
    expect(derivatives("softmax", [x])).toEqual(["diag(softmax(x)) − softmax(x) softmax(x)ᵀ"]);
  });

  it("products and functions of matrices, with their transposes", () => {
    expect(value("matvec", [A, x])).toBe("A x");
    expect(derivatives("matvec", [A, x])).toEqual([undefined, "A"]);
    expect(derivatives("vecmat", [x, A])).toEqual(["Aᵀ", undefined]);
    expect(value("matmul", [A, B], { transA: true })).toBe("Aᵀ B");
    expect(value("matmul", [A, B], { transB: true })).toBe("A Bᵀ");
    expect(value("transpose", [X])).toBe("Xᵀ");
    expect(value("inv", [X])).toBe("X⁻¹");
    expect(derivatives("logdet", [X])).toEqual(["X⁻ᵀ"]);
    expect(derivatives("det", [X])).toEqual(["det(X) X⁻ᵀ"]);
    expect(derivatives("index", [x], { index: 2 })).toEqual(["e₂ᵀ"]);
  });
});

/** The value of a formula of scalars; diag(v), I and 1⃗ are v, 1 and 1 for scalars. */
function evaluate(f: Formula, env: Record<string, number>): number {
  const ev = (g: Formula) => evaluate(g, env);
  switch (f.kind) {
    case "number":
      return f.value;
    case "symbol":
      if (f.name === "I" || f.name === "1⃗") return 1;
      if (!(f.name in env)) throw new Error(`unbound ${f.name}`);
      return env[f.name]!;
    case "call": {
      const args = f.args.map(ev);
      const fns: Record<string, (...a: number[]) => number> = {
        diag: (v) => v,
        exp: Math.exp,
        ln: Math.log,
        sqrt: Math.sqrt,
        sin: Math.sin,
        cos: Math.cos,
        tan: Math.tan,
        asin: Math.asin,
        acos: Math.acos,
        atan: Math.atan,
        sinh: Math.sinh,
        cosh: Math.cosh,
        tanh: Math.tanh,
        σ: sigmoid,
        "sech²": sech2,
        softplus,
        relu: (v) => Math.max(v, 0),
        abs: Math.abs,
        sign: Math.sign,
        log1p: Math.log1p,
        expm1: Math.expm1,
        atan2: Math.atan2,
        hypot: Math.hypot,
        max: Math.max,
        min: Math.min,
        where: (c, a, b) => (c !== 0 ? a : b),
      };
      const fn = fns[f.fn];
      if (fn === undefined) throw new Error(`no scalar meaning for ${f.fn}`);
      return fn(...args);
    }
    case "binary": {
      const [a, b] = [ev(f.left), ev(f.right)];
      const ops: Record<string, number> = {
        "+": a + b,
        "−": a - b,
        "⊙": a * b,
        "⊘": a / b,
        " ": a * b,
        "·": a * b,
        ">": Number(a > b),
        "≥": Number(a >= b),
        "<": Number(a < b),
        "≤": Number(a <= b),
        "=": Number(a === b),
        "≠": Number(a !== b),
      };
      return ops[f.op]!;
    }
    case "negate":
      return -ev(f.of);
    case "power":
      return ev(f.base) ** ev(f.exponent);
    case "indicator":
      return ev(f.test);
    case "sqrt":
      return Math.sqrt(ev(f.of));
    default:
      throw new Error(`no scalar meaning for ${formulaText(f)}`);
  }
}

describe("every element-wise primitive's notation is its arithmetic", () => {
  const names = ["a", "b", "c"];
  const points = [
    [0.3, 0.7, 0.45],
    [0.8, 0.25, 0.6],
    [-0.55, 0.35, -0.2],
  ];
  const elementwise = (Object.keys(primitives) as Op[]).filter((op) => primitives[op].elementwise);

  it(`for ${elementwise.length} primitives: the value, and each partial derivative against central differences`, () => {
    let checked = 0;
    for (const op of elementwise) {
      const def = primitives[op];
      const arity = def.arity as number;
      for (const point of points) {
        const at = op === "where" ? [point[0]! > 0 ? 1 : 0, ...point.slice(1, arity)] : point.slice(0, arity);
        const env = Object.fromEntries(at.map((v, k) => [names[k]!, v]));
        const args = at.map((_, k) => symbol(names[k]!));
        const expected = def.evaluate!(...at);
        if (!Number.isFinite(expected)) continue;
        const formula = def.notation.value(args, {} as never);
        expect(evaluate(formula, env), `${op}(${at.join(", ")})`).toBeCloseTo(expected, 12);
        const partials = def.notation.derivatives?.(args, formula, {} as never) ?? [];
        partials.forEach((partial, k) => {
          if (partial === undefined) return;
          const h = 1e-6;
          const shifted = (d: number) => def.evaluate!(...at.map((v, j) => (j === k ? v + d : v)));
          const difference = (shifted(h) - shifted(-h)) / (2 * h);
          expect(evaluate(partial, env), `∂${op}/∂${names[k]} at (${at.join(", ")})`).toBeCloseTo(
            difference,
            5,
          );
          checked++;
        });
      }
    }
    expect(checked).toBeGreaterThan(80);
  });
});
