// Classic matrix-calculus identities (numerator layout, matrix entries as
// independent variables) and the last sections of Parr &
// Howard (docs: /work/shared/PAPER.md): each gradient from the generated code
// is checked twice, against central finite differences AND against its
// closed form computed in plain JavaScript (test/support/matrix-cases.ts `mref`).

import { describe, expect, it } from "vitest";
import { load, type GeneratedModule } from "./support/load.js";
import { mref, mapM } from "./support/matrix-cases.js";
import {
  describeValue,
  flatM,
  M,
  makeMatrix,
  maxRelativeError,
  numericGradientM,
  numericVjp,
  random,
  randomMatrix,
  shapeOf,
  uniform,
  wellConditioned,
  type MValue,
} from "./support/matrix-numeric.js";
import type { Matrix } from "../runtime/index.js";

const modules = new Map<string, Promise<GeneratedModule>>();
function moduleFor(source: string): Promise<GeneratedModule> {
  let m = modules.get(source);
  if (m === undefined) {
    m = load(source);
    modules.set(source, m);
  }
  return m;
}

const FD_TOLERANCE = 1e-6;
/** Closed forms are evaluated in another order (inverses by cofactors, not LU). */
const CLOSED_TOLERANCE = 1e-10;

const vecOf = (...xs: number[]) => Float64Array.from(xs);
const rvec = (rand: () => number, n: number, lo = -2, hi = 2) =>
  Float64Array.from({ length: n }, () => uniform(rand, lo, hi));
const T = mref.transpose;
const mm = mref.matmul;
const mv = mref.matvec;
const sub = (a: MValue, b: MValue) => mapM((x, y) => x - y, a, b);
const scale = (a: MValue, s: number) => mapM((x) => x * s, a);

function expectNear(got: unknown, want: MValue, tolerance: number, what: string): void {
  expect(shapeOf(got), `${what}: shape`).toBe(shapeOf(want));
  const g = flatM(got as MValue);
  expect(
    maxRelativeError(g, flatM(want)),
    `${what}: got ${describeValue(got as MValue)}, want ${describeValue(want)}`,
  ).toBeLessThanOrEqual(tolerance);
}

/**
 * Checks `fn` (scalar result) at `args`: fGrad's gradient of every entry of
 * `closed` against central finite differences and against the closed form,
 * and fBackward(fForward(...).tape, 1) against the same closed form. `wrt`
 * lists every differentiated parameter (the keys of the gradient).
 */
async function checkGradient(spec: {
  source: string;
  fn?: string;
  params: readonly string[];
  args: MValue[];
  closed: Record<string, MValue>;
  value?: number;
  wrt?: readonly string[];
}): Promise<void> {
  const m = await moduleFor(spec.source);
  const name = spec.fn ?? "f";
  const f = m[name] as (...a: MValue[]) => MValue;
  const where = spec.params.map((p, i) => `${p} = ${describeValue(spec.args[i]!)}`).join(", ");
  const { value, grad } = m[`${name}Grad`](...spec.args) as { value: number; grad: Record<string, MValue> };
  if (spec.value !== undefined) expectNear(value, spec.value, CLOSED_TOLERANCE, `value at ${where}`);
  expect(Object.keys(grad).sort()).toEqual([...(spec.wrt ?? Object.keys(spec.closed))].sort());
  for (const [p, want] of Object.entries(spec.closed)) {
    const index = spec.params.indexOf(p);
    const fd = numericGradientM(f, spec.args, index);
    expect(
      maxRelativeError(flatM(grad[p]!), fd),
      `∇${p} vs finite differences at ${where}: got ${describeValue(grad[p]!)}, fd [${fd}]`,
    ).toBeLessThanOrEqual(FD_TOLERANCE);
    expectNear(grad[p], want, CLOSED_TOLERANCE, `∇${p} vs closed form at ${where}`);
  }
  const { tape } = m[`${name}Forward`](...spec.args) as { tape: unknown };
  const back = m[`${name}Backward`](tape, 1) as Record<string, MValue>;
  for (const [p, want] of Object.entries(spec.closed)) {
    expectNear(back[p], want, CLOSED_TOLERANCE, `${name}Backward(tape, 1).${p} vs closed form at ${where}`);
  }
}

