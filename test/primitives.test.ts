// Every primitive on scalars and vectors, checked three ways
// on random points and vector sizes 1, 3 and 7:
//  - value: `f` against a direct JavaScript reference, and `fForward(...).value`
//    equal to `f(...)`;
//  - grad (scalar results): `fGrad` against central finite differences for
//    every `wrt` parameter;
//  - vjp: `fBackward(fForward(...).tape, seed)` with a random seed against the
//    finite-difference vector–Jacobian product Σᵢ seedᵢ ∂fᵢ/∂x.
// Then adjoint summing against closed forms, and the derivative conventions
// and stability cases of docs/language.md with exact expectations.

import { describe, expect, it } from "vitest";
import { load, type GeneratedModule } from "./support/load.js";
import {
  flat,
  maxRelativeError,
  numericGradient,
  numericJacobianColumns,
  random,
  randomVector,
  uniform,
  type Value,
} from "./support/numeric.js";
import { groups, type PrimitiveCase } from "./support/primitive-cases.js";

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

const SIZES = [1, 3, 7] as const;
const POINTS = 3;
const H = 1e-6;
const FD_TOLERANCE = 1e-6;
/** The reference computes the same formula, perhaps in another order. */
const VALUE_TOLERANCE = 1e-12;

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

function usesSize(c: PrimitiveCase): boolean {
  return c.params.some((p) => p.shape === "n");
}

/** Draws the arguments of a case at one point, resampling while `accept` rejects them. */
function samplePoint(c: PrimitiveCase, n: number, point: number): Value[] {
  const rand = random(hash(`${c.name}|${n}|${point}`));
  for (let attempt = 0; attempt < 1000; attempt++) {
    const args = c.params.map((p): Value => {
      if (p.shape === "real") return p.sample(rand, 0, point);
      const size = p.shape === "n" ? n : p.shape;
      return Float64Array.from({ length: size }, (_, k) => p.sample(rand, k, point));
    });
    if (c.accept === undefined || c.accept(args)) return args;
  }
  throw new Error(`${c.name}: no acceptable sample point at n = ${n}`);
}

function wrtParams(c: PrimitiveCase): { name: string; index: number }[] {
  return c.params.flatMap((p, index) => (p.wrt === false ? [] : [{ name: p.name, index }]));
}

function describeArgs(args: Value[]): string {
  return args.map((a) => (typeof a === "number" ? String(a) : `[${Array.from(a).join(", ")}]`)).join(", ");
}

/** Checks a value's kind and length against the expected one. */
function expectSameShape(got: unknown, want: Value, what: string): void {
  if (typeof want === "number") {
    expect(typeof got, `${what} should be a number`).toBe("number");
  } else {
    expect(got, `${what} should be a Float64Array`).toBeInstanceOf(Float64Array);
    expect((got as Float64Array).length, `${what} length`).toBe(want.length);
  }
}

type Mode = "value" | "grad" | "vjp";
interface Row {
  label: string;
  c: PrimitiveCase;
  n: number;
  mode: Mode;
}

function rowsFor(cases: readonly PrimitiveCase[], scalarResult: (c: PrimitiveCase) => boolean): Row[] {
  const rows: Row[] = [];
  for (const c of cases) {
    const sizes = usesSize(c) ? SIZES : ([1] as const);
    const modes: Mode[] = scalarResult(c) ? ["value", "grad", "vjp"] : ["value", "vjp"];
    for (const n of sizes) {
      for (const mode of modes) {
        rows.push({ label: `${c.name} | ${usesSize(c) ? `n=${n}` : "fixed"} | ${mode}`, c, n, mode });
      }
    }
  }
  return rows;
}

/** Whether a case has a scalar result, from its reference at a sample point. */
function isScalarResult(c: PrimitiveCase): boolean {
  return typeof c.reference(...samplePoint(c, 3, 0)) === "number";
}

