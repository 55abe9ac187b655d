// Every matrix primitive (matrix parameters and
// literals, `@` in its four forms, transpose, element-wise operators and
// functions with broadcasting of scalars and of vectors over rows, `where`,
// `A[i, j]`, whole-matrix and per-axis reductions, softmax along an axis,
// outer, trace, diag, diagonal, eye, zeros, ones, inv, det, logdet), checked
// three ways on random points and several shapes (1×1, 1×4, 4×1, 2×3, 3×2,
// 3×3; square-only operations on 1×1 … 4×4 well-conditioned matrices):
//  - value: `f` against a plain JavaScript reference (test/support/matrix-cases.ts),
//    and `fForward(...).value` equal to `f(...)`;
//  - grad (scalar results): `fGrad` against central finite differences for
//    every `wrt` parameter, matrices perturbed entry by entry;
//  - vjp: `fBackward(fForward(...).tape, seed)` with a random seed shaped like
//    the result (scalar, vector or matrix) against the finite-difference
//    vector–Jacobian product Σᵢ seedᵢ ∂fᵢ/∂x.
// Every call also checks that the generated code leaves its arguments untouched.
// Then exact checks of the derivative conventions and stability on matrices.

import { describe, expect, it } from "vitest";
import { load, type GeneratedModule } from "./support/load.js";
import { groups, type MatrixCase, type Shape, type Sizes } from "./support/matrix-cases.js";
import {
  copyValue,
  describeValue,
  flatM,
  isMatrixValue,
  M,
  maxRelativeError,
  numericGradientM,
  numericVjp,
  random,
  randomLike,
  shapeOf,
  type MValue,
} from "./support/matrix-numeric.js";

// ---------------------------------------------------------------- harness

/** Each source is compiled and imported once for the whole file. */
const modules = new Map<string, Promise<GeneratedModule>>();
function moduleFor(source: string): Promise<GeneratedModule> {
  let m = modules.get(source);
  if (m === undefined) {
    m = load(source);
    modules.set(source, m);
  }
  return m;
}

const POINTS = 3;
const H = 1e-6;
const FD_TOLERANCE = 1e-6;
/** The reference computes the same formula, perhaps in another order (det and inv by cofactors, not LU). */
const VALUE_TOLERANCE = 1e-12;

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

function resolve(dim: string | number, sizes: Sizes, c: MatrixCase): number {
  if (typeof dim === "number") return dim;
  const n = sizes[dim];
  if (n === undefined) throw new Error(`${c.name}: no size for dimension ${dim}`);
  return n;
}

/** The dimensions a case's parameters use, as `m=2, n=3`, or `fixed`. */
function sizesLabel(c: MatrixCase, sizes: Sizes): string {
  const used = new Set(
    c.params.flatMap((q) =>
      q.shape === "real" ? [] : q.shape.filter((d): d is string => typeof d === "string"),
    ),
  );
  const parts = Object.entries(sizes)
    .filter(([d]) => used.has(d))
    .map(([d, v]) => `${d}=${v}`);
  return parts.length === 0 ? "fixed" : parts.join(",");
}

/** Draws the arguments of a case at one point, resampling while `accept` rejects them. */
function samplePoint(c: MatrixCase, sizes: Sizes, point: number): MValue[] {
  const rand = random(hash(`${c.name}|${sizesLabel(c, sizes)}|${point}`));
  for (let attempt = 0; attempt < 1000; attempt++) {
    const args = c.params.map((q): MValue => draw(q.shape, sizes, c, (at) => q.sample(rand, at, point)));
    if (c.accept === undefined || c.accept(args)) return args;
  }
  throw new Error(`${c.name}: no acceptable sample point at ${sizesLabel(c, sizes)}`);
}

function draw(
  shape: Shape,
  sizes: Sizes,
  c: MatrixCase,
  entry: (at: { index: number; row: number; col: number; rows: number; cols: number }) => number,
): MValue {
  if (shape === "real") return entry({ index: 0, row: 0, col: 0, rows: 1, cols: 1 });
  if (shape.length === 1) {
    const n = resolve(shape[0], sizes, c);
    return Float64Array.from({ length: n }, (_, k) => entry({ index: k, row: 0, col: k, rows: 1, cols: n }));
  }
  const rows = resolve(shape[0], sizes, c);
  const cols = resolve(shape[1], sizes, c);
  const data = Float64Array.from({ length: rows * cols }, (_, k) =>
    entry({ index: k, row: Math.floor(k / cols), col: k % cols, rows, cols }),
  );
  return { rows, cols, data };
}

