// Modes `jacobian` and `hessian`: `fJacobian` in numerator
// layout (rows = flattened outputs, columns = flattened parameter, row-major;
// a scalar parameter is one column) against the closed forms of Parr & Howard
// (examples/paper.grad) and others, by forward sweeps (more outputs than
// inputs) and by reverse sweeps (fewer outputs); `fHessian` and `fHvp` against
// closed forms (x'Ax, logistic regression) and finite differences of `fGrad`
// (a small tanh network), symmetry of every Hessian, and hvp = H · d. Then:
// `modes` emits only the requested functions, and the code generated for all
// five modes typechecks under the strict settings of docs/generated-api.md.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { main } from "../compiler/cli.js";
import { compile } from "../compiler/index.js";
import type { Matrix } from "../runtime/index.js";
import { compileOrThrow, load, type GeneratedModule } from "./support/load.js";
import {
  copyValue,
  describeValue,
  flatM,
  makeMatrix,
  maxRelativeError,
  numericJacobianColumnsM,
  random,
  randomMatrix,
  shapeOf,
  sizeOfValue,
  uniform,
  type MValue,
} from "./support/matrix-numeric.js";
import { randomVector } from "./support/numeric.js";
import { typecheck } from "./support/typecheck.js";

// ---------------------------------------------------------------- helpers

type Fn = (...args: unknown[]) => any; // eslint-disable-line @typescript-eslint/no-explicit-any
type Jacobian = { value: MValue; jacobian: Record<string, Matrix> };
type HessianResult = { value: number; grad: Record<string, MValue>; hessian: Matrix };
type HvpResult = { value: number; grad: Record<string, MValue>; hvp: Record<string, MValue> };

const v = (...xs: number[]) => Float64Array.from(xs);

function rowsOf(A: Matrix): number[][] {
  return Array.from({ length: A.rows }, (_, i) => Array.from(A.data.subarray(i * A.cols, (i + 1) * A.cols)));
}

function fromRows(rows: readonly (readonly number[])[]): Matrix {
  return makeMatrix(rows.length, rows[0]!.length, rows.flat());
}

function diag(d: ArrayLike<number>): Matrix {
  const n = d.length;
  return makeMatrix(
    n,
    n,
    Array.from({ length: n * n }, (_, k) => (Math.floor(k / n) === k % n ? d[Math.floor(k / n)]! : 0)),
  );
}

function column(c: ArrayLike<number>): Matrix {
  return makeMatrix(c.length, 1, Array.from(c));
}

/** A Matrix's size and every entry within `tolerance` (relative: |a − b| / max(1, |a|, |b|)). */
function expectMatrix(got: unknown, want: Matrix, what: string, tolerance = 1e-12): void {
  expect(shapeOf(got), `${what}: shape`).toBe(shapeOf(want));
  const g = got as Matrix;
  expect(g.data, `${what}: data`).toBeInstanceOf(Float64Array);
  expect(
    maxRelativeError(Array.from(g.data), Array.from(want.data)),
    `${what}: got ${JSON.stringify(rowsOf(g))}, want ${JSON.stringify(rowsOf(want))}`,
  ).toBeLessThanOrEqual(tolerance);
}

function expectValue(got: unknown, want: MValue, what: string, tolerance = 1e-12): void {
  expect(shapeOf(got), `${what}: shape`).toBe(shapeOf(want));
  expect(
    maxRelativeError(flatM(got as MValue), flatM(want)),
    `${what}: got ${describeValue(got as MValue)}, want ${describeValue(want)}`,
  ).toBeLessThanOrEqual(tolerance);
}

/** The Jacobian of `f` with respect to argument `arg` by central differences, in numerator layout. */
function numericJacobian(f: Fn, args: readonly MValue[], arg: number, h = 1e-6): Matrix {
  const columns = numericJacobianColumnsM(f as (...a: MValue[]) => MValue, args, arg, h);
  const rows = columns[0]!.length;
  return makeMatrix(
    rows,
    columns.length,
    Array.from(
      { length: rows * columns.length },
      (_, k) => columns[k % columns.length]![Math.floor(k / columns.length)]!,
    ),
  );
}