const inv = mref.inv;
const sigmoid = mref.sigmoid;

describe("x'Ax", () => {
  const source = "fn f(x: real[n], A: real[n, n]) = x' @ A @ x";
  it.each([1, 2, 3, 4, 6])("∇ₓ = (A + Aᵀ)x and ∇_A = x xᵀ, n = %i", async (n) => {
    const rand = random(10 + n);
    for (let point = 0; point < 3; point++) {
      const x = rvec(rand, n);
      const A = randomMatrix(rand, n, n);
      await checkGradient({
        source,
        params: ["x", "A"],
        args: [x, A],
        value: mref.dot(mv(A, x), x),
        closed: { x: mv(mref.add(A, T(A)), x), A: mref.outer(x, x) },
      });
    }
  });
});

describe("least squares ‖Xw − y‖²", () => {
  const shapes: [number, number][] = [
    [1, 1],
    [4, 1],
    [1, 3],
    [5, 3],
    [3, 5],
  ];
  it.each(shapes)("∇_w = 2Xᵀ(Xw − y), ∇_X = 2(Xw − y)wᵀ, ∇_y = −2(Xw − y), N = %i, d = %i", async (N, d) => {
    const rand = random(100 * N + d);
    for (const source of [
      "fn f(X: real[N, d], w: real[d], y: real[N]) = sum((X @ w - y)^2)",
      "fn f(X: real[N, d], w: real[d], y: real[N]) = norm2(X @ w - y)^2",
      "fn f(X: real[N, d], w: real[d], y: real[N]) -> real {\n  r = X @ w - y\n  return r @ r\n}",
    ]) {
      const X = randomMatrix(rand, N, d);
      const w = rvec(rand, d);
      const y = rvec(rand, N);
      const r = sub(mv(X, w), y) as Float64Array;
      await checkGradient({
        source,
        params: ["X", "w", "y"],
        args: [X, w, y],
        value: mref.dot(r, r),
        closed: { w: scale(mv(T(X), r), 2), X: scale(mref.outer(r, w), 2), y: scale(r, -2) },
      });
    }
  });

  it("with wrt w only, the gradient holds w alone", async () => {
    const rand = random(7);
    const X = randomMatrix(rand, 4, 2);
    const w = rvec(rand, 2);
    const y = rvec(rand, 4);
    const r = sub(mv(X, w), y) as Float64Array;
    await checkGradient({
      source: "fn f(X: real[N, d], w: real[d], y: real[N]) wrt w = sum((X @ w - y)^2)",
      params: ["X", "w", "y"],
      args: [X, w, y],
      closed: { w: scale(mv(T(X), r), 2) },
    });
  });
});