async function checkValue(c: PrimitiveCase, n: number): Promise<void> {
  const m = await moduleFor(c.source);
  for (let point = 0; point < POINTS; point++) {
    const args = samplePoint(c, n, point);
    const where = `${c.name} at (${describeArgs(args)})`;
    const want = c.reference(...args);
    const got = m.f!(...args) as Value;
    expectSameShape(got, want, `f value, ${where}`);
    expect(
      maxRelativeError(flat(got), flat(want)),
      `f value vs reference, ${where}: got ${flat(got)}, want ${flat(want)}`,
    ).toBeLessThanOrEqual(VALUE_TOLERANCE);
    const forward = m.fForward!(...args) as { value: Value; tape: unknown };
    expectSameShape(forward.value, want, `fForward value, ${where}`);
    expect(flat(forward.value), `fForward(...).value equals f(...), ${where}`).toEqual(flat(got));
  }
}

async function checkGrad(c: PrimitiveCase, n: number): Promise<void> {
  const m = await moduleFor(c.source);
  const f = m.f! as (...args: Value[]) => number;
  const wrt = wrtParams(c);
  for (let point = 0; point < POINTS; point++) {
    const args = samplePoint(c, n, point);
    const where = `${c.name} at (${describeArgs(args)})`;
    const { value, grad } = m.fGrad!(...args) as { value: number; grad: Record<string, Value> };
    expect(value, `fGrad value equals f, ${where}`).toBe(f(...args));
    expect(Object.keys(grad).sort(), `fGrad keys, ${where}`).toEqual(wrt.map((w) => w.name).sort());
    for (const { name, index } of wrt) {
      const got = grad[name]!;
      expectSameShape(got, args[index]!, `grad.${name}, ${where}`);
      const want = numericGradient(f, args, index, H);
      expect(
        maxRelativeError(flat(got), want),
        `grad.${name}, ${where}: got [${flat(got)}], finite differences [${want}]`,
      ).toBeLessThanOrEqual(FD_TOLERANCE);
    }
  }
}

async function checkVjp(c: PrimitiveCase, n: number): Promise<void> {
  const m = await moduleFor(c.source);
  const f = m.f! as (...args: Value[]) => Value;
  const wrt = wrtParams(c);
  for (let point = 0; point < POINTS; point++) {
    const args = samplePoint(c, n, point);
    const rand = random(hash(`seed|${c.name}|${n}|${point}`));
    const value = f(...args);
    const seed: Value =
      typeof value === "number" ? uniform(rand, -1.5, 1.5) : randomVector(rand, value.length, -1.5, 1.5);
    const where = `${c.name} at (${describeArgs(args)}), seed ${flat(seed)}`;
    const { tape } = m.fForward!(...args) as { value: Value; tape: unknown };
    const back = m.fBackward!(tape, seed) as Record<string, Value>;
    expect(Object.keys(back).sort(), `fBackward keys, ${where}`).toEqual(wrt.map((w) => w.name).sort());
    const s = flat(seed);
    for (const { name, index } of wrt) {
      const got = back[name]!;
      expectSameShape(got, args[index]!, `vjp.${name}, ${where}`);
      const columns = numericJacobianColumns(f, args, index, H);
      const want = columns.map((column) => column.reduce((acc, d, i) => acc + s[i]! * d, 0));
      expect(
        maxRelativeError(flat(got), want),
        `vjp.${name}, ${where}: got [${flat(got)}], finite differences [${want}]`,
      ).toBeLessThanOrEqual(FD_TOLERANCE);
    }
  }
}

const checks: Record<Mode, (c: PrimitiveCase, n: number) => Promise<void>> = {
  value: checkValue,
  grad: checkGrad,
  vjp: checkVjp,
};

describe.each(groups.map((g) => [g.title, rowsFor(g.cases, isScalarResult)] as const))(
  "%s",
  (_title, rows) => {
    // Labelled through %s: vitest truncates `$label` interpolations to 40 characters.
    it.each(rows.map((row) => [row.label, row] as const))("%s", async (_label, { c, n, mode }) => {
      await checks[mode](c, n);
    });
  },
);

// ---------------------------------------------------------------- exact checks

/** `===` comparison, so -0 counts as 0, and NaN never passes. */
function expectExactly(got: Value, want: Value, what: string): void {
  expectSameShape(got, want, what);
  const g = flat(got);
  const w = flat(want);
  expect(
    g.every((x, i) => x === w[i]),
    `${what}: got [${g}], want exactly [${w}]`,
  ).toBe(true);
}