/** Calls `fJacobian`, checks it leaves its arguments alone and its value is `f`'s. */
function jacobianOf(m: GeneratedModule, name: string, args: readonly MValue[]): Record<string, Matrix> {
  const before = args.map(copyValue);
  const { value, jacobian } = (m[`${name}Jacobian`] as Fn)(...args) as Jacobian;
  args.forEach((a, i) =>
    expect(flatM(a), `${name}Jacobian must not modify argument ${i}`).toEqual(flatM(before[i]!)),
  );
  expect(flatM(value), `${name}Jacobian value equals ${name}`).toEqual(
    flatM((m[name] as Fn)(...args) as MValue),
  );
  return jacobian;
}

// ---------------------------------------------------------------- Jacobians: the paper

describe("Jacobians of the paper's examples (examples/paper.grad, modes [jacobian])", () => {
  let m: GeneratedModule;
  beforeAll(async () => {
    const source = readFileSync(new URL("../examples/paper.grad", import.meta.url), "utf8");
    m = await load(source, { filename: "paper.grad", modes: ["jacobian"] });
  });

  const pairs = [
    [1, 2],
    [-0.5, 1.5],
    [2, -1],
    [0.3, 0.7],
  ] as const;
  it.each(pairs)("[f, g] of v = [x, y] has Jacobian [[6yx, 3x²], [2, 8y⁷]] at (%d, %d)", (x, y) => {
    const J = jacobianOf(m, "fg", [v(x, y)]);
    expect(Object.keys(J)).toEqual(["v"]);
    expectMatrix(
      J.v,
      fromRows([
        [6 * y * x, 3 * x * x],
        [2, 8 * y ** 7],
      ]),
      "∂[f, g]/∂v",
    );
  });

  describe.each([1, 4])("element-wise binary operators, n = %d", (n) => {
    const rand = random(40 + n);
    const w = randomVector(rand, n);
    const x = Float64Array.from({ length: n }, () => (rand() < 0.5 ? -1 : 1) * uniform(rand, 0.5, 2));
    const I = diag(new Float64Array(n).fill(1));
    const cases = [
      { fn: "vadd", op: "w + x", w: I, x: I },
      { fn: "vsub", op: "w − x", w: I, x: diag(new Float64Array(n).fill(-1)) },
      { fn: "vmul", op: "w ⊙ x", w: diag(x), x: diag(w) },
      { fn: "vdiv", op: "w ⊘ x", w: diag(x.map((t) => 1 / t)), x: diag(w.map((t, i) => -t / x[i]! ** 2)) },
    ];
    it.each(cases)("$op: ∂/∂w and ∂/∂x are the closed-form diagonals", ({ fn, w: dw, x: dx }) => {
      const J = jacobianOf(m, fn, [w, x]);
      expect(Object.keys(J).sort()).toEqual(["w", "x"]);
      expectMatrix(J.w, dw, `${fn}: ∂/∂w`);
      expectMatrix(J.x, dx, `${fn}: ∂/∂x`);
    });

    it("x + z and x ⊙ z with respect to scalar z are 1⃗ and x (one column); w.r.t. x, I and I z", () => {
      const z = -1.3;
      const add = jacobianOf(m, "addScalar", [w, z]);
      expectMatrix(add.z, column(new Float64Array(n).fill(1)), "addScalar: ∂/∂z");
      expectMatrix(add.x, diag(new Float64Array(n).fill(1)), "addScalar: ∂/∂x");
      const mul = jacobianOf(m, "mulScalar", [w, z]);
      expectMatrix(mul.z, column(w), "mulScalar: ∂/∂z");
      expectMatrix(mul.x, diag(new Float64Array(n).fill(z)), "mulScalar: ∂/∂x");
    });
  });

  it.each([-1.7, -0.3, 0.4, 1.3, 2.5])(
    "vector chain rule: y = [ln(x²), sin(3x)] → [2/x, 3cos(3x)]ᵀ at x = %d",
    (x) => {
      // Two outputs, one input: a forward sweep.
      const J = jacobianOf(m, "vectorChain", [x]);
      expectMatrix(J.x, column([2 / x, 3 * Math.cos(3 * x)]), "∂y/∂x");
    },
  );

  it("scalar results: the Jacobian is one row, the gradient (dot product ∂/∂w = xᵀ, ∂/∂x = wᵀ)", () => {
    const rand = random(7);
    const w = randomVector(rand, 5);
    const x = randomVector(rand, 5);
    const J = jacobianOf(m, "dotProduct", [w, x]);
    expectMatrix(J.w, makeMatrix(1, 5, x), "∂(w·x)/∂w");
    expectMatrix(J.x, makeMatrix(1, 5, w), "∂(w·x)/∂x");
  });
});

