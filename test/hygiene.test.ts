// Generated names never clash with user names, JavaScript reserved words,
// globals the generated code uses, or runtime imports.

import { describe, expect, it } from "vitest";
import { compileOrThrow, load } from "./support/load.js";
import { typecheck } from "./support/typecheck.js";
import { maxRelativeError, numericGradient, random, randomVector } from "./support/numeric.js";

const cases: {
  name: string;
  source: string;
  fn: string;
  args: (rand: () => number) => (number | Float64Array)[];
}[] = [
  {
    name: "the loop index i, and value, seed, tape, grad, dx as user names",
    source: `fn f(i: real[n], value: real[n], seed: real) -> real {
  tape = i * value + seed
  grad = exp(tape) * i
  dx = sum(grad + tape^2)
  return dx * seed
}`,
    fn: "f",
    args: (r) => [randomVector(r, 4), randomVector(r, 4), 0.7],
  },
  {
    name: "JavaScript reserved words as parameters and variables",
    source: `fn g(new: real, class: real[n], let: real) -> real {
  typeof = new * let
  delete = sum(class * typeof)
  arguments = delete + new
  return arguments * eval_ + 0
}`.replace("eval_", "let"),
    fn: "g",
    args: (r) => [0.3, randomVector(r, 3), -1.1],
  },
  {
    name: "globals the generated code uses: Math, Float64Array, NaN, undefined, Infinity",
    source: `fn h(Math: real[n], Float64Array: real, NaN: real) -> real {
  undefined = exp(Math) * Float64Array
  Infinity = sqrt(undefined + NaN * NaN + 1)
  return sum(Infinity)
}`,
    fn: "h",
    args: (r) => [randomVector(r, 3), 0.5, 1.5],
  },
  {
    name: "runtime export names as user names: checkScalar, checkVector, fill, oneHot, ShapeError, matrix",
    source: `fn checkScalar(checkVector: real[n], fill: real, oneHot: real) -> real {
  ShapeError = checkVector * fill + oneHot
  matrix = [ShapeError[0], fill]
  return sum(ShapeError) + dot(matrix, matrix)
}`,
    fn: "checkScalar",
    args: (r) => [randomVector(r, 3), 0.4, -0.2],
  },
];

describe("name hygiene", () => {
  it("every case typechecks under the strict settings", async () => {
    const files: Record<string, string> = {};
    for (const [k, c] of cases.entries()) files[`case${k}.grad.ts`] = await compileOrThrow(c.source);
    for (const [k, c] of cases.entries()) {
      files[`unchecked${k}.grad.ts`] = await compileOrThrow(c.source, { checks: false });
    }
    expect(typecheck(files)).toBe("");
  });

  it.each(cases)("$name", async ({ source, fn, args }) => {
    const m = await load(source, { filename: "hygiene.grad" });
    const rand = random(5);
    const point = args(rand);
    const { value, grad } = m[`${fn}Grad`](...point);
    expect(value).toBeCloseTo(m[fn](...point), 12);
    const names = Object.keys(grad);
    names.forEach((name, k) => {
      const analytic = grad[name];
      const numeric = numericGradient((...a) => m[fn](...a), point, k);
      expect(
        maxRelativeError(
          typeof analytic === "number" ? [analytic] : Array.from(analytic as Float64Array),
          numeric,
        ),
      ).toBeLessThan(1e-6);
    });
    const { tape } = m[`${fn}Forward`](...point);
    const back = m[`${fn}Backward`](tape, 1);
    expect(Object.keys(back)).toEqual(names);
  });
});