function expectClose(got: Value, want: Value, what: string, tolerance = 1e-12): void {
  expectSameShape(got, want, what);
  const g = flat(got);
  expect(g.every(Number.isFinite), `${what}: got [${g}], must be finite`).toBe(true);
  expect(maxRelativeError(g, flat(want)), `${what}: got [${g}], want [${flat(want)}]`).toBeLessThanOrEqual(
    tolerance,
  );
}

type GradResult = { value: Value; grad: Record<string, Value> };

/**
 * Compiles `source` (one function `f`), and checks at `args`: the value, the
 * gradient from `fGrad` and the vector–Jacobian product for `seed` from
 * `fForward`/`fBackward` (expected: `seed` times the gradient for a scalar
 * result, or `vjp` if given).
 */
async function expectDerivatives(spec: {
  source: string;
  args: Value[];
  value: Value;
  grad?: Record<string, Value>;
  seed?: Value;
  vjp?: Record<string, Value>;
  exact: boolean;
  tolerance?: number;
}): Promise<void> {
  const m = await moduleFor(spec.source);
  const check = (got: Value, want: Value, what: string) =>
    spec.exact ? expectExactly(got, want, what) : expectClose(got, want, what, spec.tolerance);
  check(m.f!(...spec.args) as Value, spec.value, "f value");
  if (spec.grad !== undefined) {
    const { value, grad } = m.fGrad!(...spec.args) as GradResult;
    check(value, spec.value, "fGrad value");
    for (const [name, want] of Object.entries(spec.grad)) check(grad[name]!, want, `fGrad grad.${name}`);
  }
  const seed = spec.seed ?? 2;
  const vjp =
    spec.vjp ??
    Object.fromEntries(
      Object.entries(spec.grad ?? {}).map(([name, g]) => [
        name,
        typeof g === "number" ? g * (seed as number) : g.map((v) => v * (seed as number)),
      ]),
    );
  const { value, tape } = m.fForward!(...spec.args) as { value: Value; tape: unknown };
  check(value, spec.value, "fForward value");
  const back = m.fBackward!(tape, seed) as Record<string, Value>;
  for (const [name, want] of Object.entries(vjp))
    check(back[name]!, want, `fBackward(seed ${flat(seed)}).${name}`);
}

const v = (...xs: number[]) => Float64Array.from(xs);

describe("adjoints of a value used several times are summed", () => {
  const closedForm = (x: number) => 2 * x + 2 * x * Math.cos(x * x) + 1;
  const f1 = (x: number) => x * x + Math.sin(x * x) + x;

  it.each([-1.7, -0.3, 0.4, 1.3])("y = x * x; y + sin(y) + x at x = %d", async (x) => {
    await expectDerivatives({
      source: "fn f(x: real) -> real {\n  y = x * x\n  return y + sin(y) + x\n}",
      args: [x],
      value: f1(x),
      grad: { x: closedForm(x) },
      exact: false,
    });
  });

  it.each([1, 3, 7])("vector version, n = %d", async (n) => {
    const x = randomVector(random(n), n);
    await expectDerivatives({
      source: "fn f(x: real[n]) -> real {\n  y = x * x\n  return sum(y + sin(y) + x)\n}",
      args: [x],
      value: x.reduce((s, t) => s + f1(t), 0),
      grad: { x: x.map(closedForm) },
      exact: false,
    });
  });

  it.each([1, 3, 7])("vector-valued version with a random seed, n = %d", async (n) => {
    const rand = random(100 + n);
    const x = randomVector(rand, n);
    const seed = randomVector(rand, n);
    await expectDerivatives({
      source: "fn f(x: real[n]) -> real[n] {\n  y = x * x\n  return y + sin(y) + x\n}",
      args: [x],
      value: x.map(f1),
      seed,
      vjp: { x: x.map((t, i) => seed[i]! * closedForm(t)) },
      exact: false,
    });
  });

  it.each([1, 3, 7])("s = sum(x) used in a broadcast and a product: f = 2 s², n = %d", async (n) => {
    const x = randomVector(random(200 + n), n);
    const s = x.reduce((a, b) => a + b, 0);
    await expectDerivatives({
      source: "fn f(x: real[n]) -> real {\n  s = sum(x)\n  y = x * s\n  return sum(y) + s * s\n}",
      args: [x],
      value: 2 * s * s,
      grad: { x: x.map(() => 4 * s) },
      exact: false,
    });
  });

  it.each([-1.5, 0.7])("x * x * x has derivative 3x² at x = %d", async (x) => {
    await expectDerivatives({
      source: "fn f(x: real) = x * x * x",
      args: [x],
      value: x ** 3,
      grad: { x: 3 * x * x },
      exact: false,
    });
  });

  it.each([1, 3, 7])("dot(x, x) + x @ x has gradient 4x, n = %d", async (n) => {
    const x = randomVector(random(300 + n), n);
    await expectDerivatives({
      source: "fn f(x: real[n]) = dot(x, x) + x @ x",
      args: [x],
      value: 2 * x.reduce((a, b) => a + b * b, 0),
      grad: { x: x.map((t) => 4 * t) },
      exact: false,
    });
  });

  it("d/dx (x + x²) = 1 + 2x and d/dx sin(x + x²) = cos(x + x²)(1 + 2x) (paper)", async () => {
    const x = 0.8;
    await expectDerivatives({
      source: "fn f(x: real) = x + x^2",
      args: [x],
      value: x + x * x,
      grad: { x: 1 + 2 * x },
      exact: false,
    });
    await expectDerivatives({
      source: "fn f(x: real) = sin(x + x^2)",
      args: [x],
      value: Math.sin(x + x * x),
      grad: { x: Math.cos(x + x * x) * (1 + 2 * x) },
      exact: false,
    });
  });
});