describe("traces", () => {
  const shapes: [number, number, number][] = [
    [1, 1, 1],
    [2, 3, 4],
    [3, 2, 1],
    [1, 4, 2],
    [3, 3, 3],
  ];
  it.each(shapes)(
    "tr(AXB): ∇_X = AᵀBᵀ, ∇_A = (XB)ᵀ, ∇_B = (AX)ᵀ, p = %i, m = %i, n = %i",
    async (p, m, n) => {
      const rand = random(1000 + 100 * p + 10 * m + n);
      for (let point = 0; point < 2; point++) {
        const A = randomMatrix(rand, p, m);
        const X = randomMatrix(rand, m, n);
        const B = randomMatrix(rand, n, p);
        await checkGradient({
          source: "fn f(A: real[p, m], X: real[m, n], B: real[n, p]) = trace(A @ X @ B)",
          params: ["A", "X", "B"],
          args: [A, X, B],
          value: mref.trace(mm(mm(A, X), B)),
          closed: { X: mm(T(A), T(B)), A: T(mm(X, B)), B: T(mm(A, X)) },
        });
        await checkGradient({
          source: "fn f(A: real[p, m], X: real[m, n], B: real[n, p]) wrt X = trace(A @ X @ B)",
          params: ["A", "X", "B"],
          args: [A, X, B],
          closed: { X: mm(T(A), T(B)) },
        });
      }
    },
  );

  it.each([
    [1, 1],
    [3, 2],
    [2, 3],
    [4, 4],
  ])("tr(XᵀAX): ∇_X = (A + Aᵀ)X, m = %i, n = %i", async (m, n) => {
    const rand = random(2000 + 10 * m + n);
    for (let point = 0; point < 2; point++) {
      const X = randomMatrix(rand, m, n);
      const A = randomMatrix(rand, m, m);
      await checkGradient({
        source: "fn f(X: real[m, n], A: real[m, m]) wrt X = trace(X' @ A @ X)",
        params: ["X", "A"],
        args: [X, A],
        value: mref.trace(mm(mm(T(X), A), X)),
        closed: { X: mm(mref.add(A, T(A)), X) },
      });
    }
  });

  it.each([1, 3])("tr(A): ∇ = I; tr(AB): ∇_A = Bᵀ, n = %i", async (n) => {
    const rand = random(3000 + n);
    const A = randomMatrix(rand, n, n);
    const B = randomMatrix(rand, n, n);
    await checkGradient({
      source: "fn f(A: real[n, n]) = trace(A)",
      params: ["A"],
      args: [A],
      value: mref.trace(A),
      closed: { A: mref.eye(n) },
    });
    await checkGradient({
      source: "fn f(A: real[n, n], B: real[n, n]) wrt A = trace(A @ B)",
      params: ["A", "B"],
      args: [A, B],
      closed: { A: T(B) },
    });
  });

  it.each([
    [1, 1],
    [2, 3],
    [4, 2],
  ])("Frobenius norm: ∇ ‖A‖_F = A / ‖A‖_F, %i × %i", async (m, n) => {
    const A = randomMatrix(random(4000 + 10 * m + n), m, n);
    const norm = mref.reduce("norm2", A);
    await checkGradient({
      source: "fn f(A: real[m, n]) = norm2(A)",
      params: ["A"],
      args: [A],
      value: norm,
      closed: { A: scale(A, 1 / norm) },
    });
  });
});

