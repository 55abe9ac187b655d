// Forward mode (mode `jvp`) on every case of both primitive
// tables — test/support/primitive-cases.ts (scalars and vectors) and
// test/support/matrix-cases.ts (matrices) — each source compiled once with
// modes ["grad", "vjp", "jvp", "hessian"], at two sizes and two sample points per case (the
// same sample points test/primitives.test.ts and test/matrix-primitives.test.ts
// draw, so their `accept` filters keep them away from kinks and ties):
//  (a) `fJvp(args, tangent)`: its value equals `f(args)` exactly, and its
//      tangent equals the finite-difference Jacobian–vector product
//      Σ_p Σ_k ∂f/∂p_k · tangent.p_k along a random direction (same central
//      differences and relative tolerance 1e-6 as the tables);
//  (b) forward and reverse mode agree: ⟨u, J v⟩ = Σ_p ⟨vjpₚ(u), vₚ⟩, i.e.
//      Σ u ⊙ fJvp(args, v).tangent equals Σ_p ⟨fBackward(fForward(args).tape, u).p, v.p⟩
//      for random u (shaped like the result) and v, to 1e-10 relative;
//  (c) second derivatives, for a function that returns real: `fHvp(args, v).hvp`
//      equals the central difference of `fGrad` along v, (∇f(x + hv) − ∇f(x − hv)) / 2h,
//      to 1e-5 relative.
// Both checks also verify that the generated code leaves its arguments, the
// tangent and the seed untouched.
//
// Nothing is skipped: every case of both tables is a row of both checks. Cases
// with kinks (abs, max, relu, where, sign, …) are sampled through the tables'
// own `accept`/samplers, which keep points a margin away from the kink, so the
// finite differences are valid there; sign/where-style cases whose derivative
// is 0 almost everywhere are checked like any other (J v = 0 and Jᵀu = 0).

import { describe, expect, it } from "vitest";
import { load, type GeneratedModule } from "./support/load.js";
import {
  groups as matrixGroups,
  type MatrixCase,
  type Shape as MatrixShape,
  type Sizes,
} from "./support/matrix-cases.js";
import {
  copyValue,
  describeValue,
  flatM,
  maxRelativeError,
  numericJacobianColumnsM,
  random,
  randomLike,
  shapeOf,
  type MValue,
} from "./support/matrix-numeric.js";
import { groups as vectorGroups, type PrimitiveCase } from "./support/primitive-cases.js";

// ---------------------------------------------------------------- settings

const POINTS = 2;
const H = 1e-6;
/** Finite differences against generated derivatives: the tables' tolerance. */
const FD_TOLERANCE = 1e-6;
/** Two exact computations of the same bilinear form, differing only by rounding. */
const ADJOINT_TOLERANCE = 1e-10;
const MODES = ["grad", "vjp", "jvp", "hessian"] as const;
/** Second derivatives by differences of the gradient: coarser than first derivatives. */
const HESSIAN_TOLERANCE = 1e-5;
const H2 = 1e-5;

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

// ---------------------------------------------------------------- one view of both tables

interface Run {
  /** `n=3`, `m=2,n=3` or `fixed`. */
  readonly sizes: string;
  /** The arguments at sample point `point` (deterministic). */
  readonly sample: (point: number) => MValue[];
}

interface Case {
  readonly name: string;
  readonly source: string;
  readonly params: readonly { readonly name: string; readonly wrt: boolean }[];
  readonly runs: readonly Run[];
}