describe("derivative conventions at kinks (exact)", () => {
  it.each([
    { source: "fn f(z: real) = max(0, z)", value: 0, d: 0 },
    { source: "fn f(z: real) = max(z, 0)", value: 0, d: 1 },
    { source: "fn f(z: real) = min(0, z)", value: 0, d: 0 },
    { source: "fn f(z: real) = min(z, 0)", value: 0, d: 1 },
    { source: "fn f(z: real) = relu(z)", value: 0, d: 0 },
    { source: "fn f(z: real) = abs(z)", value: 0, d: 0 },
    { source: "fn f(z: real) = sign(z)", value: 0, d: 0 },
  ])("$source at z = 0 has derivative $d", async ({ source, value, d }) => {
    await expectDerivatives({ source, args: [0], value, grad: { z: d }, exact: true });
  });

  it.each([
    { source: "fn f(z: real[n]) = sum(max(0, z))", d: 0 },
    { source: "fn f(z: real[n]) = sum(max(z, 0))", d: 1 },
    { source: "fn f(z: real[n]) = sum(min(0, z))", d: 0 },
    { source: "fn f(z: real[n]) = sum(min(z, 0))", d: 1 },
    { source: "fn f(z: real[n]) = sum(relu(z))", d: 0 },
    { source: "fn f(z: real[n]) = sum(abs(z))", d: 0 },
    { source: "fn f(z: real[n]) = sum(sign(z))", d: 0 },
    { source: "fn f(z: real[n]) = norm1(z)", d: 0 },
  ])("$source at z = 0⃗ has gradient $d everywhere", async ({ source, d }) => {
    await expectDerivatives({ source, args: [v(0, 0, 0)], value: 0, grad: { z: v(d, d, d) }, exact: true });
  });

  it("max(0, z) with a tie at one element, vector result, random seed", async () => {
    const seed = v(0.5, -2, 3);
    await expectDerivatives({
      source: "fn f(z: real[n]) = max(0, z)",
      args: [v(-1, 0, 2)],
      value: v(0, 0, 2),
      seed,
      vjp: { z: v(0, 0, 3) },
      exact: true,
    });
    await expectDerivatives({
      source: "fn f(z: real[n]) = max(z, 0)",
      args: [v(-1, 0, 2)],
      value: v(0, 0, 2),
      seed,
      vjp: { z: v(0, -2, 3) },
      exact: true,
    });
  });

  it("max(a, b) with a tie between active arguments sends the derivative to a", async () => {
    await expectDerivatives({
      source: "fn f(a: real, b: real) = max(a, b)",
      args: [1.5, 1.5],
      value: 1.5,
      grad: { a: 1, b: 0 },
      exact: true,
    });
    await expectDerivatives({
      source: "fn f(a: real, b: real) = min(a, b)",
      args: [1.5, 1.5],
      value: 1.5,
      grad: { a: 1, b: 0 },
      exact: true,
    });
  });

  it("reductions max/min with ties send the derivative to the first extreme element", async () => {
    await expectDerivatives({
      source: "fn f(x: real[n]) = max(x)",
      args: [v(1, 3, 3, 2)],
      value: 3,
      grad: { x: v(0, 1, 0, 0) },
      exact: true,
    });
    await expectDerivatives({
      source: "fn f(x: real[n]) = min(x)",
      args: [v(2, -1, 0, -1)],
      value: -1,
      grad: { x: v(0, 1, 0, 0) },
      exact: true,
    });
    await expectDerivatives({
      source: "fn f(x: real[n]) = max(x)",
      args: [v(5, 5, 5)],
      value: 5,
      grad: { x: v(1, 0, 0) },
      exact: true,
    });
  });
});