describe("det, logdet, inv (entries independent: no symmetric-matrix convention)", () => {
  const sizes = [1, 2, 3, 4];

  it.each(sizes)("∇ det(X) = det(X) X⁻ᵀ, n = %i", async (n) => {
    const rand = random(5000 + n);
    // A well-conditioned X, and a random one with either sign of det (kept away from singular).
    const candidates = [wellConditioned(rand, n), wellConditioned(rand, n)];
    while (candidates.length < 4) {
      const X = randomMatrix(rand, n, n, -1, 1);
      if (Math.abs(mref.det(X)) > 0.1) candidates.push(X);
    }
    for (const X of candidates) {
      const d = mref.det(X);
      await checkGradient({
        source: "fn f(X: real[n, n]) = det(X)",
        params: ["X"],
        args: [X],
        value: d,
        closed: { X: scale(T(inv(X)), d) },
      });
    }
  });

  it.each(sizes)("∇ logdet(X) = X⁻ᵀ, n = %i", async (n) => {
    const rand = random(6000 + n);
    for (let point = 0; point < 3; point++) {
      const X = wellConditioned(rand, n);
      await checkGradient({
        source: "fn f(X: real[n, n]) = logdet(X)",
        params: ["X"],
        args: [X],
        value: Math.log(mref.det(X)),
        closed: { X: T(inv(X)) },
      });
    }
  });

  it.each(sizes)(
    "VJP of sum(W ⊙ inv(X)) is −X⁻ᵀ W X⁻ᵀ; the same through fBackward of inv(X) with seed W, n = %i",
    async (n) => {
      const rand = random(7000 + n);
      for (let point = 0; point < 3; point++) {
        const X = wellConditioned(rand, n);
        const W = randomMatrix(rand, n, n);
        const Xit = T(inv(X));
        const closed = scale(mm(mm(Xit, W), Xit), -1);
        await checkGradient({
          source: "fn f(X: real[n, n], W: real[n, n]) wrt X = sum(W * inv(X))",
          params: ["X", "W"],
          args: [X, W],
          closed: { X: closed },
        });
        const m = await moduleFor("fn f(X: real[n, n]) = inv(X)");
        const { value, tape } = m.fForward!(X) as { value: Matrix; tape: unknown };
        expectNear(value, inv(X), CLOSED_TOLERANCE, "inv(X)");
        const back = m.fBackward!(tape, W) as { X: Matrix };
        expectNear(back.X, closed, CLOSED_TOLERANCE, "fBackward(inv, W) vs −X⁻ᵀ W X⁻ᵀ");
        expect(maxRelativeError(flatM(back.X), numericVjp(m.f!, [X], 0, W))).toBeLessThanOrEqual(
          FD_TOLERANCE,
        );
      }
    },
  );

  it.each([
    [2, 1],
    [3, 2],
    [4, 4],
  ])("∇ logdet(XᵀX) = 2X(XᵀX)⁻¹, X %i × %i", async (m, n) => {
    const rand = random(8000 + 10 * m + n);
    const X = randomMatrix(rand, m, n);
    const G = mm(T(X), X);
    await checkGradient({
      source: "fn f(X: real[m, n]) = logdet(X' @ X)",
      params: ["X"],
      args: [X],
      value: Math.log(mref.det(G)),
      closed: { X: scale(mm(X, inv(G)), 2) },
    });
  });

  // det is a polynomial: its gradient is the cofactor matrix, defined (and finite) at singular X too.
  it.each([
    {
      name: "2×2 of rank 1",
      X: M([
        [1, 2],
        [2, 4],
      ]),
    },
    {
      name: "3×3 with a zero row",
      X: M([
        [1, 2, 3],
        [0, 0, 0],
        [4, 5, 7],
      ]),
    },
    { name: "1×1 zero", X: M([[0]]) },
  ])("∇ det(X) at a singular X ($name) is the cofactor matrix, not an error", async ({ X }) => {
    const m = await moduleFor("fn f(X: real[n, n]) = det(X)");
    expect(m.f!(X)).toBe(0);
    let result: { value: number; grad: { X: Matrix } } | undefined;
    let error: unknown;
    try {
      result = m.fGrad!(X) as { value: number; grad: { X: Matrix } };
    } catch (e) {
      error = e;
    }
    expect(error, `fGrad threw ${String(error)}`).toBeUndefined();
    expectNear(result!.grad.X, mref.cofactors(X), 1e-12, "∇ det at a singular matrix");
    expect(maxRelativeError(flatM(result!.grad.X), numericGradientM(m.f!, [X], 0))).toBeLessThanOrEqual(
      FD_TOLERANCE,
    );
  });
});