function wrtParams(c: MatrixCase): { name: string; index: number }[] {
  return c.params.flatMap((q, index) => (q.wrt === false ? [] : [{ name: q.name, index }]));
}

function describeArgs(c: MatrixCase, args: readonly MValue[]): string {
  return args.map((a, i) => `${c.params[i]!.name} = ${describeValue(a)}`).join(", ");
}

/** Checks a value's kind and size against the expected one. */
function expectSameShape(got: unknown, want: MValue, what: string): void {
  expect(shapeOf(got), `${what}: shape`).toBe(shapeOf(want));
  if (isMatrixValue(want)) {
    expect((got as { data: unknown }).data, `${what}: matrix data`).toBeInstanceOf(Float64Array);
  }
}

/** Runs `body` and checks it did not modify `args`. */
function unmodified<T>(args: readonly MValue[], what: string, body: () => T): T {
  const before = args.map(copyValue);
  const result = body();
  args.forEach((a, i) => {
    expect(flatM(a), `${what} must not modify argument ${i}`).toEqual(flatM(before[i]!));
  });
  return result;
}

type Mode = "value" | "grad" | "vjp";
interface Row {
  label: string;
  c: MatrixCase;
  sizes: Sizes;
  mode: Mode;
}

function isScalarResult(c: MatrixCase): boolean {
  return typeof c.reference(...samplePoint(c, c.sizes[0]!, 0)) === "number";
}

function rowsFor(cases: readonly MatrixCase[]): Row[] {
  const rows: Row[] = [];
  for (const c of cases) {
    const modes: Mode[] = isScalarResult(c) ? ["value", "grad", "vjp"] : ["value", "vjp"];
    for (const sizes of c.sizes) {
      for (const mode of modes)
        rows.push({ label: `${c.name} | ${sizesLabel(c, sizes)} | ${mode}`, c, sizes, mode });
    }
  }
  return rows;
}

async function checkValue(c: MatrixCase, sizes: Sizes): Promise<void> {
  const m = await moduleFor(c.source);
  for (let point = 0; point < POINTS; point++) {
    const args = samplePoint(c, sizes, point);
    const where = `${c.name} at (${describeArgs(c, args)})`;
    const want = c.reference(...args);
    const got = unmodified(args, "f", () => m.f!(...args) as MValue);
    expectSameShape(got, want, `f value, ${where}`);
    expect(
      maxRelativeError(flatM(got), flatM(want)),
      `f value vs reference, ${where}: got ${describeValue(got)}, want ${describeValue(want)}`,
    ).toBeLessThanOrEqual(VALUE_TOLERANCE);
    const forward = unmodified(
      args,
      "fForward",
      () => m.fForward!(...args) as { value: MValue; tape: unknown },
    );
    expectSameShape(forward.value, want, `fForward value, ${where}`);
    expect(flatM(forward.value), `fForward(...).value equals f(...), ${where}`).toEqual(flatM(got));
  }
}

async function checkGrad(c: MatrixCase, sizes: Sizes): Promise<void> {
  const m = await moduleFor(c.source);
  const f = m.f! as (...args: MValue[]) => MValue;
  const wrt = wrtParams(c);
  for (let point = 0; point < POINTS; point++) {
    const args = samplePoint(c, sizes, point);
    const where = `${c.name} at (${describeArgs(c, args)})`;
    const { value, grad } = unmodified(
      args,
      "fGrad",
      () => m.fGrad!(...args) as { value: number; grad: Record<string, MValue> },
    );
    expect(value, `fGrad value equals f, ${where}`).toBe(f(...args));
    expect(Object.keys(grad).sort(), `fGrad keys, ${where}`).toEqual(wrt.map((w) => w.name).sort());
    for (const { name, index } of wrt) {
      const got = grad[name]!;
      expectSameShape(got, args[index]!, `grad.${name}, ${where}`);
      const want = numericGradientM(f, args, index, H);
      expect(
        maxRelativeError(flatM(got), want),
        `grad.${name}, ${where}: got [${flatM(got)}], finite differences [${want}]`,
      ).toBeLessThanOrEqual(FD_TOLERANCE);
    }
  }
}

