// Passes over rows: a product of a matrix by a vector, the element-wise work on its result and
// the product of the adjoint by the same matrix become one loop over the rows of the matrix,
// eight rows at a time and then the rows left over. Checked against closed forms and the
// runtime's whole-value kernels at row counts around the block of eight (1 to 17), with several
// products in one pass, a product whose vector the pass itself computes, and a zero adjoint
// against an infinite entry (which must contribute 0, as the whole-value kernel gives).

import { describe, expect, it } from "vitest";
import { matrix, matvec, vecmat } from "../runtime/index.js";
import { compileOrThrow, load, type GeneratedModule } from "./support/load.js";
import { random } from "./support/numeric.js";

const source = `
fn leastSquares(w: real[d], b: real, X: real[N, d], y: real[N]) -> real wrt w, b {
  return mean((X @ w + b - y)^2)
}
fn neuron(w: real[d], b: real, X: real[N, d], y: real[N]) -> real wrt w, b {
  z = X @ w + b
  return mean((y - max(0, z))^2)
}
fn logistic(w: real[d], b: real, X: real[N, d], y: real[N]) -> real wrt w, b {
  return mean(softplus(-y * (X @ w + b)))
}
fn logLikelihood(w: real[d], X: real[N, d]) -> real wrt w {
  return logsumexp(X @ w)
}
fn softmaxMean(x: real[n]) -> real wrt x {
  p = exp(x - logsumexp(x))
  return sum(p * x)
}
fn penalized(w: real[d], b: real, X: real[N, d], y: real[N]) -> real wrt w, b {
  return mean((X @ w + b - y)^2) + 0.1 * sum(w^2)
}
fn quadratic(w: real[d], X: real[N, d]) -> real wrt w {
  return 0.5 * sum((X @ w)^2)
}
fn twoProducts(w: real[d], u: real[d], X: real[N, d], y: real[N]) -> real wrt w, u {
  return sum(tanh(X @ w) * (X @ u) - y)
}
fn masked(w: real[d], X: real[N, d], g: real[N]) -> real wrt w {
  return sum(relu(g) * (X @ w))
}
fn ownVector(w: real[n], A: real[n, n]) -> real wrt w {
  return sum(A @ (w * w[0]))
}
`;

const next = random(11);
const rand = () => next() - 0.5;
const vector = (n: number) => Float64Array.from({ length: n }, rand);
const mat = (rows: number, cols: number) => matrix(rows, cols, vector(rows * cols));
const tolerance = (x: number) => 1e-12 * (1 + Math.abs(x));

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>): void {
  expect(actual.length).toBe(expected.length);
  for (let k = 0; k < actual.length; k++) {
    expect(Math.abs(actual[k]! - expected[k]!)).toBeLessThanOrEqual(tolerance(expected[k]!));
  }
}

const scale = (v: Float64Array, s: number) => v.map((x) => x * s);