describe("where never lets the branch not taken reach the derivative (exact)", () => {
  it("where(x > 0, sqrt(x), 0) at x = -1 has gradient 0, not NaN", async () => {
    await expectDerivatives({
      source: "fn f(x: real) = where(x > 0, sqrt(x), 0)",
      args: [-1],
      value: 0,
      grad: { x: 0 },
      exact: true,
    });
  });

  it("where(x != 0, 1 / x, 0) at x = 0 has gradient 0", async () => {
    await expectDerivatives({
      source: "fn f(x: real) = where(x != 0, 1 / x, 0)",
      args: [0],
      value: 0,
      grad: { x: 0 },
      exact: true,
    });
  });

  it("where(x > 0, log(x), x) at x = -1 has gradient 1", async () => {
    await expectDerivatives({
      source: "fn f(x: real) = where(x > 0, log(x), x)",
      args: [-1],
      value: -1,
      grad: { x: 1 },
      exact: true,
    });
  });

  it("vector: sum(where(x > 0, sqrt(x), 0)) at [-1, 4, 0]", async () => {
    await expectDerivatives({
      source: "fn f(x: real[n]) = sum(where(x > 0, sqrt(x), 0))",
      args: [v(-1, 4, 0)],
      value: 2,
      grad: { x: v(0, 0.25, 0) },
      exact: true,
    });
  });

  it("vector result: where(x != 0, 1 / x, 0) at [0, 2] with seed [3, 4]", async () => {
    await expectDerivatives({
      source: "fn f(x: real[n]) = where(x != 0, 1 / x, 0)",
      args: [v(0, 2)],
      value: v(0, 0.5),
      seed: v(3, 4),
      vjp: { x: v(0, -1) },
      exact: true,
    });
  });
});

describe("zero and tie special cases (exact)", () => {
  it.each([1, 3])("norm2 of the zero vector has value 0 and gradient 0⃗, n = %d", async (n) => {
    const zero = new Float64Array(n);
    await expectDerivatives({
      source: "fn f(x: real[n]) = norm2(x)",
      args: [zero],
      value: 0,
      grad: { x: new Float64Array(n) },
      exact: true,
    });
  });

  it("prod with one zero element: gradient is the product of the others", async () => {
    await expectDerivatives({
      source: "fn f(x: real[n]) = prod(x)",
      args: [v(2, 0, 3)],
      value: 0,
      grad: { x: v(0, 6, 0) },
      exact: true,
    });
    await expectDerivatives({
      source: "fn f(x: real[n]) = prod(x)",
      args: [v(0, -1.5, 4, 2)],
      value: 0,
      grad: { x: v(-12, 0, 0, 0) },
      exact: true,
    });
  });

  it("prod with two zero elements: gradient 0⃗", async () => {
    await expectDerivatives({
      source: "fn f(x: real[n]) = prod(x)",
      args: [v(0, 5, 0)],
      value: 0,
      grad: { x: v(0, 0, 0) },
      exact: true,
    });
  });

  it("prod of the single element 0: gradient 1", async () => {
    await expectDerivatives({
      source: "fn f(x: real[n]) = prod(x)",
      args: [v(0)],
      value: 0,
      grad: { x: v(1) },
      exact: true,
    });
  });
});