async function checkVjp(c: MatrixCase, sizes: Sizes): Promise<void> {
  const m = await moduleFor(c.source);
  const f = m.f! as (...args: MValue[]) => MValue;
  const wrt = wrtParams(c);
  for (let point = 0; point < POINTS; point++) {
    const args = samplePoint(c, sizes, point);
    const rand = random(hash(`seed|${c.name}|${sizesLabel(c, sizes)}|${point}`));
    const seed = randomLike(rand, f(...args));
    const where = `${c.name} at (${describeArgs(c, args)}), seed ${describeValue(seed)}`;
    const { tape } = unmodified(
      args,
      "fForward",
      () => m.fForward!(...args) as { value: MValue; tape: unknown },
    );
    const seedBefore = copyValue(seed);
    const back = unmodified(args, "fBackward", () => m.fBackward!(tape, seed) as Record<string, MValue>);
    expect(flatM(seed), `fBackward must not modify the seed, ${where}`).toEqual(flatM(seedBefore));
    expect(Object.keys(back).sort(), `fBackward keys, ${where}`).toEqual(wrt.map((w) => w.name).sort());
    for (const { name, index } of wrt) {
      const got = back[name]!;
      expectSameShape(got, args[index]!, `vjp.${name}, ${where}`);
      const want = numericVjp(f, args, index, seed, H);
      expect(
        maxRelativeError(flatM(got), want),
        `vjp.${name}, ${where}: got [${flatM(got)}], finite differences [${want}]`,
      ).toBeLessThanOrEqual(FD_TOLERANCE);
    }
  }
}

const checks: Record<Mode, (c: MatrixCase, sizes: Sizes) => Promise<void>> = {
  value: checkValue,
  grad: checkGrad,
  vjp: checkVjp,
};

describe.each(groups.map((g) => [g.title, rowsFor(g.cases)] as const))("%s", (_title, rows) => {
  // Labelled through %s: vitest truncates `$label` interpolations to 40 characters.
  it.each(rows.map((row) => [row.label, row] as const))("%s", async (_label, { c, sizes, mode }) => {
    await checks[mode](c, sizes);
  });
});

// ---------------------------------------------------------------- exact checks

function expectClose(got: MValue, want: MValue, what: string, tolerance: number): void {
  expectSameShape(got, want, what);
  const g = flatM(got);
  expect(g.every(Number.isFinite), `${what}: got ${describeValue(got)}, must be finite`).toBe(true);
  if (tolerance === 0) {
    expect(
      g.every((x, i) => x === flatM(want)[i]),
      `${what}: got ${describeValue(got)}, want exactly ${describeValue(want)}`,
    ).toBe(true);
  } else {
    expect(
      maxRelativeError(g, flatM(want)),
      `${what}: got ${describeValue(got)}, want ${describeValue(want)}`,
    ).toBeLessThanOrEqual(tolerance);
  }
}

/**
 * Compiles `source` (one function `f`) and checks at `args`: the value, and
 * the vector–Jacobian product for `seed` from `fForward`/`fBackward` (and
 * `fGrad` when the result is a scalar and the seed is 1). `tolerance` 0 means exact.
 */
async function expectDerivatives(spec: {
  source: string;
  args: MValue[];
  value: MValue;
  seed: MValue;
  vjp: Record<string, MValue>;
  tolerance: number;
}): Promise<void> {
  const m = await moduleFor(spec.source);
  const { tolerance } = spec;
  expectClose(m.f!(...spec.args) as MValue, spec.value, "f value", tolerance);
  if (typeof spec.value === "number" && spec.seed === 1) {
    const { value, grad } = m.fGrad!(...spec.args) as { value: number; grad: Record<string, MValue> };
    expectClose(value, spec.value, "fGrad value", tolerance);
    for (const [name, want] of Object.entries(spec.vjp))
      expectClose(grad[name]!, want, `fGrad grad.${name}`, tolerance);
  }
  const { value, tape } = m.fForward!(...spec.args) as { value: MValue; tape: unknown };
  expectClose(value, spec.value, "fForward value", tolerance);
  const back = m.fBackward!(tape, spec.seed) as Record<string, MValue>;
  for (const [name, want] of Object.entries(spec.vjp))
    expectClose(back[name]!, want, `fBackward(seed ${describeValue(spec.seed)}).${name}`, tolerance);
}

const v = (...xs: number[]) => Float64Array.from(xs);