// ---------------------------------------------------------------- Jacobians: sweeps, element-wise, matrices

const jacobianSource = `
fn fwd(x: real) -> real[5] = [x, x^2, sin(x), exp(x), 1 / x]
fn rev(x: real[5]) -> real[2] = [sum(x^2), prod(x)]
fn grow(A: real[2, 2], s: real) -> real[3, 3] = outer([A[0, 0], A[0, 1], s], [A[1, 0], A[1, 1], s * s])
fn ew(v: real[n]) = exp(v) * 2
fn Ax(A: real[2, 3], x: real[3]) -> real[2] = A @ x
fn mm(A: real[n, n], B: real[n, n]) -> real[n, n] = A @ B' + inv(A)
fn partial(x: real[n], c: real[n]) -> real[n] wrt x = c * sin(x)
`;

describe("Jacobians by forward and reverse sweeps, element-wise and matrix parameters (modes [jacobian])", () => {
  let m: GeneratedModule;
  beforeAll(async () => {
    m = await load(jacobianSource, { modes: ["jacobian"] });
  });

  it.each([-1.2, 0.4, 1.7])(
    "forward sweeps (5 outputs, 1 input): fn f(x: real) -> real[5] at x = %d",
    (x) => {
      const J = jacobianOf(m, "fwd", [x]);
      expectMatrix(J.x, column([1, 2 * x, Math.cos(x), Math.exp(x), -1 / (x * x)]), "∂f/∂x");
    },
  );

  it.each([1, 2, 3])(
    "reverse sweeps (2 outputs, 5 inputs): [sum(x²), prod(x)] → [2xᵀ; prod(x)/xᵢ], point %d",
    (seed) => {
      const x = Float64Array.from(randomVector(random(seed), 5), (t) => (t >= 0 ? t + 0.3 : t - 0.3));
      const p = x.reduce((a, b) => a * b, 1);
      const J = jacobianOf(m, "rev", [x]);
      expectMatrix(J.x, fromRows([Array.from(x, (t) => 2 * t), Array.from(x, (t) => p / t)]), "∂f/∂x");
    },
  );

  it("forward sweeps with a matrix result and a matrix and a scalar parameter (9 outputs, 5 inputs)", () => {
    const rand = random(11);
    const args: MValue[] = [randomMatrix(rand, 2, 2), uniform(rand, -2, 2)];
    const J = jacobianOf(m, "grow", args);
    expect(Object.keys(J).sort()).toEqual(["A", "s"]);
    expectMatrix(J.A, numericJacobian(m.grow, args, 0), "∂grow/∂A (rows: the 9 outputs row-major)", 1e-6);
    expectMatrix(J.s, numericJacobian(m.grow, args, 1), "∂grow/∂s (one column)", 1e-6);
    // Closed form of a few entries: output (i, j) = a_i b_j, a = [A00, A01, s], b = [A10, A11, s²].
    const [A, s] = args as [Matrix, number];
    const a = [A.data[0]!, A.data[1]!, s];
    const b = [A.data[2]!, A.data[3]!, s * s];
    const Js = rowsOf(J.s!).map((r) => r[0]!);
    // ∂(a₂ b₂)/∂s = ∂(s³)/∂s = 3s²; ∂(a₀ b₂)/∂s = 2 s a₀; ∂(a₂ b₀)/∂s = b₀.
    expect(Js[8]).toBeCloseTo(3 * s * s, 12);
    expect(Js[2]).toBeCloseTo(2 * s * a[0]!, 12);
    expect(Js[6]).toBeCloseTo(b[0]!, 12);
  });

  it.each([1, 4, 6])(
    "an element-wise function of a vector, exp(v) * 2, has the diagonal Jacobian diag(2 exp(v)), n = %d",
    (n) => {
      const x = randomVector(random(60 + n), n);
      const J = jacobianOf(m, "ew", [x]);
      expectMatrix(J.v, diag(x.map((t) => 2 * Math.exp(t))), "∂(2 exp(v))/∂v");
    },
  );

  it("A @ x with A: real[2, 3]: ∂/∂x = A, ∂/∂A has row i = x in columns 3i … 3i + 2", () => {
    const rand = random(5);
    const A = randomMatrix(rand, 2, 3);
    const x = randomVector(rand, 3);
    const J = jacobianOf(m, "Ax", [A, x]);
    expect(Object.keys(J).sort()).toEqual(["A", "x"]);
    expectMatrix(J.x, A, "∂(A x)/∂x");
    expectMatrix(
      J.A,
      fromRows([
        [x[0]!, x[1]!, x[2]!, 0, 0, 0],
        [0, 0, 0, x[0]!, x[1]!, x[2]!],
      ]),
      "∂(A x)/∂A",
    );
  });

  it.each([1, 2, 3])(
    "A @ B' + inv(A) (n × n result, two matrix parameters) against finite differences, n = %d",
    (n) => {
      const rand = random(80 + n);
      const A = makeMatrix(
        n,
        n,
        Array.from(
          { length: n * n },
          (_, k) => (Math.floor(k / n) === k % n ? n : 0) + uniform(rand, -0.5, 0.5),
        ),
      );
      const B = randomMatrix(rand, n, n);
      const J = jacobianOf(m, "mm", [A, B]);
      expectMatrix(J.A, numericJacobian(m.mm, [A, B], 0), "∂/∂A", 1e-6);
      expectMatrix(J.B, numericJacobian(m.mm, [A, B], 1), "∂/∂B", 1e-6);
      // ∂(A Bᵀ)_{ij}/∂B_{kl} = A_{il} δ_{jk}: exact part, at (i, j) = (0, 0), (k, l) = (0, l).
      for (let l = 0; l < n; l++) expect(J.B!.data[l]!).toBeCloseTo(A.data[l]!, 12);
    },
  );

  it("only `wrt` parameters get a Jacobian: c ⊙ sin(x) wrt x → diag(c ⊙ cos(x))", () => {
    const rand = random(9);
    const x = randomVector(rand, 4);
    const c = randomVector(rand, 4);
    const J = jacobianOf(m, "partial", [x, c]);
    expect(Object.keys(J)).toEqual(["x"]);
    expectMatrix(J.x, diag(x.map((t, i) => c[i]! * Math.cos(t))), "∂/∂x");
  });
});

