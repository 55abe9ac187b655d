// Behaviour at the edges users hit: constant conditions, aliasing of returned
// arrays, constant exponents at zero, empty vectors.

import { describe, expect, it } from "vitest";
import { compileOrThrow, load } from "./support/load.js";
import { typecheck } from "./support/typecheck.js";

describe("edge cases", () => {
  it("a constant condition in where picks its branch, and the output typechecks", async () => {
    const source = "fn f(x: real) = where(1 > 0, x, 1 / x)\nfn g(v: real[n]) = sum(where(2 < 1, v, 3))";
    expect(typecheck({ "constant.grad.ts": await compileOrThrow(source) })).toBe("");
    const m = await load(source);
    expect(m.fGrad(0.5)).toEqual({ value: 0.5, grad: { x: 1 } });
    expect(m.gGrad(Float64Array.of(1, 2))).toEqual({ value: 6, grad: { v: Float64Array.of(0, 0) } });
  });

  it("returned gradients never alias the caller's arrays or each other", async () => {
    const m = await load(
      "fn f(x: real[n], y: real[n]) = dot(x, y)\nfn g(x: real[n], y: real[n]) = sum(x + y)\nfn h(v: real[n]) -> real[n] = v",
    );
    const x = Float64Array.of(1, 2);
    const y = Float64Array.of(3, 4);
    const { grad } = m.fGrad(x, y);
    expect(Array.from(grad.x)).toEqual([3, 4]);
    expect(grad.x).not.toBe(y);
    expect(grad.y).not.toBe(x);
    const g = m.gGrad(x, y).grad;
    expect(g.x).not.toBe(g.y);
    g.x[0] = 99;
    expect(g.y[0]).toBe(1);
    const seed = Float64Array.of(5, 6);
    const back = m.hBackward(m.hForward(x).tape, seed);
    expect(Array.from(back.v)).toEqual([5, 6]);
    expect(back.v).not.toBe(seed);
  });

  it("the value of an identity-like body is a copy, never the caller's array", async () => {
    const m = await load(
      "fn f(x: real[n]) -> real[n] = x\nfn g(x: real[n]) -> real[n] = x * 1\nfn h(x: real[n]) -> real[n] = where(x > 0, x, x)\nfn k(A: real[m, n]) -> real[m, n] = A + 0",
    );
    const x = Float64Array.of(1, -2);
    for (const fn of ["f", "g", "h"]) {
      const value = m[fn](x) as Float64Array;
      expect(Array.from(value), fn).toEqual([1, -2]);
      expect(value, fn).not.toBe(x);
    }
    const A = { rows: 1, cols: 2, data: Float64Array.of(3, 4) };
    const B = m.k(A);
    expect(Array.from(B.data)).toEqual([3, 4]);
    expect(B.data).not.toBe(A.data);
  });

  it("x^0 has derivative 0 everywhere, x = 0 included", async () => {
    const m = await load("fn f(x: real) = x^0 + 2 * x\nfn g(x: real, p: real) = x^p");
    expect(m.fGrad(0)).toEqual({ value: 1, grad: { x: 2 } });
    expect(m.gGrad(0, 0).grad.x).toBe(0);
    expect(m.gGrad(2, 3).grad).toEqual({ x: 12, p: 8 * Math.log(2) });
  });

  it("an empty vector is a ShapeError: dimensions are positive", async () => {
    const m = await load("fn f(x: real[n]) = max(x)");
    expect(() => m.fGrad(new Float64Array(0))).toThrow("x is empty; a vector has at least one element");
  });
});

describe("resource limits", () => {
  it("a flat chain of 20,000 terms checks cleanly (chains are walked in a loop, not by recursion)", async () => {
    const { check } = await import("../compiler/index.js");
    for (const op of [" + ", " * ", " - ", " / ", " @ "]) {
      const huge = `fn f(x: real${op === " @ " ? "[2]" : ""}) = ${Array(20000).fill("x").join(op)}`;
      const { diagnostics } = check(huge);
      // An @ chain alternates vector @ vector = real and real @ vector, which is an error.
      if (op === " @ ") expect(diagnostics.map((d) => d.code)).toEqual(["GC0203"]);
      else expect(diagnostics).toEqual([]);
    }
  });

  it("a right-nested ^ chain too deep to parse is a GC0001 diagnostic", async () => {
    const { check } = await import("../compiler/index.js");
    const { diagnostics } = check(`fn f(x: real) = ${Array(20000).fill("x").join("^")}`);
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["GC0001", "expression nested too deeply to parse"],
    ]);
  });
});

describe("forward mode and Hessians at the edges", () => {
  const all = {
    modes: ["grad", "vjp", "jvp", "jacobian", "hessian"] as (
      "grad" | "vjp" | "jvp" | "jacobian" | "hessian"
    )[],
  };

  it("derivatives follow parameter-list order, whatever the order after wrt", async () => {
    const m = await load("fn h(x: real, y: real) -> real wrt y, x = x^2 * y^3", all);
    const { grad, hessian } = m.hHessian(2, 1);
    expect(Object.keys(grad)).toEqual(["x", "y"]);
    // [[∂²/∂x², ∂²/∂x∂y], [∂²/∂y∂x, ∂²/∂y²]] = [[2y³, 6xy²], [6xy², 6x²y]]
    expect(Array.from(hessian.data)).toEqual([2, 12, 12, 24]);
  });

  it("a missing direction or argument is a ShapeError naming it, not a TypeError", async () => {
    const m = await load("fn f(x: real, v: real[n]) = x * sum(v)", all);
    const v = Float64Array.of(1, 2);
    expect(() => m.fJvp(1, v, undefined)).toThrow("tangent must be an object with one entry per parameter");
    expect(() => m.fHvp(1, v, null)).toThrow("direction must be an object with one entry per parameter");
    expect(() => m.fHessian(1, undefined)).toThrow("v must be a Float64Array, got undefined");
    expect(() => m.fJvp(1, v, { x: 1, v: Float64Array.of(1) })).toThrow("tangent.v has length 1, but n = 2");
  });

  it("fJvp never hands back the caller's own arrays", async () => {
    const m = await load("fn id(v: real[n]) -> real[n] = v", all);
    const v = Float64Array.of(1, 2);
    const t = Float64Array.of(3, 4);
    const { value, tangent } = m.idJvp(v, { v: t });
    expect(Array.from(tangent)).toEqual([3, 4]);
    expect(tangent).not.toBe(t);
    expect(value).not.toBe(v);
  });
});