/** Scalar/vector cases at n = 1 and n = 3 (or once, when no parameter uses n). */
function fromVectorCase(c: PrimitiveCase): Case {
  const usesSize = c.params.some((p) => p.shape === "n");
  const sizes = usesSize ? [1, 3] : [1];
  return {
    name: c.name,
    source: c.source,
    params: c.params.map((p) => ({ name: p.name, wrt: p.wrt !== false })),
    runs: sizes.map((n) => ({
      sizes: usesSize ? `n=${n}` : "fixed",
      // As test/primitives.test.ts draws them.
      sample: (point) => {
        const rand = random(hash(`${c.name}|${n}|${point}`));
        for (let attempt = 0; attempt < 1000; attempt++) {
          const args = c.params.map((p): number | Float64Array => {
            if (p.shape === "real") return p.sample(rand, 0, point);
            const size = p.shape === "n" ? n : p.shape;
            return Float64Array.from({ length: size }, (_, k) => p.sample(rand, k, point));
          });
          if (c.accept === undefined || c.accept(args)) return args;
        }
        throw new Error(`${c.name}: no acceptable sample point at n = ${n}`);
      },
    })),
  };
}

function resolve(dim: string | number, sizes: Sizes, c: MatrixCase): number {
  if (typeof dim === "number") return dim;
  const n = sizes[dim];
  if (n === undefined) throw new Error(`${c.name}: no size for dimension ${dim}`);
  return n;
}

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