describe("numerical stability", () => {
  it("logsumexp([1000, 1000]) = 1000 + ln 2 with gradient [0.5, 0.5]", async () => {
    await expectDerivatives({
      source: "fn f(x: real[n]) = logsumexp(x)",
      args: [v(1000, 1000)],
      value: 1000 + Math.LN2,
      grad: { x: v(0.5, 0.5) },
      exact: false,
    });
  });

  it("logsumexp([-1000, -1000, -1000]) = -1000 + ln 3", async () => {
    await expectDerivatives({
      source: "fn f(x: real[n]) = logsumexp(x)",
      args: [v(-1000, -1000, -1000)],
      value: -1000 + Math.log(3),
      grad: { x: v(1 / 3, 1 / 3, 1 / 3) },
      exact: false,
    });
  });

  it("logsumexp([1000, 0]) = 1000 with gradient [1, 0]", async () => {
    await expectDerivatives({
      source: "fn f(x: real[n]) = logsumexp(x)",
      args: [v(1000, 0)],
      value: 1000,
      grad: { x: v(1, 0) },
      exact: false,
    });
  });

  it.each([
    { source: "fn f(x: real) = sigmoid(x)", x: 1000, value: 1, d: 0 },
    { source: "fn f(x: real) = sigmoid(x)", x: -1000, value: 0, d: 0 },
    { source: "fn f(x: real) = softplus(x)", x: 1000, value: 1000, d: 1 },
    { source: "fn f(x: real) = softplus(x)", x: -1000, value: 0, d: 0 },
  ])("$source at $x is $value with derivative $d, all finite", async ({ source, x, value, d }) => {
    // Values round to the limits exactly in double precision (e.g. e^-1000 underflows).
    await expectDerivatives({ source, args: [x], value, grad: { x: d }, exact: false });
  });

  it("sigmoid and softplus at [1000, -1000], vector, random seed", async () => {
    const seed = v(0.7, -1.3);
    await expectDerivatives({
      source: "fn f(x: real[n]) = sigmoid(x)",
      args: [v(1000, -1000)],
      value: v(1, 0),
      seed,
      vjp: { x: v(0, 0) },
      exact: false,
    });
    await expectDerivatives({
      source: "fn f(x: real[n]) = softplus(x)",
      args: [v(1000, -1000)],
      value: v(1000, 0),
      seed,
      vjp: { x: v(0.7, 0) },
      exact: false,
    });
  });

  it("softmax([1000, -1000]) = [1, 0] with finite vector–Jacobian products", async () => {
    await expectDerivatives({
      source: "fn f(x: real[n]) = softmax(x)",
      args: [v(1000, -1000)],
      value: v(1, 0),
      seed: v(0.3, -2),
      vjp: { x: v(0, 0) },
      exact: false,
    });
  });

  it("softmax([1000, 1000]) = [0.5, 0.5]", async () => {
    // vjp = s ⊙ (seed − s·seed) = 0.5 * ([1, 3] − 2) = [-0.5, 0.5]
    await expectDerivatives({
      source: "fn f(x: real[n]) = softmax(x)",
      args: [v(1000, 1000)],
      value: v(0.5, 0.5),
      seed: v(1, 3),
      vjp: { x: v(-0.5, 0.5) },
      exact: false,
    });
  });

  it("log1p(1e-20) ≈ 1e-20 with derivative ≈ 1; expm1 likewise", async () => {
    for (const fn of ["log1p", "expm1"]) {
      const source = `fn f(x: real) = ${fn}(x)`;
      await expectDerivatives({ source, args: [1e-20], value: 1e-20, grad: { x: 1 }, exact: false });
      // maxRelativeError measures against max(1, |value|): also check the tiny value to full relative precision.
      const m = await moduleFor(source);
      const value = m.f!(1e-20) as number;
      expect(Math.abs(value / 1e-20 - 1), `${fn}(1e-20) = ${value}`).toBeLessThanOrEqual(1e-12);
    }
  });
});
