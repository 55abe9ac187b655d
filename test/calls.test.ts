// Calls generated as calls: a function whose body inlining would copy more than once into one
// function, and which is large, stays a call, and its derivatives are private functions of
// their own. Checked against the same math written out by hand (every export, every mode),
// against central differences, and for the size of the output of a tree of calls.

import { beforeAll, describe, expect, it } from "vitest";
import { analyze } from "../compiler/compile.js";
import { programsOf } from "../compiler/derive.js";
import { isCall } from "../compiler/ir.js";
import { maxInlinedCopiesSize } from "../compiler/lower.js";
import { matrix, type Matrix } from "../runtime/index.js";
import { compileOrThrow, load, type GeneratedModule } from "./support/load.js";
import { flat, maxRelativeError, random, randomVector } from "./support/numeric.js";
import { callsSource as source, callTree } from "./support/call-sources.js";

const allModes = ["grad", "vjp", "jvp", "jacobian", "hessian"] as const;

function randomMatrix(rand: () => number, n: number): Matrix {
  return matrix(n, n, randomVector(rand, n * n, -0.6, 0.6));
}

/** Every number of an export's result, in a fixed order. */
function numbers(result: unknown): number[] {
  if (typeof result === "number") return [result];
  if (result instanceof Float64Array) return [...result];
  if (result !== null && typeof result === "object" && "data" in result) {
    return [...flat((result as Matrix).data)];
  }
  return Object.keys(result as object)
    .sort()
    .flatMap((key) => numbers((result as Record<string, unknown>)[key]));
}