describe("Jacobians in numerator layout", () => {
  it("∂(Ax)/∂x = A: fBackward with the unit seeds eᵢ gives the rows of A", async () => {
    const rand = random(9000);
    const A = randomMatrix(rand, 3, 4);
    const x = rvec(rand, 4);
    const m = await moduleFor("fn f(A: real[m, n], x: real[n]) = A @ x");
    const { tape } = m.fForward!(A, x) as { tape: unknown };
    for (let i = 0; i < 3; i++) {
      const seed = vecOf(...[0, 0, 0].map((_, k) => (k === i ? 1 : 0)));
      const back = m.fBackward!(tape, seed) as { A: Matrix; x: Float64Array };
      expectNear(back.x, Float64Array.from(A.data.subarray(4 * i, 4 * i + 4)), 0, `row ${i} of ∂(Ax)/∂x`);
      // ∂(Ax)ᵢ/∂A = eᵢ xᵀ
      expectNear(back.A, mref.outer(seed, x), 0, `∂(Ax)_${i}/∂A`);
    }
  });

  it("VJP of A @ X with seed G: ∇_X = AᵀG, ∇_A = G Xᵀ", async () => {
    const rand = random(9100);
    const A = randomMatrix(rand, 2, 3);
    const X = randomMatrix(rand, 3, 4);
    const G = randomMatrix(rand, 2, 4);
    const m = await moduleFor("fn f(A: real[m, n], X: real[n, k]) = A @ X");
    const { tape } = m.fForward!(A, X) as { tape: unknown };
    const back = m.fBackward!(tape, G) as { A: Matrix; X: Matrix };
    expectNear(back.X, mm(T(A), G), CLOSED_TOLERANCE, "∇_X");
    expectNear(back.A, mm(G, T(X)), CLOSED_TOLERANCE, "∇_A");
  });
});

describe("classification losses", () => {
  it.each([
    [1, 1],
    [5, 2],
    [8, 3],
    [3, 6],
  ])(
    "logistic regression mean(log(1 + exp(−y ⊙ Xw))): ∇_w = −Xᵀ(y ⊙ σ(−y ⊙ Xw))/N, N = %i, d = %i",
    async (N, d) => {
      const rand = random(10000 + 10 * N + d);
      for (const source of [
        "fn f(w: real[d], X: real[N, d], y: real[N]) wrt w = mean(log(1 + exp(-y * (X @ w))))",
        "fn f(w: real[d], X: real[N, d], y: real[N]) wrt w = mean(softplus(-y * (X @ w)))",
      ]) {
        for (let point = 0; point < 2; point++) {
          const w = rvec(rand, d, -1, 1);
          const X = randomMatrix(rand, N, d);
          const y = Float64Array.from({ length: N }, () => (rand() < 0.5 ? -1 : 1));
          const z = mv(X, w);
          const value = z.reduce((s, zi, i) => s + Math.log1p(Math.exp(-y[i]! * zi)), 0) / N;
          const r = Float64Array.from(z, (zi, i) => y[i]! * sigmoid(-y[i]! * zi));
          await checkGradient({
            source,
            params: ["w", "X", "y"],
            args: [w, X, y],
            value,
            closed: { w: scale(mv(T(X), r), -1 / N) },
          });
        }
      }
    },
  );

  it.each([
    [1, 1, 2],
    [4, 3, 3],
    [6, 2, 4],
    [2, 5, 1],
  ])(
    "softmax cross-entropy −mean(sum(Y ⊙ log softmax(XW, axis=1), axis=1)): ∇_W = Xᵀ(softmax(XW) − Y)/N, N = %i, d = %i, k = %i",
    async (N, d, k) => {
      const rand = random(11000 + 100 * N + 10 * d + k);
      for (const source of [
        "fn f(W: real[d, k], X: real[N, d], Y: real[N, k]) wrt W = -mean(sum(Y * log(softmax(X @ W, axis=1)), axis=1))",
        "fn f(W: real[d, k], X: real[N, d], Y: real[N, k]) -> real wrt W {\n  Z = X @ W\n  return mean(logsumexp(Z, axis=1) - sum(Y * Z, axis=1))\n}",
      ]) {
        for (let point = 0; point < 2; point++) {
          const W = randomMatrix(rand, d, k, -1, 1);
          const X = randomMatrix(rand, N, d);
          // One-hot rows.
          const Y = mref.fromFn(N, k, () => 0);
          for (let i = 0; i < N; i++) Y.data[i * k + Math.floor(rand() * k)] = 1;
          const S = mref.softmaxAlong(mm(X, W), 1);
          const value =
            -mref.reduce(
              "sum",
              mapM((yv, s) => yv * Math.log(s), Y, S),
            ) / N;
          await checkGradient({
            source,
            params: ["W", "X", "Y"],
            args: [W, X, Y],
            value,
            closed: { W: scale(mm(T(X), sub(S, Y) as Matrix), 1 / N) },
          });
        }
      }
    },
  );
});