describe("passes over rows", async () => {
  const m: GeneratedModule = await load(source);
  const rowCounts = [1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17];
  const widths = [1, 3, 4, 6];

  it("are what the code does: one loop of eight rows at a time, then the rest", async () => {
    const code = await compileOrThrow(source);
    const grad = code.slice(code.indexOf("export function leastSquaresGrad"));
    const body = grad.slice(0, grad.indexOf("\n}\n"));
    expect(body).toContain("for (let i = 0; i + 7 < N; i += 8) {");
    expect(body).toContain("for (let i = N - (N % 8); i < N; i++) {");
    expect(body).not.toContain("matvec(");
    expect(body).not.toContain("vecmat(");
  });

  it("give the least-squares gradient (2/N) Xᵀ(Xw + b − y) at every row count", () => {
    for (const N of rowCounts) {
      for (const d of widths) {
        const [w, b, X, y] = [vector(d), rand(), mat(N, d), vector(N)];
        const r = matvec(X, w).map((z, i) => z + b - y[i]!);
        const { value, grad } = m.leastSquaresGrad(w, b, X, y);
        expect(Math.abs(value - r.reduce((s, x) => s + x * x, 0) / N)).toBeLessThanOrEqual(1e-12);
        expect(m.leastSquares(w, b, X, y)).toBeCloseTo(value, 14);
        expectClose(grad.w, scale(vecmat(r, X), 2 / N));
        expect(Math.abs(grad.b - (2 / N) * r.reduce((s, x) => s + x, 0))).toBeLessThanOrEqual(1e-12);
      }
    }
  });

  it("go around a loop over another length: a penalty on the weights keeps the pass", async () => {
    const code = await compileOrThrow(source);
    const grad = code.slice(code.indexOf("export function penalizedGrad"));
    const body = grad.slice(0, grad.indexOf("\n}\n"));
    expect(body).toContain("for (let i = 0; i + 7 < N; i += 8) {");
    expect(body).not.toContain("matvec(");
    for (const N of [3, 8, 13]) {
      const [w, b, X, y] = [vector(5), rand(), mat(N, 5), vector(N)];
      const r = matvec(X, w).map((z, i) => z + b - y[i]!);
      const { value, grad: g } = m.penalizedGrad(w, b, X, y);
      const penalty = 0.1 * w.reduce((s, x) => s + x * x, 0);
      expect(Math.abs(value - r.reduce((s, x) => s + x * x, 0) / N - penalty)).toBeLessThanOrEqual(1e-12);
      expectClose(
        g.w,
        vecmat(r, X).map((v, k) => (2 / N) * v + 0.2 * w[k]!),
      );
    }
  });

  it("give the neuron's gradient −(2/N) Xᵀ((y − a) ⊙ 1[z > 0]) at every row count", () => {
    for (const N of rowCounts) {
      for (const d of widths) {
        const [w, b, X, y] = [vector(d), rand(), mat(N, d), vector(N)];
        const z = matvec(X, w).map((v) => v + b);
        const dz = z.map((v, i) => (v > 0 ? (-2 / N) * (y[i]! - v) : 0));
        const { grad } = m.neuronGrad(w, b, X, y);
        expectClose(grad.w, vecmat(dz, X));
        expect(Math.abs(grad.b - dz.reduce((s, x) => s + x, 0))).toBeLessThanOrEqual(1e-12);
      }
    }
  });

  it("give logistic regression's gradient, softplus and its derivative sigmoid sharing e^-|m|", async () => {
    const code = await compileOrThrow(source);
    const shared = /const (exp_\w+0) = Math\.exp\(-Math\.abs\((\w+0)\)\);/.exec(code);
    expect(shared).not.toBeNull();
    expect(code).toContain(`sigmoid(${shared![2]}, ${shared![1]})`);
    for (const N of rowCounts) {
      const d = 3;
      // Margins from −40 to 40 with both signs: the branches of softplus and sigmoid.
      const [w, b, X] = [vector(d).map((v) => 40 * v), rand(), mat(N, d)];
      const y = vector(N).map((v) => (v > 0 ? 1 : -1));
      const margins = matvec(X, w).map((z, i) => -y[i]! * (z + b));
      const softplus = (t: number) => Math.max(t, 0) + Math.log1p(Math.exp(-Math.abs(t)));
      const sigmoid = (t: number) => (t >= 0 ? 1 / (1 + Math.exp(-t)) : Math.exp(t) / (1 + Math.exp(t)));
      const dz = margins.map((t, i) => (-y[i]! * sigmoid(t)) / N);
      const { value, grad } = m.logisticGrad(w, b, X, y);
      expect(Math.abs(value - margins.reduce((s, t) => s + softplus(t), 0) / N)).toBeLessThanOrEqual(1e-12);
      expectClose(grad.w, vecmat(dz, X));
      expect(Math.abs(grad.b - dz.reduce((s, x) => s + x, 0))).toBeLessThanOrEqual(1e-12);
    }
  });

  it("read the softmax logsumexp's kernel writes only after the pass that feeds it", () => {
    // ∂ logsumexp(Xw)/∂w = Xᵀ softmax(Xw): the softmax exists once the pass has given Xw.
    for (const N of rowCounts) {
      const [w, X] = [vector(4), mat(N, 4)];
      const z = matvec(X, w);
      const top = Math.max(...z);
      const e = z.map((v) => Math.exp(v - top));
      const total = e.reduce((a, v) => a + v, 0);
      const { value, grad } = m.logLikelihoodGrad(w, X);
      expect(Math.abs(value - (top + Math.log(total)))).toBeLessThanOrEqual(1e-12);
      expectClose(grad.w, vecmat(scale(e, 1 / total), X));
    }
  });

  it("call a logsumexp kept only for the softmax it writes without naming its value", async () => {
    const code = await compileOrThrow(source);
    const body = code.slice(code.indexOf("export function softmaxMeanGrad"));
    expect(body.slice(0, body.indexOf("\n}\n"))).toMatch(/\n {2}logsumexp\(x, p\);\n/);
    const x = vector(5);
    const p = x.map((v) => Math.exp(v)).map((v, _, a) => v / a.reduce((s, t) => s + t, 0));
    const mean = p.reduce((s, v, k) => s + v * x[k]!, 0);
    // ∂/∂x_k Σ p_i x_i = p_k (1 + x_k − Σ p_i x_i).
    expectClose(
      m.softmaxMeanGrad(x).grad.x,
      p.map((v, k) => v * (1 + x[k]! - mean)),
    );
  });

  it("hold two products of one matrix, each with its own adjoint", () => {
    for (const N of rowCounts) {
      const d = 5;
      const [w, u, X, y] = [vector(d), vector(d), mat(N, d), vector(N)];
      const [p, q] = [matvec(X, w), matvec(X, u)];
      const { value, grad } = m.twoProductsGrad(w, u, X, y);
      const expected = p.reduce((s, v, i) => s + Math.tanh(v) * q[i]! - y[i]!, 0);
      expect(Math.abs(value - expected)).toBeLessThanOrEqual(1e-12);
      expectClose(
        grad.w,
        vecmat(
          p.map((v, i) => (1 - Math.tanh(v) ** 2) * q[i]!),
          X,
        ),
      );
      expectClose(grad.u, vecmat(p.map(Math.tanh), X));
    }
  });

  it("add nothing from a row whose adjoint is zero, even where the row is infinite", () => {
    for (const N of [4, 9, 17]) {
      const d = 3;
      const [w, X, g] = [vector(d), mat(N, d), vector(N).map((v, i) => (i === 1 ? -1 : Math.abs(v)))];
      X.data[1 * d + 2] = Infinity;
      const { grad } = m.maskedGrad(w, X, g);
      const expected = vecmat(
        g.map((v) => Math.max(v, 0)),
        X,
        true,
      );
      // The same sums in another order: equal to rounding, and finite.
      expectClose(grad.w, expected);
      expect(grad.w.every(Number.isFinite)).toBe(true);
    }
  });

  it("sum a derivative's product again without its zero terms where a row is infinite", async () => {
    // fHvp's tangent X ẇ is a product of derivative code: with ẇ_2 = 0, X's infinite entry in
    // column 2 contributes 0 (as matvec(X, ẇ, true)), and Xᵀ(X ẇ) follows.
    const h: GeneratedModule = await load(source, { modes: ["grad", "vjp", "hessian"] });
    for (const N of [5, 9, 17]) {
      const d = 3;
      const [w, X] = [vector(d), mat(N, d)];
      X.data[3 * d + 2] = Infinity;
      const direction = { w: Float64Array.of(0.5, -0.25, 0) };
      const tangent = matvec(X, direction.w, true);
      expect(tangent.every(Number.isFinite)).toBe(true);
      const { hvp } = h.quadraticHvp(w, X, direction);
      const expected = vecmat(tangent, X, true);
      hvp.w.forEach((v: number, k: number) => {
        if (Number.isFinite(expected[k]!))
          expect(Math.abs(v - expected[k]!)).toBeLessThanOrEqual(tolerance(expected[k]!));
        else expect(v).toBe(expected[k]);
      });
    }
  });

  it("do not take a product whose vector they compute row by row", () => {
    for (const n of [1, 3, 4, 8, 9, 11]) {
      const [w, A] = [vector(n), mat(n, n)];
      const v = w.map((x) => x * w[0]!);
      expect(Math.abs(m.ownVector(w, A) - matvec(A, v).reduce((s, x) => s + x, 0))).toBeLessThanOrEqual(
        1e-12,
      );
      // d/dw sum(A (w ⊙ w₀)) = w₀ Aᵀ1 + e₀ (wᵀ Aᵀ1).
      const colSums = vecmat(new Float64Array(n).fill(1), A);
      const expected = colSums.map((c) => c * w[0]!);
      expected[0] = expected[0]! + w.reduce((s, x, i) => s + x * colSums[i]!, 0);
      expectClose(m.ownVectorGrad(w, A).grad.w, expected);
    }
  });

  it("keep what a tape records: the forward and backward functions agree with the gradient", () => {
    for (const N of [3, 8, 11]) {
      const [w, b, X, y] = [vector(4), rand(), mat(N, 4), vector(N)];
      const { value, tape } = m.neuronForward(w, b, X, y);
      const back = m.neuronBackward(tape, 1);
      const { grad } = m.neuronGrad(w, b, X, y);
      expect(value).toBe(m.neuron(w, b, X, y));
      expectClose(back.w, grad.w);
    }
  });
});
