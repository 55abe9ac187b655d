// Derivatives at the edges of their domains, in every mode: exponents of
// exactly 0, zero tangents and seeds meeting infinite partial derivatives,
// singular matrices, and arguments large enough to underflow or overflow a
// naive formula. Each case was once wrong (a wrong Hessian with no error, a
// NaN from one sweep and not the other, a throw); each expected value is a
// closed form worked out by hand in the comment beside it.

import { beforeAll, describe, expect, it } from "vitest";
import type { Matrix } from "../runtime/index.js";
import { compileOrThrow, load, type GeneratedModule } from "./support/load.js";
import { typecheck } from "./support/typecheck.js";

const source = `
fn lse(A: real[n, n]) = logsumexp(A)
fn lsev(x: real[n]) = logsumexp(x)
fn powab(a: real, b: real) = a^b
fn powvec(x: real, n: real) -> real[3] = [x^n, x, n]
fn xsqrty(x: real, y: real) = x * sqrt(y)
fn determinant(X: real[n, n]) = det(X)
fn sig(x: real) = sigmoid(x)
fn splus(x: real) = softplus(x)
fn logsig(x: real) = log(sigmoid(x))
fn th(x: real) = tanh(x)
fn logsoft(x: real[n]) = sum(log(softmax(x)) * x)
fn lg1pexp(x: real) = log1p(exp(x))
fn thsq(x: real) = tanh(x^3)
fn zeroth(x: real, y: real) = (atan2(y, x) + y)^0
fn lsezeroth(x: real, y: real[n]) = logsumexp(atan2(y, x))^0
fn flat(y: real, v: real[n]) = ((y * (3 - n))^2)^1.5
fn literals(x: real, p: real, q: real) = where(acos(0.5 * sin(0.5)) == where(p != q, pi, 0.1), 0.5 * q, where(x > 0, -1, 3) * x)
`;
const modes = ["grad", "vjp", "jvp", "jacobian", "hessian"] as const;

let m: GeneratedModule;
beforeAll(async () => {
  m = await load(source, { modes: [...modes] });
});

const mat = (rows: number[][]): Matrix => ({
  rows: rows.length,
  cols: rows[0]!.length,
  data: Float64Array.from(rows.flat()),
});
/** The entries, with −0 read as 0 (the sign of a zero carries no meaning here). */
const entries = (h: Matrix) => [...h.data].map((x) => (x === 0 ? 0 : x));

describe("Hessians that were silently wrong", () => {
  it("logsumexp of a whole matrix: H = diag(s) − s sᵀ with s = softmax of all entries", () => {
    const A = mat([
      [0.1, 0.2],
      [0.3, 0.4],
    ]);
    const e = [...A.data].map(Math.exp);
    const total = e.reduce((p, q) => p + q, 0);
    const s = e.map((x) => x / total);
    const expected = s.flatMap((si, i) => s.map((sj, j) => (i === j ? si : 0) - si * sj));
    const { hessian } = m.lseHessian(A) as { hessian: Matrix };
    expect(hessian.data[0]).toBeCloseTo(0.168111, 6);
    entries(hessian).forEach((h, k) => expect(h).toBeCloseTo(expected[k]!, 14));
    // The same along a vector, where the product was already right.
    const { hessian: hv } = m.lsevHessian(Float64Array.from(A.data)) as { hessian: Matrix };
    entries(hv).forEach((h, k) => expect(h).toBeCloseTo(expected[k]!, 14));
  });

  it("a^b at b = 0: the mixed partial ∂²/∂a∂b = a^(b−1)(1 + b ln a) is 1/a, and H is symmetric", () => {
    const at20 = entries((m.powabHessian(2, 0) as { hessian: Matrix }).hessian);
    // [[b(b−1)a^(b−2), 1/a], [1/a, a^b (ln a)²]] at (2, 0)
    expect(at20).toEqual([0, 0.5, 0.5, Math.log(2) ** 2].map((x) => expect.closeTo(x, 15)));
    const at10 = entries((m.powabHessian(1, 0) as { hessian: Matrix }).hessian);
    expect(at10).toEqual([0, 1, 1, 0].map((x) => expect.closeTo(x, 15)));
    // The gradient at b = 0 is [0, ln a]: 0^0 = 1 for every a.
    expect(m.powabGrad(2, 0).grad).toEqual({ a: 0, b: Math.log(2) });
    expect(m.powabGrad(0, 0).grad.a).toBe(0);
  });
});