describe("Parr & Howard: the neuron activation and its loss", () => {
  const activation = "fn act(w: real[d], x: real[d], b: real) wrt w, b = max(0, w @ x + b)";
  const activationDot = "fn act(w: real[d], x: real[d], b: real) wrt w, b = max(0, dot(w, x) + b)";

  it.each([activation, activationDot])(
    "%s: ∂/∂w = xᵀ and ∂/∂b = 1 when z > 0, 0⃗ᵀ and 0 when z < 0",
    async (source) => {
      const rand = random(12000);
      let positive = 0;
      let negative = 0;
      for (let point = 0; point < 20; point++) {
        const d = 1 + (point % 4);
        const w = rvec(rand, d);
        const x = rvec(rand, d);
        const b = uniform(rand, -1, 1);
        const z = mref.dot(w, x) + b;
        if (Math.abs(z) < 0.05) continue; // the kink; z = 0 is checked exactly below
        if (z > 0) positive++;
        else negative++;
        await checkGradient({
          source,
          fn: "act",
          params: ["w", "x", "b"],
          args: [w, x, b],
          value: Math.max(0, z),
          closed: z > 0 ? { w: x, b: 1 } : { w: new Float64Array(d), b: 0 },
        });
      }
      expect(positive).toBeGreaterThan(3);
      expect(negative).toBeGreaterThan(3);
    },
  );

  it("at z = 0 exactly (a tie of max(0, z)), both derivatives are 0, as in the paper", async () => {
    const m = await moduleFor(activation);
    // w·x + b = 1·0.5 + 2·(−0.5) + 0.5 = 0 exactly.
    const { value, grad } = m.actGrad!(vecOf(1, 2), vecOf(0.5, -0.5), 0.5) as {
      value: number;
      grad: { w: Float64Array; b: number };
    };
    expect(value).toBe(0);
    expect(Array.from(grad.w)).toEqual([0, 0]);
    expect(grad.b).toBe(0);
  });

  const lossSource =
    "fn loss(w: real[d], b: real, X: real[N, d], y: real[N]) -> real wrt w, b { z = X @ w + b; return mean((y - max(0, z))^2) }";

  /** The paper's closed forms: eᵢ = w·xᵢ + b − yᵢ over the samples with positive activation. */
  function paperGradient(
    w: Float64Array,
    b: number,
    X: Matrix,
    y: Float64Array,
  ): { w: Float64Array; b: number } {
    const N = X.rows;
    const d = X.cols;
    const gw = new Float64Array(d);
    let gb = 0;
    for (let i = 0; i < N; i++) {
      const xi = X.data.subarray(i * d, (i + 1) * d);
      const z = mref.dot(w, xi) + b;
      if (z <= 0) continue; // zero activation: contributes 0
      const e = z - y[i]!;
      for (let j = 0; j < d; j++) gw[j] = gw[j]! + (2 / N) * e * xi[j]!;
      gb += (2 / N) * e;
    }
    return { w: gw, b: gb };
  }

  it.each([
    [1, 1],
    [6, 2],
    [10, 3],
    [4, 5],
  ])(
    "C(w, b) = 1/N Σ (yᵢ − max(0, w·xᵢ + b))²: ∂C/∂w = 2/N Σ eᵢ xᵢᵀ, ∂C/∂b = 2/N Σ eᵢ over active samples, N = %i, d = %i",
    async (N, d) => {
      const rand = random(13000 + 10 * N + d);
      let points = 0;
      while (points < 4) {
        const w = rvec(rand, d, -1, 1);
        const b = uniform(rand, -0.5, 0.5);
        const X = randomMatrix(rand, N, d);
        const y = rvec(rand, N, 0, 2);
        const z = mv(X, w).map((t) => t + b);
        if (z.some((t) => Math.abs(t) < 0.05)) continue; // keep finite differences off the kinks
        points++;
        const value = z.reduce((s, t, i) => s + (y[i]! - Math.max(0, t)) ** 2, 0) / N;
        await checkGradient({
          source: lossSource,
          fn: "loss",
          params: ["w", "b", "X", "y"],
          args: [w, b, X, y],
          value,
          closed: paperGradient(w, b, X, y),
        });
      }
    },
  );

  it("a sample with zero activation (z = 0 exactly, and z < 0) contributes nothing", async () => {
    const m = await moduleFor(lossSource);
    const w = vecOf(1, 2);
    const b = 0.5;
    const X = M([
      [0.5, -0.5], // z = 0: a tie, derivative 0
      [-2, -1], // z < 0
      [1, 0.25], // z = 2
      [0.5, 1], // z = 3
    ]);
    const y = vecOf(1, 3, 1, 0.5);
    const { value, grad } = m.lossGrad!(w, b, X, y) as {
      value: number;
      grad: { w: Float64Array; b: number };
    };
    // Only samples 2 and 3: e = [1, 2.5]; ∂C/∂w = 2/4 (1·[1, 0.25] + 2.5·[0.5, 1]) = [1.125, 1.375]; ∂C/∂b = 2/4 · 3.5.
    expect(value).toBeCloseTo((1 + 9 + 1 + 6.25) / 4, 14);
    expect(Array.from(grad.w)).toEqual([1.125, 1.375]);
    expect(grad.b).toBe(1.75);
    const closed = paperGradient(w, b, X, y);
    expectNear(grad.w, closed.w, 0, "∂C/∂w");
    expectNear(grad.b, closed.b, 0, "∂C/∂b");
  });

  it("folding the bias in (ŵ = [wᵀ, b]ᵀ, x̂ = [xᵀ, 1]) gives the same gradient", async () => {
    const folded = await moduleFor(
      "fn loss(wh: real[e], Xh: real[N, e], y: real[N]) wrt wh = mean((y - max(0, Xh @ wh))^2)",
    );
    const plain = await moduleFor(lossSource);
    const rand = random(14000);
    const [N, d] = [7, 3];
    const w = rvec(rand, d, -1, 1);
    const b = 0.3;
    const X = randomMatrix(rand, N, d);
    const y = rvec(rand, N, 0, 2);
    const Xh = makeMatrix(
      N,
      d + 1,
      Array.from({ length: N * (d + 1) }, (_, k) => {
        const [i, j] = [Math.floor(k / (d + 1)), k % (d + 1)];
        return j === d ? 1 : X.data[i * d + j]!;
      }),
    );
    const wh = vecOf(...w, b);
    const a = plain.lossGrad!(w, b, X, y) as { value: number; grad: { w: Float64Array; b: number } };
    const c = folded.lossGrad!(wh, Xh, y) as { value: number; grad: { wh: Float64Array } };
    expectNear(c.value, a.value, 1e-14, "value");
    expectNear(c.grad.wh, vecOf(...a.grad.w, a.grad.b), 1e-14, "∇ŵ = [∇w, ∂b]");
  });

  it.each([-1.5, -0.7, 0, 0.4, 1, 1.3])(
    "[x², x³] · [[1, 2], [3, 4]] · [x², x³] has derivative 4x³ + 25x⁴ + 24x⁵ at x = %d",
    async (x) => {
      await checkGradient({
        source: "fn g(x: real) = [x^2, x^3] @ [[1, 2], [3, 4]] @ [x^2, x^3]",
        fn: "g",
        params: ["x"],
        args: [x],
        value: x ** 4 + 5 * x ** 5 + 4 * x ** 6,
        closed: { x: 4 * x ** 3 + 25 * x ** 4 + 24 * x ** 5 },
      });
    },
  );
});