describe("derivative conventions on matrices (exact)", () => {
  it("max(0, A) at zero entries sends no derivative, max(A, 0) sends all of it", async () => {
    const A = M([
      [-1, 0, 2],
      [0, 3, -4],
    ]);
    const seed = M([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    await expectDerivatives({
      source: "fn f(A: real[m, n]) = max(0, A)",
      args: [A],
      value: M([
        [0, 0, 2],
        [0, 3, 0],
      ]),
      seed,
      vjp: {
        A: M([
          [0, 0, 3],
          [0, 5, 0],
        ]),
      },
      tolerance: 0,
    });
    await expectDerivatives({
      source: "fn f(A: real[m, n]) = max(A, 0)",
      args: [A],
      value: M([
        [0, 0, 2],
        [0, 3, 0],
      ]),
      seed,
      vjp: {
        A: M([
          [0, 2, 3],
          [4, 5, 0],
        ]),
      },
      tolerance: 0,
    });
  });

  it("relu, abs, sign and norm1 of the zero matrix have gradient 0", async () => {
    for (const fn of ["sum(relu(A))", "sum(abs(A))", "sum(sign(A))", "norm1(A)"]) {
      await expectDerivatives({
        source: `fn f(A: real[m, n]) = ${fn}`,
        args: [
          M([
            [0, 0, 0],
            [0, 0, 0],
          ]),
        ],
        value: 0,
        seed: 1,
        vjp: {
          A: M([
            [0, 0, 0],
            [0, 0, 0],
          ]),
        },
        tolerance: 0,
      });
    }
  });

  it("max(A) and min(A) with ties send the derivative to the first extreme entry (row-major)", async () => {
    await expectDerivatives({
      source: "fn f(A: real[m, n]) = max(A)",
      args: [
        M([
          [1, 3],
          [3, 2],
        ]),
      ],
      value: 3,
      seed: 1,
      vjp: {
        A: M([
          [0, 1],
          [0, 0],
        ]),
      },
      tolerance: 0,
    });
    await expectDerivatives({
      source: "fn f(A: real[m, n]) = min(A)",
      args: [
        M([
          [2, -1],
          [-1, 0],
        ]),
      ],
      value: -1,
      seed: 1,
      vjp: {
        A: M([
          [0, 1],
          [0, 0],
        ]),
      },
      tolerance: 0,
    });
  });

  it("max(A, axis=0) and max(A, axis=1) with ties: the first extreme entry of each column / row", async () => {
    const A = M([
      [5, 1, 2],
      [5, 4, 2],
      [0, 4, 1],
    ]);
    await expectDerivatives({
      source: "fn f(A: real[m, n]) = max(A, axis=0)",
      args: [A],
      value: v(5, 4, 2),
      seed: v(1, 2, 3),
      vjp: {
        A: M([
          [1, 0, 3],
          [0, 2, 0],
          [0, 0, 0],
        ]),
      },
      tolerance: 0,
    });
    await expectDerivatives({
      source: "fn f(A: real[m, n]) = min(A, axis=1)",
      args: [
        M([
          [2, 1, 1],
          [3, 3, 3],
          [0, 4, 0],
        ]),
      ],
      value: v(1, 3, 0),
      seed: v(1, 2, 3),
      vjp: {
        A: M([
          [0, 1, 0],
          [2, 0, 0],
          [3, 0, 0],
        ]),
      },
      tolerance: 0,
    });
  });

  it("where(A > 0, sqrt(A), 0) never lets NaN from the branch not taken into the gradient", async () => {
    await expectDerivatives({
      source: "fn f(A: real[m, n]) = sum(where(A > 0, sqrt(A), 0))",
      args: [
        M([
          [-1, 4],
          [0, 1],
        ]),
      ],
      value: 3,
      seed: 1,
      vjp: {
        A: M([
          [0, 0.25],
          [0, 0.5],
        ]),
      },
      tolerance: 0,
    });
  });

  it("prod(A, axis=1) with one zero in a row: the product of the others", async () => {
    await expectDerivatives({
      source: "fn f(A: real[m, n]) = prod(A, axis=1)",
      args: [
        M([
          [2, 0, 3],
          [1, 2, 4],
        ]),
      ],
      value: v(0, 8),
      seed: v(1, 1),
      vjp: {
        A: M([
          [0, 6, 0],
          [8, 4, 2],
        ]),
      },
      tolerance: 0,
    });
  });

  it("norm2 of the zero matrix has value 0 and gradient 0", async () => {
    await expectDerivatives({
      source: "fn f(A: real[m, n]) = norm2(A)",
      args: [
        M([
          [0, 0],
          [0, 0],
          [0, 0],
        ]),
      ],
      value: 0,
      seed: 1,
      vjp: {
        A: M([
          [0, 0],
          [0, 0],
          [0, 0],
        ]),
      },
      tolerance: 0,
    });
  });

  it("norm2(A, axis=0) with a zero column: that column's gradient is 0", async () => {
    await expectDerivatives({
      source: "fn f(A: real[m, n]) = norm2(A, axis=0)",
      args: [
        M([
          [3, 0],
          [4, 0],
        ]),
      ],
      value: v(5, 0),
      seed: v(1, 1),
      vjp: {
        A: M([
          [0.6, 0],
          [0.8, 0],
        ]),
      },
      tolerance: 1e-15,
    });
  });
});

describe("numerical stability on matrices", () => {
  it("logsumexp(A, axis=1) of ±1000 rows is finite, with gradient the row softmax", async () => {
    await expectDerivatives({
      source: "fn f(A: real[m, n]) = logsumexp(A, axis=1)",
      args: [
        M([
          [1000, 1000],
          [-1000, -1000],
          [1000, 0],
        ]),
      ],
      value: v(1000 + Math.LN2, -1000 + Math.LN2, 1000),
      seed: v(1, 2, 3),
      vjp: {
        A: M([
          [0.5, 0.5],
          [1, 1],
          [3, 0],
        ]),
      },
      tolerance: 1e-12,
    });
  });

  it("logsumexp(A, axis=0) of ±1000 columns", async () => {
    await expectDerivatives({
      source: "fn f(A: real[m, n]) = logsumexp(A, axis=0)",
      args: [
        M([
          [1000, -1000],
          [1000, -1000],
        ]),
      ],
      value: v(1000 + Math.LN2, -1000 + Math.LN2),
      seed: v(2, 4),
      vjp: {
        A: M([
          [1, 2],
          [1, 2],
        ]),
      },
      tolerance: 1e-12,
    });
  });

  it("logsumexp(A) of a whole matrix of 1000s", async () => {
    await expectDerivatives({
      source: "fn f(A: real[m, n]) = logsumexp(A)",
      args: [
        M([
          [1000, 1000],
          [1000, 1000],
        ]),
      ],
      value: 1000 + Math.log(4),
      seed: 1,
      vjp: {
        A: M([
          [0.25, 0.25],
          [0.25, 0.25],
        ]),
      },
      tolerance: 1e-12,
    });
  });

  it("softmax(A, axis=1) and softmax(A, axis=0) at ±1000 are finite", async () => {
    // Row [1000, 1000]: s = [0.5, 0.5], vjp = s ⊙ (seed − s·seed) = 0.5 * ([1, 3] − 2) = [-0.5, 0.5].
    await expectDerivatives({
      source: "fn f(A: real[m, n]) = softmax(A, axis=1)",
      args: [
        M([
          [1000, -1000],
          [1000, 1000],
        ]),
      ],
      value: M([
        [1, 0],
        [0.5, 0.5],
      ]),
      seed: M([
        [0.3, -2],
        [1, 3],
      ]),
      vjp: {
        A: M([
          [0, 0],
          [-0.5, 0.5],
        ]),
      },
      tolerance: 1e-12,
    });
    await expectDerivatives({
      source: "fn f(A: real[m, n]) = softmax(A, axis=0)",
      args: [
        M([
          [1000, 1000],
          [-1000, 1000],
        ]),
      ],
      value: M([
        [1, 0.5],
        [0, 0.5],
      ]),
      seed: M([
        [0.3, 1],
        [-2, 3],
      ]),
      vjp: {
        A: M([
          [0, -0.5],
          [0, 0.5],
        ]),
      },
      tolerance: 1e-12,
    });
  });

  it("logdet of a large diagonal matrix does not overflow where det would", async () => {
    const n = 4;
    const big = 1e100;
    const A = M(
      Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? big : 0))),
    );
    await expectDerivatives({
      source: "fn f(A: real[n, n]) = logdet(A)",
      args: [A],
      value: n * Math.log(big),
      seed: 1,
      vjp: {
        A: M(
          Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 / big : 0))),
        ),
      },
      tolerance: 1e-12,
    });
  });
});