describe("which calls stay calls", () => {
  const calledIn = (src: string) => {
    const { functions } = analyze(src, "calls.grad", ["grad"]);
    return Object.fromEntries(
      functions.map((fn) => [
        fn.checked.name,
        [...new Set(programsOf(fn).flatMap((p) => p.body.filter(isCall).map((i) => i.attrs.callee)))],
      ]),
    );
  };

  it("a large function called twice in one function is a call; once, or small, it is inlined", () => {
    expect(calledIn(source)).toEqual({ g: [], f: ["g"], fi: [], fv: ["g"], fvi: [] });
    const once = `${source.split("fn f(")[0]}fn h(x: real[n], A: real[n, n]) = sum(g(x, A, 2))\n`;
    expect(calledIn(once)).toEqual({ g: [], h: [] });
    const small = "fn s(x: real) = sin(x) * x\nfn t(x: real) = s(x) + s(2 * x)\n";
    expect(calledIn(small)).toEqual({ s: [], t: [] });
  });

  // 35 operations: large enough to be a call where it would be copied twice.
  const large = (name: string, inner = "x") =>
    `fn ${name}(x: real[k]) -> real[k] {\n  a = tanh(${inner}) * exp(-x^2) + sigmoid(x) * softplus(-x) + sin(x) * cos(x)\n` +
    "  b = log1p(a^2) * atan(x) + sqrt(1 + x^2) * exp(-a) + max(0, x - a) * min(a, 1)\n  return a * b + a / (1 + b^2)\n}\n";

  it("decided per function: a function that calls g once inlines it, whatever other functions do", () => {
    const src = `${large("g")}fn once(x: real[n]) = sum(g(x))\nfn twice(x: real[n]) = sum(g(x) * g(2 * x))\n`;
    expect(calledIn(src)).toEqual({ g: [], once: [], twice: ["g"] });
  });

  it("a function copied only inside another one kept as a call is inlined there", () => {
    const src = `${large("g")}${large("h", "sum(g(x)) * x")}fn f(x: real[n]) = sum(h(x) + h(2 * x))\n`;
    expect(calledIn(src)).toEqual({ g: [], h: [], f: ["h"] });
  });

  it("the same call written twice is one value: one copy, one pullback", async () => {
    expect(calledIn(`${large("g")}fn f(x: real[n]) = sum(g(x)) + sum(g(x)^2)\n`)).toEqual({ g: [], f: [] });
    const src = `${large("g")}fn f(x: real[n]) = sum(g(x)) + sum(g(x)^2) + sum(g(2 * x))\n`;
    expect(calledIn(src)).toEqual({ g: [], f: ["g"] });
    const code = await compileOrThrow(src, { format: false });
    const fGrad = code.slice(
      code.indexOf("export function fGrad("),
      code.indexOf("export function fForward("),
    );
    expect(fGrad.match(/gPullback\(/g)).toHaveLength(2);
    expect(fGrad.match(/= g\(/g)).toHaveLength(2);
  });

  it("a callee whose result does not depend on its parameters pushes forward zeros", async () => {
    const terms = Array.from({ length: 34 }, () => "a").join(" + ");
    const src = `fn g(x: real) -> real {\n  a = where(x > 0, 1, 2)\n  return ${terms}\n}\nfn f(x: real) = x * g(x) + g(2 * x)\n`;
    expect(calledIn(src).f).toEqual(["g"]);
    const m = await load(src, { modes: [...allModes] });
    expect(m.fJvp(0.5, { x: 1 })).toEqual({ value: 0.5 * 34 + 34, tangent: 34 });
    expect(m.fHessian(0.5).hessian.data[0]).toBe(0);
  });

  it(`a tree of calls inlines levels until a body passes ${maxInlinedCopiesSize} operations`, () => {
    // Sizes: g1 2, g2 7, g3 17, g4 37 (a call), g5 5, …, g8 61 (a call).
    const calls = calledIn(callTree(9));
    expect(calls.g5).toEqual(["g4"]);
    expect(calls.g4).toEqual([]);
    expect(calls.g9).toEqual(["g8"]);
    expect(calls.f).toEqual(["g8"]);
    expect(Object.values(calls).flat().sort()).toEqual(["g4", "g4", "g4", "g4", "g8", "g8"]);
  });

  it("indexing in a called function is checked against the caller's arguments", async () => {
    const m = await load(
      "fn g(x: real[k]) -> real {\n  a = x[3] * exp(x) + tanh(x) * x^2 + sin(x) * cos(x) + log1p(x^2)\n  b = sigmoid(a) * softplus(x) + exp(-x^2) * x^3 + sqrt(1 + x^2) * atan(x)\n  return sum(a * b) + x[2]\n}\n" +
        "fn f(y: real[m]) = g(y) + g(2 * y)\n",
    );
    expect(m.f(vecOf(1, 2, 3, 4))).toBeTypeOf("number");
    expect(() => m.fGrad(vecOf(1, 2, 3))).toThrow(
      expect.objectContaining({ name: "ShapeError", message: "y: indexing needs m >= 4, but m = 3" }),
    );
  });
});

function vecOf(...values: number[]): Float64Array {
  return Float64Array.from(values);
}

describe("a call and its derivatives agree with the same math inlined", () => {
  let m: GeneratedModule;
  const n = 5;
  const rand = random(17);
  const x = randomVector(rand, n, -1, 1);
  const A = randomMatrix(rand, n);
  const B = randomMatrix(rand, n);
  const c = 0.7;
  const dir = { x: randomVector(rand, n), A: randomMatrix(rand, n), B: randomMatrix(rand, n), c: 0.3 };

  beforeAll(async () => {
    m = await load(source, { modes: [...allModes] });
  });

  const close = (a: unknown, b: unknown) =>
    expect(maxRelativeError(numbers(a), numbers(b))).toBeLessThan(1e-12);

  it("value, gradient, forward and backward", () => {
    close(m.f(x, A, B, c), m.fi(x, A, B, c));
    close(m.fGrad(x, A, B, c), m.fiGrad(x, A, B, c));
    close(m.fBackward(m.fForward(x, A, B, c).tape, -1.3), m.fiBackward(m.fiForward(x, A, B, c).tape, -1.3));
  });

  it("forward mode, the Jacobian, Hessian–vector products and the Hessian", () => {
    close(m.fJvp(x, A, B, c, dir), m.fiJvp(x, A, B, c, dir));
    close(m.fJacobian(x, A, B, c), m.fiJacobian(x, A, B, c));
    close(m.fHvp(x, A, B, c, dir), m.fiHvp(x, A, B, c, dir));
    close(m.fHessian(x, A, B, c), m.fiHessian(x, A, B, c));
  });

  it("a vector result: backward, forward mode and the Jacobian", () => {
    const seed = randomVector(rand, n);
    close(m.fv(x, A, c), m.fvi(x, A, c));
    close(m.fvBackward(m.fvForward(x, A, c).tape, seed), m.fviBackward(m.fviForward(x, A, c).tape, seed));
    const tangent = { x: dir.x, A: dir.A, c: dir.c };
    close(m.fvJvp(x, A, c, tangent), m.fviJvp(x, A, c, tangent));
    close(m.fvJacobian(x, A, c), m.fviJacobian(x, A, c));
  });

  it("the gradient matches central differences", () => {
    const { grad } = m.fGrad(x, A, B, c);
    const h = 1e-6;
    const numeric = [...x].map((_, i) => {
      const plus = x.slice();
      const minus = x.slice();
      plus[i]! += h;
      minus[i]! -= h;
      return (m.f(plus, A, B, c) - m.f(minus, A, B, c)) / (2 * h);
    });
    expect(maxRelativeError([...grad.x], numeric)).toBeLessThan(1e-7);
  });

  it("calls do not alias: repeated calls give the same numbers, and results are the caller's own", () => {
    const first = m.fGrad(x, A, B, c);
    const kept = numbers(first);
    m.fGrad(B.data.subarray(0, n), B, A, -c);
    expect(numbers(first)).toEqual(kept);
    expect(numbers(m.fGrad(x, A, B, c))).toEqual(kept);
  });
});

describe("generated code of calls", () => {
  let code: string;
  beforeAll(async () => {
    code = await compileOrThrow(source, { modes: [...allModes] });
  });

  it("one call of the pullback gives every parameter's adjoint; derivatives of calls are private", () => {
    const fGrad = code.slice(
      code.indexOf("export function fGrad("),
      code.indexOf("export function fForward("),
    );
    expect(fGrad.match(/gPullback\w*\(/g)).toHaveLength(2);
    // The first call of g has every argument active; the second a constant s.
    expect(fGrad).toMatch(/const g_adjoints = gPullback_x_A\(/);
    expect(fGrad).toMatch(/g_adjoints\.x/);
    expect(fGrad).toMatch(/g_adjoints\.A/);
    expect(code).toMatch(/^function gPullback\(/m);
    expect(code).not.toMatch(/export function g(Pullback|Pushforward)/);
  });
});

describe("output size of a tree of calls", () => {
  it("grows linearly with the depth of the tree, not with 2^k", async () => {
    const size = async (k: number) => (await compileOrThrow(callTree(k), { format: false })).length;
    const [s4, s8, s12] = [await size(4), await size(8), await size(12)];
    // Every four levels add the same code: one more function called as a call and three inlined.
    expect(s12 - s8).toBeLessThan(1.25 * (s8 - s4));
    expect(s12).toBeLessThan(200_000);
  });
});