// ---------------------------------------------------------------- Hessians

const hessianSource = `
fn quad(x: real[n], A: real[n, n]) -> real wrt x = x @ A @ x
fn logistic(w: real[d], X: real[N, d], y: real[N]) -> real wrt w = mean(softplus(-y * (X @ w)))
fn net(W: real[3, 2], v: real[3], X: real[N, 2], t: real[N]) -> real wrt W, v = sum((tanh(X @ W') @ v - t)^2)
fn mixed(x: real[n], s: real) = s^2 * sum(x^3) + sin(s)
fn callq(x: real[n]) = quad(x, outer(x, x) + eye(n)) + logdet(outer(x, x) + eye(n))
`;

/** Names of the `wrt` parameters of each function above, in parameter order, with their argument index. */
const wrtOf: Record<string, { name: string; index: number }[]> = {
  quad: [{ name: "x", index: 0 }],
  logistic: [{ name: "w", index: 0 }],
  net: [
    { name: "W", index: 0 },
    { name: "v", index: 1 },
  ],
  mixed: [
    { name: "x", index: 0 },
    { name: "s", index: 1 },
  ],
  callq: [{ name: "x", index: 0 }],
};

describe("Hessians (modes [grad, hessian])", () => {
  let m: GeneratedModule;
  beforeAll(async () => {
    m = await load(hessianSource, { modes: ["grad", "hessian"] });
  });

  /**
   * Calls `fHessian` and checks what every Hessian must satisfy: value and
   * grad equal `fGrad`'s, size = total wrt entries, symmetric to 1e-10, and
   * `fHvp(args, d).hvp` = H · d (split per parameter) for a random d.
   */
  function hessianOf(name: string, args: MValue[]): Matrix {
    const wrt = wrtOf[name]!;
    const before = args.map(copyValue);
    const { value, grad, hessian } = (m[`${name}Hessian`] as Fn)(...args) as HessianResult;
    args.forEach((a, i) =>
      expect(flatM(a), `${name}Hessian must not modify argument ${i}`).toEqual(flatM(before[i]!)),
    );
    const reference = (m[`${name}Grad`] as Fn)(...args) as { value: number; grad: Record<string, MValue> };
    expect(value, `${name}Hessian value`).toBe((m[name] as Fn)(...args));
    expect(Object.keys(grad).sort()).toEqual(wrt.map((w) => w.name).sort());
    for (const { name: p } of wrt)
      expectValue(grad[p], reference.grad[p]!, `${name}Hessian grad.${p}`, 1e-14);

    const size = wrt.reduce((s, { index }) => s + sizeOfValue(args[index]!), 0);
    expect([hessian.rows, hessian.cols], `${name}Hessian size`).toEqual([size, size]);
    let asymmetry = 0;
    for (let i = 0; i < size; i++)
      for (let j = 0; j < i; j++) {
        const a = hessian.data[i * size + j]!;
        const b = hessian.data[j * size + i]!;
        asymmetry = Math.max(asymmetry, Math.abs(a - b) / Math.max(1, Math.abs(a), Math.abs(b)));
      }
    expect(asymmetry, `${name}Hessian symmetric: ${JSON.stringify(rowsOf(hessian))}`).toBeLessThanOrEqual(
      1e-10,
    );

    // fHvp(args, d).hvp = H d, keyed and shaped like the parameters.
    const rand = random(size * 31 + name.length);
    const d: Record<string, MValue> = {};
    for (const { name: p, index } of wrt) {
      const a = args[index]!;
      d[p] =
        typeof a === "number"
          ? uniform(rand, -1.5, 1.5)
          : a instanceof Float64Array
            ? randomVector(rand, a.length, -1.5, 1.5)
            : randomMatrix(rand, a.rows, a.cols, -1.5, 1.5);
    }
    const dFlat = wrt.flatMap(({ name: p }) => flatM(d[p]!));
    const Hd = Array.from({ length: size }, (_, i) =>
      dFlat.reduce((s, x, j) => s + hessian.data[i * size + j]! * x, 0),
    );
    const hvpResult = (m[`${name}Hvp`] as Fn)(...args, d) as HvpResult;
    expect(hvpResult.value, `${name}Hvp value`).toBe(value);
    for (const { name: p } of wrt)
      expectValue(hvpResult.grad[p], reference.grad[p]!, `${name}Hvp grad.${p}`, 1e-14);
    expect(Object.keys(hvpResult.hvp).sort()).toEqual(wrt.map((w) => w.name).sort());
    let offset = 0;
    for (const { name: p, index } of wrt) {
      const k = sizeOfValue(args[index]!);
      expect(shapeOf(hvpResult.hvp[p]), `${name}Hvp hvp.${p} shape`).toBe(shapeOf(args[index]!));
      const want = Hd.slice(offset, offset + k);
      expect(
        maxRelativeError(flatM(hvpResult.hvp[p]!), want),
        `${name}Hvp(d).hvp.${p} = [${flatM(hvpResult.hvp[p]!)}], H·d = [${want}]`,
      ).toBeLessThanOrEqual(1e-12);
      offset += k;
    }
    return hessian;
  }

  /** The Hessian by central differences of `fGrad` (the wrt parameters flattened in order). */
  function numericHessian(name: string, args: readonly MValue[], h = 1e-5): Matrix {
    const wrt = wrtOf[name]!;
    const gradient = (at: MValue[]): number[] => {
      const { grad } = (m[`${name}Grad`] as Fn)(...at) as { grad: Record<string, MValue> };
      return wrt.flatMap(({ name: p }) => flatM(grad[p]!));
    };
    const columns: number[][] = [];
    for (const { index } of wrt) {
      for (let k = 0; k < sizeOfValue(args[index]!); k++) {
        const at = (delta: number): { g: number[]; step: number } => {
          const moved = args.map(copyValue);
          const a = moved[index]!;
          const entry = typeof a === "number" ? a : a instanceof Float64Array ? a[k]! : a.data[k]!;
          const step = h * Math.max(1, Math.abs(entry));
          if (typeof a === "number") moved[index] = a + delta * step;
          else if (a instanceof Float64Array) a[k] = entry + delta * step;
          else a.data[k] = entry + delta * step;
          return { g: gradient(moved), step };
        };
        const plus = at(1);
        const minus = at(-1);
        columns.push(plus.g.map((g, i) => (g - minus.g[i]!) / (2 * plus.step)));
      }
    }
    const size = columns.length;
    return makeMatrix(
      size,
      size,
      Array.from({ length: size * size }, (_, k) => columns[k % size]![Math.floor(k / size)]!),
    );
  }

  it.each([1, 3, 5])("x'Ax (wrt x) has Hessian A + Aᵀ for a random non-symmetric A, n = %d", (n) => {
    const rand = random(100 + n);
    const x = randomVector(rand, n);
    const A = randomMatrix(rand, n, n);
    const H = hessianOf("quad", [x, A]);
    const want = makeMatrix(
      n,
      n,
      Array.from({ length: n * n }, (_, k) => A.data[k]! + A.data[(k % n) * n + Math.floor(k / n)]!),
    );
    expectMatrix(H, want, "Hessian of x'Ax");
  });

  it.each([
    { N: 6, d: 3 },
    { N: 10, d: 4 },
    { N: 1, d: 2 },
  ])(
    "logistic regression mean(softplus(−y ⊙ Xw)) has Hessian Xᵀ diag(p(1 − p)) X / N, N = $N, d = $d",
    ({ N, d }) => {
      const rand = random(N * 17 + d);
      const w = randomVector(rand, d, -1, 1);
      const X = randomMatrix(rand, N, d);
      const y = Float64Array.from({ length: N }, () => (rand() < 0.5 ? -1 : 1));
      const H = hessianOf("logistic", [w, X, y]);
      const sigmoid = (t: number) => 1 / (1 + Math.exp(-t));
      const p = Array.from({ length: N }, (_, i) => {
        let z = 0;
        for (let j = 0; j < d; j++) z += X.data[i * d + j]! * w[j]!;
        return sigmoid(y[i]! * z);
      });
      const want = makeMatrix(
        d,
        d,
        Array.from({ length: d * d }, (_, k) => {
          const a = Math.floor(k / d);
          const b = k % d;
          let s = 0;
          for (let i = 0; i < N; i++) s += X.data[i * d + a]! * p[i]! * (1 - p[i]!) * X.data[i * d + b]!;
          return s / N;
        }),
      );
      expectMatrix(H, want, "Hessian of the logistic loss");
    },
  );

  it.each([1, 2, 3])(
    "a small tanh network (W: real[3, 2], v: real[3]) against finite differences of its gradient, seed %d",
    (seed) => {
      const rand = random(500 + seed);
      const N = 5;
      const args: MValue[] = [
        randomMatrix(rand, 3, 2, -1, 1),
        randomVector(rand, 3, -1, 1),
        randomMatrix(rand, N, 2),
        randomVector(rand, N),
      ];
      const H = hessianOf("net", args);
      expect([H.rows, H.cols]).toEqual([9, 9]);
      expectMatrix(
        H,
        numericHessian("net", args),
        "Hessian over [W (row-major), v] vs finite differences of netGrad",
        1e-6,
      );
      // The v–v block is exact: loss = Σ (hᵢ·v − tᵢ)², so ∂²/∂v² = 2 Σ hᵢ hᵢᵀ with h = tanh(X Wᵀ) rows.
      const [W, , X] = args as [Matrix, Float64Array, Matrix];
      const hRows = Array.from({ length: N }, (_, i) =>
        Array.from({ length: 3 }, (_, r) =>
          Math.tanh(X.data[i * 2]! * W.data[r * 2]! + X.data[i * 2 + 1]! * W.data[r * 2 + 1]!),
        ),
      );
      for (let a = 0; a < 3; a++)
        for (let b = 0; b < 3; b++) {
          const want = 2 * hRows.reduce((s, h) => s + h[a]! * h[b]!, 0);
          expect(H.data[(6 + a) * 9 + 6 + b]!).toBeCloseTo(want, 12);
        }
    },
  );

  it("a vector and a scalar parameter, s² Σx³ + sin(s): the blocks in parameter order, x then s", () => {
    const x = v(0.5, -1.2, 0.9);
    const s = 0.7;
    const H = hessianOf("mixed", [x, s]);
    const sumCubes = x.reduce((a, t) => a + t ** 3, 0);
    const want = fromRows([
      [6 * s * s * x[0]!, 0, 0, 6 * s * x[0]! ** 2],
      [0, 6 * s * s * x[1]!, 0, 6 * s * x[1]! ** 2],
      [0, 0, 6 * s * s * x[2]!, 6 * s * x[2]! ** 2],
      [6 * s * x[0]! ** 2, 6 * s * x[1]! ** 2, 6 * s * x[2]! ** 2, 2 * sumCubes - Math.sin(s)],
    ]);
    expectMatrix(H, want, "Hessian of s² Σx³ + sin(s)");
  });

  it.each([1, 3])(
    "through calls of user functions, outer, eye, logdet: against finite differences of the gradient, n = %d",
    (n) => {
      const x = randomVector(random(900 + n), n, -1, 1);
      const H = hessianOf("callq", [x]);
      expectMatrix(H, numericHessian("callq", [x]), "Hessian vs finite differences of callqGrad", 1e-6);
    },
  );
});