describe("a zero tangent or seed contributes zero, even against an infinite partial derivative", () => {
  it("[x^n, x, n] at x = −2, n = 3: ∂/∂x by forward sweeps is [3x², 1, 0] = [12, 1, 0]", () => {
    const { jacobian } = m.powvecJacobian(-2, 3) as { jacobian: Record<string, Matrix> };
    expect(entries(jacobian.x!)).toEqual([12, 1, 0]);
    // ∂(x^n)/∂n = x^n ln x is not real for x < 0; the other outputs do not depend on n.
    const dn = entries(jacobian.n!);
    expect(dn[0]).toBeNaN();
    expect(dn.slice(1)).toEqual([0, 1]);
    expect([...m.powvecJvp(-2, 3, { x: 1, n: 0 }).tangent]).toEqual([12, 1, 0]);
    // Reverse mode with a seed that is zero on x^n: no NaN reaches ∂/∂n.
    const { tape } = m.powvecForward(-2, 3);
    expect(m.powvecBackward(tape, Float64Array.of(0, 1, 1))).toEqual({ x: 1, n: 1 });
  });

  it("x^y at (−2, 2): H_xx = y(y − 1)x^(y−2) = 2, though the entries in y are not real", () => {
    const h = entries((m.powabHessian(-2, 2) as { hessian: Matrix }).hessian);
    expect(h[0]).toBe(2);
    expect(m.powabHvp(-2, 2, { a: 1, b: 0 }).hvp.a).toBe(2);
  });

  it("x·√y at y = 0: ∂/∂x = √y = 0 in forward mode as in reverse mode", () => {
    expect(m.xsqrtyJvp(2, 0, { x: 1, y: 0 }).tangent).toBe(0);
    const { jacobian } = m.xsqrtyJacobian(2, 0) as { jacobian: Record<string, Matrix> };
    expect(entries(jacobian.x!)).toEqual([0]);
    expect(m.xsqrtyGrad(2, 0).grad.x).toBe(0);
    // ∂/∂y = x / (2√y) is infinite there, in both modes.
    expect(m.xsqrtyGrad(2, 0).grad.y).toBe(Infinity);
    expect(m.xsqrtyJvp(2, 0, { x: 0, y: 1 }).tangent).toBe(Infinity);
  });
});

describe("a derivative that is zero everywhere meets no NaN", () => {
  it("fHessian's columns keep fHvp's guards: ((y(3 − n))²)^1.5 at n = 3 has Hessian 0, not NaN", () => {
    // With n = 3 the base is 0 for every y, so every derivative is 0; the second derivative of
    // u^1.5 is infinite at u = 0, and meets the tangent u̇ = 2y(3 − n)² ẏ = 0 as 0.
    const v = Float64Array.of(1, 2, 3);
    expect(entries(m.flatHessian(0.7, v).hessian)).toEqual(Array(16).fill(0));
    expect(m.flatHvp(0.7, v, { y: 1, v: new Float64Array(3) }).hvp.y).toBe(0);
  });

  it("v^0 has gradient 0 even where v's own partials are 0/0 (atan2 at the origin)", () => {
    // ∂(v^0)/∂v = 0 · v^(−1) is 0 by the rule for a zero exponent, so the zero adjoint of v
    // must not reach atan2's partials −y/(x² + y²) and x/(x² + y²), which are NaN at (0, 0).
    expect(m.zerothGrad(0, 0).grad).toEqual({ x: 0, y: 0 });
    const back = m.lsezerothBackward(m.lsezerothForward(0, Float64Array.of(0, 0)).tape, 0);
    expect([back.x, ...back.y]).toEqual([0, 0, 0]);
    expect(m.lsezerothGrad(0, Float64Array.of(0, 0)).grad.x).toBe(0);
  });
});

describe("det's second derivative at and near singular matrices", () => {
  // For a 2×2 matrix det = ad − bc, so H over (a, b, c, d) is constant:
  // H = [[0,0,0,1],[0,0,−1,0],[0,−1,0,0],[1,0,0,0]], singular or not.
  const constant2x2 = [0, 0, 0, 1, 0, 0, -1, 0, 0, -1, 0, 0, 1, 0, 0, 0];

  it("a singular 2×2 matrix has the constant Hessian of ad − bc", () => {
    const { hessian, grad } = m.determinantHessian(
      mat([
        [1, 2],
        [2, 4],
      ]),
    ) as { hessian: Matrix; grad: { X: Matrix } };
    expect(entries(hessian)).toEqual(constant2x2);
    expect(entries(grad.X)).toEqual([4, -2, -2, 1]);
  });

  it("near singular (ε = 1e−12) the Hessian is exact, not rounding noise", () => {
    const { hessian } = m.determinantHessian(
      mat([
        [1, 2],
        [2, 4 + 1e-12],
      ]),
    ) as { hessian: Matrix };
    expect(entries(hessian)).toEqual(constant2x2);
  });

  it("1×1 [[0]]: det = x, whose Hessian is [[0]]", () => {
    expect(entries((m.determinantHessian(mat([[0]])) as { hessian: Matrix }).hessian)).toEqual([0]);
  });

  it("a singular 3×3 matrix: ∂²det/∂X_ij∂X_kl is ± the 1×1 minor left without rows i, k and columns j, l", () => {
    const rows = [
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ];
    const { hessian } = m.determinantHessian(mat(rows)) as { hessian: Matrix };
    const n = 3;
    for (let p = 0; p < 9; p++) {
      for (let q = 0; q < 9; q++) {
        const [i, j, k, l] = [Math.floor(p / n), p % n, Math.floor(q / n), q % n];
        let expected = 0;
        if (i !== k && j !== l) {
          const r = 3 - i - k; // the remaining row and column
          const c = 3 - j - l;
          // The sign of the permutation taking (i, k, r) to (j, l, c) in det's Leibniz sum.
          const sign = permutationSign([i, k, r], [j, l, c]);
          expected = sign * rows[r]![c]!;
        }
        expect(hessian.data[p * 9 + q]).toBeCloseTo(expected, 12);
      }
    }
  });
});