function draw(
  shape: MatrixShape,
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

/**
 * Matrix cases at two of their sizes: the middle and the last of the table's
 * list (2×3 and 3×3 for general shapes, 3×3 and 4×4 for square-only ones).
 */
function fromMatrixCase(c: MatrixCase): Case {
  const picked = [...new Set([c.sizes[Math.floor(c.sizes.length / 2)]!, c.sizes[c.sizes.length - 1]!])];
  return {
    name: c.name,
    source: c.source,
    params: c.params.map((p) => ({ name: p.name, wrt: p.wrt !== false })),
    runs: picked.map((sizes) => ({
      sizes: sizesLabel(c, sizes),
      // As test/matrix-primitives.test.ts draws them.
      sample: (point) => {
        const rand = random(hash(`${c.name}|${sizesLabel(c, sizes)}|${point}`));
        for (let attempt = 0; attempt < 1000; attempt++) {
          const args = c.params.map((q): MValue =>
            draw(q.shape, sizes, c, (at) => q.sample(rand, at, point)),
          );
          if (c.accept === undefined || c.accept(args)) return args;
        }
        throw new Error(`${c.name}: no acceptable sample point at ${sizesLabel(c, sizes)}`);
      },
    })),
  };
}

const groups: { title: string; cases: Case[] }[] = [
  ...vectorGroups.map((g) => ({
    title: `scalars and vectors: ${g.title}`,
    cases: g.cases.map(fromVectorCase),
  })),
  ...matrixGroups.map((g) => ({ title: `matrices: ${g.title}`, cases: g.cases.map(fromMatrixCase) })),
];

// ---------------------------------------------------------------- modules

/**
 * Every source is compiled (with modes grad, vjp, jvp and hessian) and imported once, all
 * started up front so compilation overlaps; each test awaits its own module,
 * so a compile failure fails exactly the rows of that source.
 */
const modules = new Map<string, Promise<GeneratedModule>>();
for (const g of groups) {
  for (const c of g.cases) {
    if (modules.has(c.source)) continue;
    const m = load(c.source, { modes: [...MODES] });
    m.catch(() => undefined); // reported by the tests that await it
    modules.set(c.source, m);
  }
}

// ---------------------------------------------------------------- helpers

type Fn = (...args: unknown[]) => unknown;

function wrtOf(c: Case): { name: string; index: number }[] {
  return c.params.flatMap((p, index) => (p.wrt ? [{ name: p.name, index }] : []));
}

function describeArgs(c: Case, args: readonly MValue[]): string {
  return args.map((a, i) => `${c.params[i]!.name} = ${describeValue(a)}`).join(", ");
}

/** Runs `body` and checks it modified none of `values`. */
function unmodified<T>(values: readonly MValue[], what: string, body: () => T): T {
  const before = values.map(copyValue);
  const result = body();
  values.forEach((a, i) => {
    expect(flatM(a), `${what} must not modify its input ${i}`).toEqual(flatM(before[i]!));
  });
  return result;
}

/** A random direction for every `wrt` parameter, shaped like it. */
function randomDirection(c: Case, args: readonly MValue[], rand: () => number): Record<string, MValue> {
  return Object.fromEntries(wrtOf(c).map(({ name, index }) => [name, randomLike(rand, args[index]!)]));
}

const dotFlat = (a: readonly number[], b: readonly number[]): number =>
  a.reduce((s, x, i) => s + x * b[i]!, 0);

// ---------------------------------------------------------------- (a) fJvp against f and finite differences

async function checkJvp(c: Case, run: Run): Promise<void> {
  const m = await modules.get(c.source)!;
  expect(typeof m.fJvp, "fJvp is exported").toBe("function");
  const f = m.f as (...args: MValue[]) => MValue;
  const fJvp = m.fJvp as Fn;
  const wrt = wrtOf(c);
  for (let point = 0; point < POINTS; point++) {
    const args = run.sample(point);
    const direction = randomDirection(c, args, random(hash(`direction|${c.name}|${run.sizes}|${point}`)));
    const where = `${c.name} at (${describeArgs(c, args)}), tangent ${JSON.stringify(
      Object.fromEntries(Object.entries(direction).map(([k, d]) => [k, describeValue(d)])),
    )}`;
    const value = f(...args);
    const directionValues = Object.values(direction);
    const result = unmodified([...args, ...directionValues], "fJvp", () => fJvp(...args, direction)) as {
      value: MValue;
      tangent: MValue;
    };
    expect(Object.keys(result).sort(), `fJvp result keys, ${where}`).toEqual(["tangent", "value"]);
    expect(shapeOf(result.value), `fJvp value shape, ${where}`).toBe(shapeOf(value));
    expect(flatM(result.value), `fJvp value equals f, ${where}`).toEqual(flatM(value));
    expect(shapeOf(result.tangent), `fJvp tangent shape (like the result), ${where}`).toBe(shapeOf(value));
    // J v by central differences, column by column as the tables take them.
    const want = new Array<number>(flatM(value).length).fill(0);
    for (const { name, index } of wrt) {
      const columns = numericJacobianColumnsM(f, args, index, H);
      const v = flatM(direction[name]!);
      columns.forEach((column, k) => column.forEach((d, i) => (want[i] = want[i]! + d * v[k]!)));
    }
    const got = flatM(result.tangent);
    expect(
      maxRelativeError(got, want),
      `fJvp tangent, ${where}: got [${got}], finite differences [${want}]`,
    ).toBeLessThanOrEqual(FD_TOLERANCE);
  }
}

// ---------------------------------------------------------------- (b) ⟨u, J v⟩ = ⟨Jᵀ u, v⟩

async function checkAdjoint(c: Case, run: Run): Promise<void> {
  const m = await modules.get(c.source)!;
  const f = m.f as (...args: MValue[]) => MValue;
  const wrt = wrtOf(c);
  for (let point = 0; point < POINTS; point++) {
    const args = run.sample(point);
    const rand = random(hash(`adjoint|${c.name}|${run.sizes}|${point}`));
    const v = randomDirection(c, args, rand);
    const u = randomLike(rand, f(...args));
    const where = `${c.name} at (${describeArgs(c, args)}), u = ${describeValue(u)}, v = ${JSON.stringify(
      Object.fromEntries(Object.entries(v).map(([k, d]) => [k, describeValue(d)])),
    )}`;
    const { tangent } = unmodified([...args, ...Object.values(v)], "fJvp", () =>
      (m.fJvp as Fn)(...args, v),
    ) as { tangent: MValue };
    const { tape } = (m.fForward as Fn)(...args) as { tape: unknown };
    const back = unmodified([...args, u], "fBackward", () => (m.fBackward as Fn)(tape, u)) as Record<
      string,
      MValue
    >;
    expect(Object.keys(back).sort(), `fBackward keys, ${where}`).toEqual(wrt.map((w) => w.name).sort());
    const uFlat = flatM(u);
    const Jv = flatM(tangent);
    const lhs = dotFlat(uFlat, Jv);
    let rhs = 0;
    for (const { name } of wrt) {
      const g = flatM(back[name]!);
      const d = flatM(v[name]!);
      expect(g.length, `fBackward(...).${name} size, ${where}`).toBe(d.length);
      rhs += dotFlat(g, d);
    }
    // Relative as everywhere else: |lhs − rhs| / max(1, |lhs|, |rhs|).
    expect(
      maxRelativeError([lhs], [rhs]),
      `⟨u, J v⟩ = ${lhs} (forward) vs ⟨Jᵀ u, v⟩ = ${rhs} (reverse), ${where}`,
    ).toBeLessThanOrEqual(ADJOINT_TOLERANCE);
  }
}

// ---------------------------------------------------------------- (c) fHvp against differences of fGrad

async function checkHvp(c: Case, run: Run): Promise<void> {
  const m = await modules.get(c.source)!;
  const f = m.f as (...args: MValue[]) => MValue;
  const wrt = wrtOf(c);
  for (let point = 0; point < POINTS; point++) {
    const args = run.sample(point);
    if (typeof f(...args) !== "number") return; // Hessians are for functions that return real
    const v = randomDirection(c, args, random(hash(`hvp|${c.name}|${run.sizes}|${point}`)));
    const where = `${c.name} at (${describeArgs(c, args)}), direction ${JSON.stringify(
      Object.fromEntries(Object.entries(v).map(([k, d]) => [k, describeValue(d)])),
    )}`;
    const { hvp } = unmodified([...args, ...Object.values(v)], "fHvp", () => (m.fHvp as Fn)(...args, v)) as {
      hvp: Record<string, MValue>;
    };
    // H v = (∇f(x + h v) − ∇f(x − h v)) / 2h.
    const shifted = (sign: number) =>
      args.map((a, i) => {
        const p = wrt.find((w) => w.index === i);
        if (p === undefined) return a;
        const d = flatM(v[p.name]!);
        const entries = flatM(a).map((x, k) => x + sign * H2 * d[k]!);
        if (typeof a === "number") return entries[0]!;
        if (a instanceof Float64Array) return Float64Array.from(entries);
        return { rows: a.rows, cols: a.cols, data: Float64Array.from(entries) };
      });
    const plus = (m.fGrad as Fn)(...shifted(1)) as { grad: Record<string, MValue> };
    const minus = (m.fGrad as Fn)(...shifted(-1)) as { grad: Record<string, MValue> };
    for (const { name } of wrt) {
      const want = flatM(plus.grad[name]!).map((g, k) => (g - flatM(minus.grad[name]!)[k]!) / (2 * H2));
      const got = flatM(hvp[name]!);
      expect(
        maxRelativeError(got, want),
        `fHvp(...).hvp.${name}, ${where}: got [${got}], differences of fGrad [${want}]`,
      ).toBeLessThanOrEqual(HESSIAN_TOLERANCE);
    }
  }
}

// ---------------------------------------------------------------- the rows

describe.each(groups.map((g) => [g.title, g.cases] as const))("%s", (_title, cases) => {
  const rows = cases.flatMap((c) =>
    c.runs.flatMap((run) => [
      [`${c.name} | ${run.sizes} | jvp vs finite differences`, () => checkJvp(c, run)] as const,
      [`${c.name} | ${run.sizes} | ⟨u, J v⟩ = ⟨Jᵀ u, v⟩`, () => checkAdjoint(c, run)] as const,
      [`${c.name} | ${run.sizes} | hvp vs differences of the gradient`, () => checkHvp(c, run)] as const,
    ]),
  );
  // Labelled through %s: vitest truncates `$label` interpolations to 40 characters.
  it.each(rows)("%s", async (_label, check) => {
    await check();
  });
});

it("covers every case of both tables", () => {
  const total =
    vectorGroups.reduce((s, g) => s + g.cases.length, 0) +
    matrixGroups.reduce((s, g) => s + g.cases.length, 0);
  expect(groups.reduce((s, g) => s + g.cases.length, 0)).toBe(total);
  expect(groups.every((g) => g.cases.every((c) => c.runs.length > 0))).toBe(true);
});