// ---------------------------------------------------------------- modes

describe("modes emit only the requested functions", () => {
  const source = "fn f(x: real[n], s: real) = s * sum(exp(x))\n";
  const exportsOf = (mod: GeneratedModule) => Object.keys(mod).sort();

  it("modes [jvp]: f and fJvp only", async () => {
    const mod = await load(source, { modes: ["jvp"] });
    expect(exportsOf(mod)).toEqual(["f", "fJvp"]);
    const { value, tangent } = mod.fJvp(v(0.1, 0.2), 2, { x: v(1, 0), s: 0 });
    expect(value).toBeCloseTo(2 * (Math.exp(0.1) + Math.exp(0.2)), 14);
    expect(tangent).toBeCloseTo(2 * Math.exp(0.1), 14);
    const code = await compileOrThrow(source, { modes: ["jvp"] });
    expect(code).not.toMatch(
      /\bfGrad\b|\bfForward\b|\bfBackward\b|\bFTape\b|\bfJacobian\b|\bfHvp\b|\bfHessian\b/,
    );
  });

  it("modes [hessian]: f, fHvp and fHessian only", async () => {
    const mod = await load(source, { modes: ["hessian"] });
    expect(exportsOf(mod)).toEqual(["f", "fHessian", "fHvp"]);
  });

  it("modes [jacobian]: f and fJacobian exported (the sweeps it uses stay private)", async () => {
    const mod = await load(source, { modes: ["jacobian"] });
    expect(exportsOf(mod)).toEqual(["f", "fJacobian"]);
  });

  it("modes [hessian] on a vector-valued function: no Hessian (the result is not real)", async () => {
    const mod = await load("fn f(x: real[n]) = exp(x)\n", { modes: ["hessian"] });
    expect(exportsOf(mod)).toEqual(["f"]);
    // ... and says so, with a warning at the function's name.
    const { code, diagnostics } = await compile("fn f(x: real[n]) = exp(x)\n", { modes: ["hessian"] });
    expect(code).toBeDefined();
    expect(diagnostics.map((d) => [d.severity, d.code, d.line, d.column])).toEqual([["warning", "GC0302", 1, 4]]);
    expect(diagnostics[0]!.message).toBe("'f' returns real[n]: Hessians are generated for functions that return real");
  });

  it("all five modes: every generated function", async () => {
    const mod = await load(source, { modes: ["grad", "vjp", "jvp", "jacobian", "hessian"] });
    expect(exportsOf(mod)).toEqual(
      ["f", "fBackward", "fForward", "fGrad", "fHessian", "fHvp", "fJacobian", "fJvp"].sort(),
    );
  });

  it("the CLI's --modes jvp writes f and fJvp only", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "gradc-modes-"));
    try {
      writeFileSync(path.join(dir, "x.grad"), source);
      let stderr = "";
      const code = await main(["compile", "x.grad", "--modes", "jvp"], {
        stdout: () => undefined,
        stderr: (s) => (stderr += s),
        cwd: dir,
      });
      expect(code, stderr).toBe(0);
      const out = readFileSync(path.join(dir, "x.grad.ts"), "utf8");
      expect(out.match(/export function \w+/g)).toEqual(["export function f", "export function fJvp"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------- typecheck

describe("generated code for all five modes typechecks under the strict settings", () => {
  const source = `# scalar, vector and matrix functions, wrt subsets, calls
fn s(x: real, y: real) = 3 * x^2 * y + sin(x * y)
fn constant(x: real) = 2
fn vec(x: real[n], z: real) -> real[n] = exp(x) * z
fn layer(A: real[m, n], x: real[n]) -> real[m] = tanh(A @ x)
fn mm(A: real[n, n], B: real[n, n]) -> real[n, n] = A @ B' + inv(A)
fn net(W: real[3, 2], v: real[3], X: real[N, 2], t: real[N]) -> real wrt W, v = sum((tanh(X @ W') @ v - t)^2)
fn quad(x: real[n], A: real[n, n]) -> real wrt x = x @ A @ x
fn callq(x: real[n]) = quad(x, outer(x, x) + eye(n)) + logdet(outer(x, x) + eye(n))
fn block(x: real[n]) -> real {
  y = softmax(x)
  return sum(y * log(y)) + max(x) + norm2(x)
}
`;
  it("a module of scalar, vector and matrix functions, and examples/paper.grad", async () => {
    const all = ["grad", "vjp", "jvp", "jacobian", "hessian"] as const;
    const code = await compileOrThrow(source, { modes: all });
    for (const fn of ["s", "vec", "layer", "mm", "net", "quad", "callq", "block"])
      expect(code, `${fn}Jacobian emitted`).toContain(`export function ${fn}Jacobian(`);
    for (const fn of ["s", "net", "quad", "callq", "block"])
      expect(code).toContain(`export function ${fn}Hessian(`);
    const paper = await compileOrThrow(
      readFileSync(new URL("../examples/paper.grad", import.meta.url), "utf8"),
      {
        filename: "paper.grad",
        modes: all,
      },
    );
    expect(typecheck({ "all-modes.ts": code, "paper-all-modes.ts": paper })).toBe("");
  });
});