/** The sign of the permutation σ with σ(rows[t]) = cols[t]. */
function permutationSign(rows: number[], cols: number[]): number {
  const sigma = [0, 0, 0];
  rows.forEach((r, t) => (sigma[r] = cols[t]!));
  let sign = 1;
  for (let a = 0; a < 3; a++) for (let b = a + 1; b < 3; b++) if (sigma[a]! > sigma[b]!) sign = -sign;
  return sign;
}

describe("no underflow or overflow in derivatives at large |x|", () => {
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

  it("sigmoid'(x) = σ(x)σ(−x) ≈ e^−x for x ≥ 37, where 1 − σ(x) rounds to 0", () => {
    for (const x of [37, 40, 100, 700]) {
      expect(m.sigGrad(x).grad.x).toBeCloseTo(Math.exp(-x), 300);
      expect(m.sigGrad(x).grad.x / Math.exp(-x)).toBeCloseTo(1, 12);
    }
    expect(m.sigGrad(-40).grad.x / Math.exp(-40)).toBeCloseTo(1, 12);
  });

  it("softplus''(x) = σ(x)σ(−x), not 0, for large x; and its Hessian matches its forward mode", () => {
    for (const x of [37, 50, -50]) {
      const h = (m.splusHessian(x) as { hessian: Matrix }).hessian.data[0]!;
      expect(h / (sigmoid(x) * sigmoid(-x))).toBeCloseTo(1, 12);
    }
  });

  it("log σ(x) = −softplus(−x): finite value, gradient σ(−x) and Hessian −σ(x)σ(−x) at −700 and −800", () => {
    expect(m.logsig(-800)).toBe(-800);
    expect(m.logsigGrad(-800).grad.x).toBe(1);
    const h = (m.logsigHessian(-700) as { hessian: Matrix }).hessian.data[0]!;
    expect(h / -Math.exp(-700)).toBeCloseTo(1, 10);
    expect(m.logsigGrad(40).grad.x / Math.exp(-40)).toBeCloseTo(1, 10);
  });

  it("tanh'(x) = 1/cosh²(x), not 0, for |x| ≥ 19", () => {
    for (const x of [20, -25, 300]) {
      expect(m.thGrad(x).grad.x / Math.cosh(x) ** -2).toBeCloseTo(1, 12);
    }
  });

  it("tanh's second derivative is 0, not NaN, where cosh overflows (|x| > 710)", () => {
    // d²/dx² tanh(x³) = 6x sech²(x³) − 18x⁴ sech²(x³) tanh(x³): below 1e−300 at x = 9 (x³ = 729).
    for (const x of [9, -9, 20]) {
      expect(entries((m.thsqHessian(x) as { hessian: Matrix }).hessian)).toEqual([0]);
      expect(entries(m.thHessian(x ** 3).hessian)).toEqual([0]);
    }
    // And where it is representable: −2 sech²(x) tanh(x) at x = 20.
    const h = (m.thHessian(20) as { hessian: Matrix }).hessian.data[0]!;
    expect(h / (-2 * Math.cosh(20) ** -2 * Math.tanh(20))).toBeCloseTo(1, 10);
  });

  it("log(softmax(x)) is x − logsumexp(x): finite where a softmax entry underflows", () => {
    const x = Float64Array.of(0, 800);
    const value = m.logsoft(x) as number;
    // Σ x_i (x_i − lse(x)) with lse = 800 + log1p(e^−800) = 800.
    expect(value).toBe(0 * -800 + 800 * 0);
    expect(Number.isFinite(m.logsoftGrad(x).grad.x[0])).toBe(true);
  });

  it("log1p(exp(x)) is softplus(x): x, not ∞, for x ≥ 710", () => {
    expect(m.lg1pexp(800)).toBe(800);
    expect(m.lg1pexpGrad(800).grad.x).toBe(1);
  });
});

describe("the module behind these cases", () => {
  it("typechecks under the strict settings, with and without argument checks", async () => {
    const unchecked = await compileOrThrow(source, { modes: [...modes], checks: false });
    const checked = await compileOrThrow(source, { modes: [...modes] });
    expect(typecheck({ "edges.grad.ts": checked, "unchecked.grad.ts": unchecked })).toBe("");
  });
});
