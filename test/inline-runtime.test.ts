// --inline-runtime: the module carries the runtime pieces it uses, imports
// nothing, typechecks on its own and computes what the importing module does.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mat } from "../runtime/index.js";
import { compileOrThrow, load } from "./support/load.js";
import { typecheck } from "./support/typecheck.js";

const allModes = {
  modes: ["grad", "vjp", "jvp", "jacobian", "hessian"] as ("grad" | "vjp" | "jvp" | "jacobian" | "hessian")[],
};
const paper = readFileSync(new URL("../examples/paper.grad", import.meta.url), "utf8");
const mlp = readFileSync(new URL("../examples/mlp.grad", import.meta.url), "utf8");

/** User functions named like runtime declarations, exported and internal alike. */
const clashing = `
fn checkScalar(x: real) = x^2
fn describeValue(v: real[n]) = sum(exp(v))
fn isMatrix(A: real[m, n]) = sum(A * A)
fn ShapeError(A: real[n, n]) = logdet(A)
`;

describe("--inline-runtime", () => {
  it("imports nothing and typechecks on its own, in every mode", async () => {
    const files: Record<string, string> = {};
    for (const [name, source] of Object.entries({ paper, mlp, clashing })) {
      // Unformatted (a fifth of the time); one formatted module is checked just below.
      const code = await compileOrThrow(source, { ...allModes, inlineRuntime: true, format: false });
      expect(code).not.toMatch(/^import /m);
      files[`${name}.ts`] = code;
    }
    files["unchecked.ts"] = await compileOrThrow(paper, { checks: false, inlineRuntime: true, format: true });
    expect(typecheck(files)).toBe("");
  });

  it("copies only what the module uses", async () => {
    const code = await compileOrThrow("fn f(x: real, y: real) = 3 * x^2 * y", { inlineRuntime: true });
    expect(code).toContain("function checkScalar(");
    expect(code).not.toContain("function matmul(");
    expect(code).not.toContain("function checkVector(");
  });

  it("computes what the importing module computes", async () => {
    const inlined = await load(paper, { ...allModes, inlineRuntime: true });
    const imported = await load(paper, allModes);
    const X = mat([
      [1, 2],
      [-1, 0.5],
      [0.3, -2],
    ]);
    const w = Float64Array.of(0.4, -0.7);
    const y = Float64Array.of(1, 0, 2);
    expect(inlined.lossGrad(w, 0.1, X, y)).toEqual(imported.lossGrad(w, 0.1, X, y));
    expect(inlined.fgJacobian(Float64Array.of(2, 3))).toEqual(imported.fgJacobian(Float64Array.of(2, 3)));
    expect(inlined.fHessian(2, 3)).toEqual(imported.fHessian(2, 3));
    expect(() => inlined.lossGrad(w, 0.1, X, Float64Array.of(1))).toThrow("y has length 1, but N = 3");
  });

  it("offers the constructors callers build arguments with, used or not", async () => {
    const scalar = await load("fn f(x: real, y: real) = 3 * x^2 * y", { inlineRuntime: true });
    expect(scalar.vec([1, 2])).toEqual(Float64Array.of(1, 2));
    expect(scalar.mat([[1, 2]])).toEqual({ rows: 1, cols: 2, data: Float64Array.of(1, 2) });
    expect(scalar.matrix(2, 1).data).toEqual(new Float64Array(2));
    const m = await load(paper, { inlineRuntime: true });
    expect(
      m.lossGrad(
        m.vec([0.4, -0.7]),
        0.1,
        m.mat([
          [1, 2],
          [-1, 0.5],
        ]),
        m.vec([1, 0]),
      ).value,
    ).toBeTypeOf("number");
    const owner = await load("fn mat(x: real) = x^2", { inlineRuntime: true });
    expect(owner.mat(3)).toBe(9);
    expect(owner.vec([1])).toEqual(Float64Array.of(1));
  });

  it("renames runtime declarations that user functions would clash with", async () => {
    const m = await load(clashing, { inlineRuntime: true });
    expect(m.checkScalarGrad(3)).toEqual({ value: 9, grad: { x: 6 } });
    expect(
      m.isMatrix(
        mat([
          [1, 2],
          [3, 4],
        ]),
      ),
    ).toBe(30);
    expect(
      m.ShapeErrorGrad(
        mat([
          [2, 0],
          [0, 4],
        ]),
      ).value,
    ).toBeCloseTo(Math.log(8), 12);
    expect(() => m.checkScalar("x")).toThrow("x must be a number, got string");
  });
});
