// Generated names never clash with user names, JavaScript reserved words,
// globals the generated code uses, or runtime imports.

import { describe, expect, it } from "vitest";
import { compile } from "../compiler/index.js";
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

// The names the drivers of the other modes use for their own locals and calls
// (`fJvp`, `fHvp`, `value`, `grad`, `hvp`, ...), as parameters, variables and
// dimensions of a function compiled in every mode.
const allModes = ["grad", "vjp", "jvp", "jacobian", "hessian"] as const;
const driverNames = {
  source: `fn f(value: real, grad: real[direction], hvp: real, fJvp: real, fHvp: real, fForward: real) -> real {
  hessian = value * sum(grad) * hvp + fJvp * fHvp
  size = hessian * fForward
  return size + exp(value * fJvp)
}`,
  // A vector-valued sibling: its Jacobian's drivers (\`row\`, \`outputs\`, \`inputs\`, \`k\`, \`tape\`).
  vectorSource: `fn g(row: real[k], outputs: real, inputs: real[k], tape: real, fBackward: real, jacobian: real) -> real[k] = row * outputs + inputs * tape * fBackward + jacobian`,
};

describe("name hygiene in every mode", () => {
  const source = `${driverNames.source}\n${driverNames.vectorSource}\nfn size(fHessian: real, fJacobian: real, column: real[value], k: real) = fHessian * fJacobian * sum(column) + k`;

  it("the module compiles, typechecks with and without argument checks, and runs", async () => {
    const files = {
      "all.grad.ts": await compileOrThrow(source, { modes: [...allModes] }),
      "unchecked.grad.ts": await compileOrThrow(source, { modes: [...allModes], checks: false }),
    };
    expect(typecheck(files)).toBe("");
    const m = await load(source, { modes: [...allModes] });
    const grad = Float64Array.of(0.3, -0.2);
    const args = [0.5, grad, 0.7, -0.4, 0.9, 1.1];
    const g = m.fGrad(...args);
    const h = m.fHessian(...args);
    expect(h.value).toBe(g.value);
    // The Hessian's columns are Hessian–vector products along unit directions: its
    // first column is fHvp's along `value`.
    const along = m.fHvp(...args, {
      value: 1,
      grad: new Float64Array(2),
      hvp: 0,
      fJvp: 0,
      fHvp: 0,
      fForward: 0,
    });
    expect(h.hessian.data[0]).toBeCloseTo(along.hvp.value, 14);
    const jac = m.fJacobian(...args);
    expect(jac.jacobian.value.data[0]).toBeCloseTo(g.grad.value, 14);
    expect(
      m.fJvp(...args, { value: 1, grad: new Float64Array(2), hvp: 0, fJvp: 0, fHvp: 0, fForward: 0 }).tangent,
    ).toBeCloseTo(g.grad.value, 14);
    const vArgs = [Float64Array.of(1, 2), 3, Float64Array.of(4, 5), 6, 7, 8];
    const gj = m.gJacobian(...vArgs);
    expect([...gj.jacobian.outputs.data]).toEqual([1, 2]);
    expect([...gj.value]).toEqual([1 * 3 + 4 * 6 * 7 + 8, 2 * 3 + 5 * 6 * 7 + 8]);
    const s = m.sizeHessian(2, 3, Float64Array.of(1, 1), 4);
    expect([...s.hessian.data.slice(0, 2)]).toEqual([0, 2]);
  });

  it("a function with no parameters compiles in every mode (and has no Hessian to generate)", async () => {
    const { code, diagnostics } = await compile("fn f() = 1", { modes: [...allModes] });
    expect(diagnostics.map((d) => [d.code, d.message])).toEqual([
      ["GC0302", "'f' has no parameters: there is no Hessian to generate"],
    ]);
    const unchecked = await compileOrThrow("fn f() = 1", { modes: [...allModes], checks: false });
    expect(typecheck({ "none.grad.ts": code!, "unchecked.grad.ts": unchecked })).toBe("");
    const m = await load("fn f() = 1", { modes: [...allModes] });
    expect(m.fGrad()).toEqual({ value: 1, grad: {} });
    expect(m.fJacobian()).toEqual({ value: 1, jacobian: {} });
    expect(m.fJvp({})).toEqual({ value: 1, tangent: 0 });
    expect(m.fHessian).toBeUndefined();
  });

  it("__proto__ is rejected as a name: as a key it would set an object's prototype", async () => {
    const { code, diagnostics } = await compile("fn f(__proto__: real, y: real) = __proto__^2 * y");
    expect(code).toBeUndefined();
    expect(diagnostics.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`)).toEqual([
      "1:6 GC0103 '__proto__' is special in JavaScript objects and cannot be used as a name",
    ]);
  });
});
