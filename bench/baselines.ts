// Hand-written value and gradient functions for the five benchmark problems (bench/problems.ts):
// the baseline that gradc's generated code is measured against, written for speed.
//
// - `baselines(s)` captures N, d, hidden, c and preallocates every buffer and the result object
//   once; a call allocates nothing. The returned `{ value, grad }` object and its arrays are
//   reused by the next call (they alias between calls).
// - One fused pass over the rows of X computes the forward value and accumulates the gradient.
// - Rows go four at a time through register-blocked kernels: a dot-product kernel keeps four
//   rows' (or 3 units × 4 rows') independent accumulators, so one load of a weight feeds several
//   multiply-adds and no add waits on another; the rows left over (N mod 4) go one at a time.
// - Inner loops run over contiguous memory (a row of X, a row of a weight matrix).
// - Gradients are accumulated unscaled and scaled once at the end (each gradient here is linear
//   in the residuals, so the 2/N-style factors commute with the accumulation).
// - value() computes every row's loss term exactly as grad() does and sums the terms in the same
//   order, so value() === grad().value bit for bit.
//
// Variants measured (CPU time, same process, alternating): for X Wᵀ and for Gᵀ X (P3, P5),
// 3 units × 4 rows per sweep beat 1 × 4 (by 35–45%), 2 × 4 (~10%), 4 × 4 (16 accumulators
// spill), 4 × 2 and unrolling j by 2. For the single weight vector of P1/P2/P4, the dot sweep
// over 4 rows beat 1 row with 4 accumulators over j, 2 rows and 8 rows; adding 8 rows per sweep
// into the gradient beat 4 (~10%), a separate second pass, and a software-pipelined loop; for
// P4, queueing only the active rows (z > 0) for the gradient did not pay. For P3, the fused
// 4-row block beat blocks of 8–32 rows per pass over W1 and materializing the whole N × hidden
// layer. Running-pointer indices and `| 0` index hints gave nothing here.

import type { Matrix } from "../runtime/index.js";
import type { Sizes } from "./problems.js";

export interface Baseline<Args extends unknown[], Grad> {
  /** The loss only (a hand-written forward pass). */
  value(...args: Args): number;
  /** The loss and its gradient; the gradient arrays are preallocated and reused across calls (they alias between calls). */
  grad(...args: Args): { value: number; grad: Grad };
}

type LinearArgs = [w: Float64Array, b: number, X: Matrix, y: Float64Array];
type LinearGrad = { w: Float64Array; b: number };
type MlpArgs = [W1: Matrix, b1: Float64Array, W2: Matrix, b2: Float64Array, X: Matrix, Y: Matrix];
type MlpGrad = { W1: Matrix; b1: Float64Array; W2: Matrix; b2: Float64Array };
type SoftmaxArgs = [W: Matrix, X: Matrix, T: Matrix];
type SoftmaxGrad = { W: Matrix };

export function baselines(s: Sizes): {
  p1: Baseline<LinearArgs, LinearGrad>;
  p2: Baseline<LinearArgs, LinearGrad>;
  p3: Baseline<MlpArgs, MlpGrad>;
  p4: Baseline<LinearArgs, LinearGrad>;
  p5: Baseline<SoftmaxArgs, SoftmaxGrad>;
} {
  return {
    p1: leastSquares(s.N, s.d),
    p2: logistic(s.N, s.d),
    p3: mlp(s.N, s.d, s.hidden, s.c),
    p4: neuron(s.N, s.d),
    p5: softmaxCrossEntropy(s.N, s.d, s.c),
  };
}

// ---------------------------------------------------------------------------------------------
// P1 least squares: r = X w + b − y, L = mean(r²); dL/dw = (2/N) Xᵀ r, dL/db = (2/N) Σ r.

function leastSquares(N: number, d: number): Baseline<LinearArgs, LinearGrad> {
  const gw = new Float64Array(d);
  const grad: LinearGrad = { w: gw, b: NaN };
  const result = { value: NaN, grad };
  const d2 = 2 * d;
  const d3 = 3 * d;
  const d4 = 4 * d;
  const d5 = 5 * d;
  const d6 = 6 * d;
  const d7 = 7 * d;
  const d8 = 8 * d;
  const N4 = N - (N % 4);
  const N8 = N - (N % 8);
  const invN = 1 / N;
  const twoInvN = 2 / N;

  function value(w: Float64Array, b: number, X: Matrix, y: Float64Array): number {
    const x = X.data;
    let v0 = 0;
    let v1 = 0;
    let v2 = 0;
    let v3 = 0;
    let i = 0;
    let o = 0;
    for (; i < N4; i += 4, o += d4) {
      const o1 = o + d;
      const o2 = o + d2;
      const o3 = o + d3;
      let z0 = b;
      let z1 = b;
      let z2 = b;
      let z3 = b;
      for (let j = 0; j < d; j++) {
        const wj = w[j]!;
        z0 += x[o + j]! * wj;
        z1 += x[o1 + j]! * wj;
        z2 += x[o2 + j]! * wj;
        z3 += x[o3 + j]! * wj;
      }
      const e0 = z0 - y[i]!;
      v0 += e0 * e0;
      const e1 = z1 - y[i + 1]!;
      v1 += e1 * e1;
      const e2 = z2 - y[i + 2]!;
      v2 += e2 * e2;
      const e3 = z3 - y[i + 3]!;
      v3 += e3 * e3;
    }
    for (; i < N; i++, o += d) {
      let z = b;
      for (let j = 0; j < d; j++) {
        const wj = w[j]!;
        z += x[o + j]! * wj;
      }
      const e = z - y[i]!;
      v0 += e * e;
    }
    return (v0 + v1 + (v2 + v3)) * invN;
  }

  function gradient(w: Float64Array, b: number, X: Matrix, y: Float64Array) {
    const x = X.data;
    gw.fill(0);
    let v0 = 0;
    let v1 = 0;
    let v2 = 0;
    let v3 = 0;
    let gb = 0;
    let i = 0;
    let o = 0;
    // Eight rows per sweep over the gradient: two dot-product sweeps of four rows each.
    for (; i < N8; i += 8, o += d8) {
      const o1 = o + d;
      const o2 = o + d2;
      const o3 = o + d3;
      const o4 = o + d4;
      const o5 = o + d5;
      const o6 = o + d6;
      const o7 = o + d7;
      let z0 = b;
      let z1 = b;
      let z2 = b;
      let z3 = b;
      for (let j = 0; j < d; j++) {
        const wj = w[j]!;
        z0 += x[o + j]! * wj;
        z1 += x[o1 + j]! * wj;
        z2 += x[o2 + j]! * wj;
        z3 += x[o3 + j]! * wj;
      }
      let z4 = b;
      let z5 = b;
      let z6 = b;
      let z7 = b;
      for (let j = 0; j < d; j++) {
        const wj = w[j]!;
        z4 += x[o4 + j]! * wj;
        z5 += x[o5 + j]! * wj;
        z6 += x[o6 + j]! * wj;
        z7 += x[o7 + j]! * wj;
      }
      const e0 = z0 - y[i]!;
      v0 += e0 * e0;
      const e1 = z1 - y[i + 1]!;
      v1 += e1 * e1;
      const e2 = z2 - y[i + 2]!;
      v2 += e2 * e2;
      const e3 = z3 - y[i + 3]!;
      v3 += e3 * e3;
      const e4 = z4 - y[i + 4]!;
      v0 += e4 * e4;
      const e5 = z5 - y[i + 5]!;
      v1 += e5 * e5;
      const e6 = z6 - y[i + 6]!;
      v2 += e6 * e6;
      const e7 = z7 - y[i + 7]!;
      v3 += e7 * e7;
      gb += e0 + e1 + (e2 + e3) + (e4 + e5 + (e6 + e7));
      for (let j = 0; j < d; j++) {
        gw[j] =
          gw[j]! +
          (e0 * x[o + j]! +
            e1 * x[o1 + j]! +
            (e2 * x[o2 + j]! + e3 * x[o3 + j]!) +
            (e4 * x[o4 + j]! + e5 * x[o5 + j]! + (e6 * x[o6 + j]! + e7 * x[o7 + j]!)));
      }
    }
    if (i < N4) {
      const o1 = o + d;
      const o2 = o + d2;
      const o3 = o + d3;
      let z0 = b;
      let z1 = b;
      let z2 = b;
      let z3 = b;
      for (let j = 0; j < d; j++) {
        const wj = w[j]!;
        z0 += x[o + j]! * wj;
        z1 += x[o1 + j]! * wj;
        z2 += x[o2 + j]! * wj;
        z3 += x[o3 + j]! * wj;
      }
      const e0 = z0 - y[i]!;
      v0 += e0 * e0;
      const e1 = z1 - y[i + 1]!;
      v1 += e1 * e1;
      const e2 = z2 - y[i + 2]!;
      v2 += e2 * e2;
      const e3 = z3 - y[i + 3]!;
      v3 += e3 * e3;
      gb += e0 + e1 + (e2 + e3);
      for (let j = 0; j < d; j++) {
        gw[j] = gw[j]! + (e0 * x[o + j]! + e1 * x[o1 + j]! + (e2 * x[o2 + j]! + e3 * x[o3 + j]!));
      }
      i += 4;
      o += d4;
    }
    for (; i < N; i++, o += d) {
      let z = b;
      for (let j = 0; j < d; j++) {
        const wj = w[j]!;
        z += x[o + j]! * wj;
      }
      const e = z - y[i]!;
      v0 += e * e;
      gb += e;
      for (let j = 0; j < d; j++) gw[j] = gw[j]! + e * x[o + j]!;
    }
    for (let j = 0; j < d; j++) gw[j] = gw[j]! * twoInvN;
    grad.b = gb * twoInvN;
    result.value = (v0 + v1 + (v2 + v3)) * invN;
    return result;
  }

  return { value, grad: gradient };
}

// ---------------------------------------------------------------------------------------------
// P2 logistic: u = −y (X w + b), L = mean(softplus(u)); dL/dz = −y σ(u) / N.
// With e = exp(−|u|): softplus(u) = max(u, 0) + log1p(e) and σ(u) = (u ≥ 0 ? 1 : e) / (1 + e),
// one exponential per row for the value and the gradient.

function logistic(N: number, d: number): Baseline<LinearArgs, LinearGrad> {
  const gw = new Float64Array(d);
  const grad: LinearGrad = { w: gw, b: NaN };
  const result = { value: NaN, grad };
  const d2 = 2 * d;
  const d3 = 3 * d;
  const d4 = 4 * d;
  const d5 = 5 * d;
  const d6 = 6 * d;
  const d7 = 7 * d;
  const d8 = 8 * d;
  const N4 = N - (N % 4);
  const N8 = N - (N % 8);
  const invN = 1 / N;

  function value(w: Float64Array, b: number, X: Matrix, y: Float64Array): number {
    const x = X.data;
    let v0 = 0;
    let v1 = 0;
    let v2 = 0;
    let v3 = 0;
    let i = 0;
    let o = 0;
    for (; i < N4; i += 4, o += d4) {
      const o1 = o + d;
      const o2 = o + d2;
      const o3 = o + d3;
      let z0 = b;
      let z1 = b;
      let z2 = b;
      let z3 = b;
      for (let j = 0; j < d; j++) {
        const wj = w[j]!;
        z0 += x[o + j]! * wj;
        z1 += x[o1 + j]! * wj;
        z2 += x[o2 + j]! * wj;
        z3 += x[o3 + j]! * wj;
      }
      const u0 = -y[i]! * z0;
      v0 += (u0 > 0 ? u0 : 0) + Math.log1p(Math.exp(-Math.abs(u0)));
      const u1 = -y[i + 1]! * z1;
      v1 += (u1 > 0 ? u1 : 0) + Math.log1p(Math.exp(-Math.abs(u1)));
      const u2 = -y[i + 2]! * z2;
      v2 += (u2 > 0 ? u2 : 0) + Math.log1p(Math.exp(-Math.abs(u2)));
      const u3 = -y[i + 3]! * z3;
      v3 += (u3 > 0 ? u3 : 0) + Math.log1p(Math.exp(-Math.abs(u3)));
    }
    for (; i < N; i++, o += d) {
      let z = b;
      for (let j = 0; j < d; j++) {
        const wj = w[j]!;
        z += x[o + j]! * wj;
      }
      const u = -y[i]! * z;
      v0 += (u > 0 ? u : 0) + Math.log1p(Math.exp(-Math.abs(u)));
    }
    return (v0 + v1 + (v2 + v3)) * invN;
  }

  function gradient(w: Float64Array, b: number, X: Matrix, y: Float64Array) {
    const x = X.data;
    gw.fill(0);
    let v0 = 0;
    let v1 = 0;
    let v2 = 0;
    let v3 = 0;
    let gb = 0;
    let i = 0;
    let o = 0;
    // Eight rows per sweep over the gradient: two dot-product sweeps of four rows each.
    for (; i < N8; i += 8, o += d8) {
      const o1 = o + d;
      const o2 = o + d2;
      const o3 = o + d3;
      const o4 = o + d4;
      const o5 = o + d5;
      const o6 = o + d6;
      const o7 = o + d7;
      let z0 = b;
      let z1 = b;
      let z2 = b;
      let z3 = b;
      for (let j = 0; j < d; j++) {
        const wj = w[j]!;
        z0 += x[o + j]! * wj;
        z1 += x[o1 + j]! * wj;
        z2 += x[o2 + j]! * wj;
        z3 += x[o3 + j]! * wj;
      }
      let z4 = b;
      let z5 = b;
      let z6 = b;
      let z7 = b;
      for (let j = 0; j < d; j++) {
        const wj = w[j]!;
        z4 += x[o4 + j]! * wj;
        z5 += x[o5 + j]! * wj;
        z6 += x[o6 + j]! * wj;
        z7 += x[o7 + j]! * wj;
      }
      const yi0 = y[i]!;
      const u0 = -yi0 * z0;
      const e0 = Math.exp(-Math.abs(u0));
      v0 += (u0 > 0 ? u0 : 0) + Math.log1p(e0);
      const g0 = (u0 >= 0 ? -yi0 : -yi0 * e0) / (1 + e0);
      const yi1 = y[i + 1]!;
      const u1 = -yi1 * z1;
      const e1 = Math.exp(-Math.abs(u1));
      v1 += (u1 > 0 ? u1 : 0) + Math.log1p(e1);
      const g1 = (u1 >= 0 ? -yi1 : -yi1 * e1) / (1 + e1);
      const yi2 = y[i + 2]!;
      const u2 = -yi2 * z2;
      const e2 = Math.exp(-Math.abs(u2));
      v2 += (u2 > 0 ? u2 : 0) + Math.log1p(e2);
      const g2 = (u2 >= 0 ? -yi2 : -yi2 * e2) / (1 + e2);
      const yi3 = y[i + 3]!;
      const u3 = -yi3 * z3;
      const e3 = Math.exp(-Math.abs(u3));
      v3 += (u3 > 0 ? u3 : 0) + Math.log1p(e3);
      const g3 = (u3 >= 0 ? -yi3 : -yi3 * e3) / (1 + e3);
      const yi4 = y[i + 4]!;
      const u4 = -yi4 * z4;
      const e4 = Math.exp(-Math.abs(u4));
      v0 += (u4 > 0 ? u4 : 0) + Math.log1p(e4);
      const g4 = (u4 >= 0 ? -yi4 : -yi4 * e4) / (1 + e4);
      const yi5 = y[i + 5]!;
      const u5 = -yi5 * z5;
      const e5 = Math.exp(-Math.abs(u5));
      v1 += (u5 > 0 ? u5 : 0) + Math.log1p(e5);
      const g5 = (u5 >= 0 ? -yi5 : -yi5 * e5) / (1 + e5);
      const yi6 = y[i + 6]!;
      const u6 = -yi6 * z6;
      const e6 = Math.exp(-Math.abs(u6));
      v2 += (u6 > 0 ? u6 : 0) + Math.log1p(e6);
      const g6 = (u6 >= 0 ? -yi6 : -yi6 * e6) / (1 + e6);
      const yi7 = y[i + 7]!;
      const u7 = -yi7 * z7;
      const e7 = Math.exp(-Math.abs(u7));
      v3 += (u7 > 0 ? u7 : 0) + Math.log1p(e7);
      const g7 = (u7 >= 0 ? -yi7 : -yi7 * e7) / (1 + e7);
      gb += g0 + g1 + (g2 + g3) + (g4 + g5 + (g6 + g7));
      for (let j = 0; j < d; j++) {
        gw[j] =
          gw[j]! +
          (g0 * x[o + j]! +
            g1 * x[o1 + j]! +
            (g2 * x[o2 + j]! + g3 * x[o3 + j]!) +
            (g4 * x[o4 + j]! + g5 * x[o5 + j]! + (g6 * x[o6 + j]! + g7 * x[o7 + j]!)));
      }
    }
    if (i < N4) {
      const o1 = o + d;
      const o2 = o + d2;
      const o3 = o + d3;
      let z0 = b;
      let z1 = b;
      let z2 = b;
      let z3 = b;
      for (let j = 0; j < d; j++) {
        const wj = w[j]!;
        z0 += x[o + j]! * wj;
        z1 += x[o1 + j]! * wj;
        z2 += x[o2 + j]! * wj;
        z3 += x[o3 + j]! * wj;
      }
      const yi0 = y[i]!;
      const u0 = -yi0 * z0;
      const e0 = Math.exp(-Math.abs(u0));
      v0 += (u0 > 0 ? u0 : 0) + Math.log1p(e0);
      const g0 = (u0 >= 0 ? -yi0 : -yi0 * e0) / (1 + e0);
      const yi1 = y[i + 1]!;
      const u1 = -yi1 * z1;
      const e1 = Math.exp(-Math.abs(u1));
      v1 += (u1 > 0 ? u1 : 0) + Math.log1p(e1);
      const g1 = (u1 >= 0 ? -yi1 : -yi1 * e1) / (1 + e1);
      const yi2 = y[i + 2]!;
      const u2 = -yi2 * z2;
      const e2 = Math.exp(-Math.abs(u2));
      v2 += (u2 > 0 ? u2 : 0) + Math.log1p(e2);
      const g2 = (u2 >= 0 ? -yi2 : -yi2 * e2) / (1 + e2);
      const yi3 = y[i + 3]!;
      const u3 = -yi3 * z3;
      const e3 = Math.exp(-Math.abs(u3));
      v3 += (u3 > 0 ? u3 : 0) + Math.log1p(e3);
      const g3 = (u3 >= 0 ? -yi3 : -yi3 * e3) / (1 + e3);
      gb += g0 + g1 + (g2 + g3);
      for (let j = 0; j < d; j++) {
        gw[j] = gw[j]! + (g0 * x[o + j]! + g1 * x[o1 + j]! + (g2 * x[o2 + j]! + g3 * x[o3 + j]!));
      }
      i += 4;
      o += d4;
    }
    for (; i < N; i++, o += d) {
      let z = b;
      for (let j = 0; j < d; j++) {
        const wj = w[j]!;
        z += x[o + j]! * wj;
      }
      const yi = y[i]!;
      const u = -yi * z;
      const e = Math.exp(-Math.abs(u));
      v0 += (u > 0 ? u : 0) + Math.log1p(e);
      const g = (u >= 0 ? -yi : -yi * e) / (1 + e);
      gb += g;
      for (let j = 0; j < d; j++) gw[j] = gw[j]! + g * x[o + j]!;
    }
    for (let j = 0; j < d; j++) gw[j] = gw[j]! * invN;
    grad.b = gb * invN;
    result.value = (v0 + v1 + (v2 + v3)) * invN;
    return result;
  }

  return { value, grad: gradient };
}

// ---------------------------------------------------------------------------------------------
// P4 neuron: a = max(0, X w + b), r = a − y, L = mean(r²); dL/dz = (2/N) r [z > 0].

function neuron(N: number, d: number): Baseline<LinearArgs, LinearGrad> {
  const gw = new Float64Array(d);
  const grad: LinearGrad = { w: gw, b: NaN };
  const result = { value: NaN, grad };
  const d2 = 2 * d;
  const d3 = 3 * d;
  const d4 = 4 * d;
  const d5 = 5 * d;
  const d6 = 6 * d;
  const d7 = 7 * d;
  const d8 = 8 * d;
  const N4 = N - (N % 4);
  const N8 = N - (N % 8);
  const invN = 1 / N;
  const twoInvN = 2 / N;

  function value(w: Float64Array, b: number, X: Matrix, y: Float64Array): number {
    const x = X.data;
    let v0 = 0;
    let v1 = 0;
    let v2 = 0;
    let v3 = 0;
    let i = 0;
    let o = 0;
    for (; i < N4; i += 4, o += d4) {
      const o1 = o + d;
      const o2 = o + d2;
      const o3 = o + d3;
      let z0 = b;
      let z1 = b;
      let z2 = b;
      let z3 = b;
      for (let j = 0; j < d; j++) {
        const wj = w[j]!;
        z0 += x[o + j]! * wj;
        z1 += x[o1 + j]! * wj;
        z2 += x[o2 + j]! * wj;
        z3 += x[o3 + j]! * wj;
      }
      const e0 = (z0 > 0 ? z0 : 0) - y[i]!;
      v0 += e0 * e0;
      const e1 = (z1 > 0 ? z1 : 0) - y[i + 1]!;
      v1 += e1 * e1;
      const e2 = (z2 > 0 ? z2 : 0) - y[i + 2]!;
      v2 += e2 * e2;
      const e3 = (z3 > 0 ? z3 : 0) - y[i + 3]!;
      v3 += e3 * e3;
    }
    for (; i < N; i++, o += d) {
      let z = b;
      for (let j = 0; j < d; j++) {
        const wj = w[j]!;
        z += x[o + j]! * wj;
      }
      const e = (z > 0 ? z : 0) - y[i]!;
      v0 += e * e;
    }
    return (v0 + v1 + (v2 + v3)) * invN;
  }

  function gradient(w: Float64Array, b: number, X: Matrix, y: Float64Array) {
    const x = X.data;
    gw.fill(0);
    let v0 = 0;
    let v1 = 0;
    let v2 = 0;
    let v3 = 0;
    let gb = 0;
    let i = 0;
    let o = 0;
    // Eight rows per sweep over the gradient: two dot-product sweeps of four rows each.
    for (; i < N8; i += 8, o += d8) {
      const o1 = o + d;
      const o2 = o + d2;
      const o3 = o + d3;
      const o4 = o + d4;
      const o5 = o + d5;
      const o6 = o + d6;
      const o7 = o + d7;
      let z0 = b;
      let z1 = b;
      let z2 = b;
      let z3 = b;
      for (let j = 0; j < d; j++) {
        const wj = w[j]!;
        z0 += x[o + j]! * wj;
        z1 += x[o1 + j]! * wj;
        z2 += x[o2 + j]! * wj;
        z3 += x[o3 + j]! * wj;
      }
      let z4 = b;
      let z5 = b;
      let z6 = b;
      let z7 = b;
      for (let j = 0; j < d; j++) {
        const wj = w[j]!;
        z4 += x[o4 + j]! * wj;
        z5 += x[o5 + j]! * wj;
        z6 += x[o6 + j]! * wj;
        z7 += x[o7 + j]! * wj;
      }
      const e0 = (z0 > 0 ? z0 : 0) - y[i]!;
      v0 += e0 * e0;
      const g0 = z0 > 0 ? e0 : 0;
      const e1 = (z1 > 0 ? z1 : 0) - y[i + 1]!;
      v1 += e1 * e1;
      const g1 = z1 > 0 ? e1 : 0;
      const e2 = (z2 > 0 ? z2 : 0) - y[i + 2]!;
      v2 += e2 * e2;
      const g2 = z2 > 0 ? e2 : 0;
      const e3 = (z3 > 0 ? z3 : 0) - y[i + 3]!;
      v3 += e3 * e3;
      const g3 = z3 > 0 ? e3 : 0;
      const e4 = (z4 > 0 ? z4 : 0) - y[i + 4]!;
      v0 += e4 * e4;
      const g4 = z4 > 0 ? e4 : 0;
      const e5 = (z5 > 0 ? z5 : 0) - y[i + 5]!;
      v1 += e5 * e5;
      const g5 = z5 > 0 ? e5 : 0;
      const e6 = (z6 > 0 ? z6 : 0) - y[i + 6]!;
      v2 += e6 * e6;
      const g6 = z6 > 0 ? e6 : 0;
      const e7 = (z7 > 0 ? z7 : 0) - y[i + 7]!;
      v3 += e7 * e7;
      const g7 = z7 > 0 ? e7 : 0;
      gb += g0 + g1 + (g2 + g3) + (g4 + g5 + (g6 + g7));
      for (let j = 0; j < d; j++) {
        gw[j] =
          gw[j]! +
          (g0 * x[o + j]! +
            g1 * x[o1 + j]! +
            (g2 * x[o2 + j]! + g3 * x[o3 + j]!) +
            (g4 * x[o4 + j]! + g5 * x[o5 + j]! + (g6 * x[o6 + j]! + g7 * x[o7 + j]!)));
      }
    }
    if (i < N4) {
      const o1 = o + d;
      const o2 = o + d2;
      const o3 = o + d3;
      let z0 = b;
      let z1 = b;
      let z2 = b;
      let z3 = b;
      for (let j = 0; j < d; j++) {
        const wj = w[j]!;
        z0 += x[o + j]! * wj;
        z1 += x[o1 + j]! * wj;
        z2 += x[o2 + j]! * wj;
        z3 += x[o3 + j]! * wj;
      }
      const e0 = (z0 > 0 ? z0 : 0) - y[i]!;
      v0 += e0 * e0;
      const g0 = z0 > 0 ? e0 : 0;
      const e1 = (z1 > 0 ? z1 : 0) - y[i + 1]!;
      v1 += e1 * e1;
      const g1 = z1 > 0 ? e1 : 0;
      const e2 = (z2 > 0 ? z2 : 0) - y[i + 2]!;
      v2 += e2 * e2;
      const g2 = z2 > 0 ? e2 : 0;
      const e3 = (z3 > 0 ? z3 : 0) - y[i + 3]!;
      v3 += e3 * e3;
      const g3 = z3 > 0 ? e3 : 0;
      gb += g0 + g1 + (g2 + g3);
      for (let j = 0; j < d; j++) {
        gw[j] = gw[j]! + (g0 * x[o + j]! + g1 * x[o1 + j]! + (g2 * x[o2 + j]! + g3 * x[o3 + j]!));
      }
      i += 4;
      o += d4;
    }
    for (; i < N; i++, o += d) {
      let z = b;
      for (let j = 0; j < d; j++) {
        const wj = w[j]!;
        z += x[o + j]! * wj;
      }
      const e = (z > 0 ? z : 0) - y[i]!;
      v0 += e * e;
      const g = z > 0 ? e : 0;
      gb += g;
      for (let j = 0; j < d; j++) gw[j] = gw[j]! + g * x[o + j]!;
    }
    for (let j = 0; j < d; j++) gw[j] = gw[j]! * twoInvN;
    grad.b = gb * twoInvN;
    result.value = (v0 + v1 + (v2 + v3)) * invN;
    return result;
  }

  return { value, grad: gradient };
}

// ---------------------------------------------------------------------------------------------
// Kernels for a layer x ↦ W x with W of size rows × d, applied to four inputs x_0..x_3 at a time
// (rows of length d, x_r at offset o + r·d): P3's two layers, P5. Each sweep over a row of W
// handles three rows of W × the four inputs, twelve independent accumulators or coefficients.
// Out and G hold four rows of length `rows` (row r at r·rows); DX four rows of length d.

interface BlockKernels {
  /** Out[r, k] = bias[k] + x_r · W_k (bias omitted when null), with relu: max(0, ·). */
  forward(
    W: Float64Array,
    bias: Float64Array | null,
    x: Float64Array,
    o: number,
    Out: Float64Array,
    relu: boolean,
  ): void;
  /** gW_k += Σ_r G[r, k] x_r: the weight gradient. */
  backward(gW: Float64Array, x: Float64Array, o: number, G: Float64Array): void;
  /** DX[r, ·] = Σ_k G[r, k] W_k: the input gradient. */
  backwardInput(W: Float64Array, G: Float64Array, DX: Float64Array): void;
}

function blockKernels(d: number, rows: number): BlockKernels {
  const d2 = 2 * d;
  const d3 = 3 * d;
  const K3 = rows - (rows % 3);
  const s1 = rows; // the stride of Out and G between the four rows
  const s2 = 2 * rows;
  const s3 = 3 * rows;
  return {
    forward(W, bias, x, o, Out, relu) {
      const o1 = o + d;
      const o2 = o + d2;
      const o3 = o + d3;
      let k = 0;
      let wa = 0;
      for (; k < K3; k += 3, wa += d3) {
        const wb = wa + d;
        const wc = wb + d;
        const pa = bias === null ? 0 : bias[k]!;
        const pb = bias === null ? 0 : bias[k + 1]!;
        const pc = bias === null ? 0 : bias[k + 2]!;
        let a0 = pa;
        let a1 = pa;
        let a2 = pa;
        let a3 = pa;
        let b0 = pb;
        let b1 = pb;
        let b2 = pb;
        let b3 = pb;
        let c0 = pc;
        let c1 = pc;
        let c2 = pc;
        let c3 = pc;
        for (let j = 0; j < d; j++) {
          const x0 = x[o + j]!;
          const x1 = x[o1 + j]!;
          const x2 = x[o2 + j]!;
          const x3 = x[o3 + j]!;
          const u = W[wa + j]!;
          const v = W[wb + j]!;
          const t = W[wc + j]!;
          a0 += x0 * u;
          a1 += x1 * u;
          a2 += x2 * u;
          a3 += x3 * u;
          b0 += x0 * v;
          b1 += x1 * v;
          b2 += x2 * v;
          b3 += x3 * v;
          c0 += x0 * t;
          c1 += x1 * t;
          c2 += x2 * t;
          c3 += x3 * t;
        }
        if (relu) {
          Out[k] = a0 > 0 ? a0 : 0;
          Out[s1 + k] = a1 > 0 ? a1 : 0;
          Out[s2 + k] = a2 > 0 ? a2 : 0;
          Out[s3 + k] = a3 > 0 ? a3 : 0;
          Out[k + 1] = b0 > 0 ? b0 : 0;
          Out[s1 + k + 1] = b1 > 0 ? b1 : 0;
          Out[s2 + k + 1] = b2 > 0 ? b2 : 0;
          Out[s3 + k + 1] = b3 > 0 ? b3 : 0;
          Out[k + 2] = c0 > 0 ? c0 : 0;
          Out[s1 + k + 2] = c1 > 0 ? c1 : 0;
          Out[s2 + k + 2] = c2 > 0 ? c2 : 0;
          Out[s3 + k + 2] = c3 > 0 ? c3 : 0;
        } else {
          Out[k] = a0;
          Out[s1 + k] = a1;
          Out[s2 + k] = a2;
          Out[s3 + k] = a3;
          Out[k + 1] = b0;
          Out[s1 + k + 1] = b1;
          Out[s2 + k + 1] = b2;
          Out[s3 + k + 1] = b3;
          Out[k + 2] = c0;
          Out[s1 + k + 2] = c1;
          Out[s2 + k + 2] = c2;
          Out[s3 + k + 2] = c3;
        }
      }
      for (; k < rows; k++, wa += d) {
        const p = bias === null ? 0 : bias[k]!;
        let a0 = p;
        let a1 = p;
        let a2 = p;
        let a3 = p;
        for (let j = 0; j < d; j++) {
          const u = W[wa + j]!;
          a0 += x[o + j]! * u;
          a1 += x[o1 + j]! * u;
          a2 += x[o2 + j]! * u;
          a3 += x[o3 + j]! * u;
        }
        if (relu) {
          Out[k] = a0 > 0 ? a0 : 0;
          Out[s1 + k] = a1 > 0 ? a1 : 0;
          Out[s2 + k] = a2 > 0 ? a2 : 0;
          Out[s3 + k] = a3 > 0 ? a3 : 0;
        } else {
          Out[k] = a0;
          Out[s1 + k] = a1;
          Out[s2 + k] = a2;
          Out[s3 + k] = a3;
        }
      }
    },
    backward(gW, x, o, G) {
      const o1 = o + d;
      const o2 = o + d2;
      const o3 = o + d3;
      let k = 0;
      let wa = 0;
      for (; k < K3; k += 3, wa += d3) {
        const wb = wa + d;
        const wc = wb + d;
        const a0 = G[k]!;
        const a1 = G[s1 + k]!;
        const a2 = G[s2 + k]!;
        const a3 = G[s3 + k]!;
        const b0 = G[k + 1]!;
        const b1 = G[s1 + k + 1]!;
        const b2 = G[s2 + k + 1]!;
        const b3 = G[s3 + k + 1]!;
        const c0 = G[k + 2]!;
        const c1 = G[s1 + k + 2]!;
        const c2 = G[s2 + k + 2]!;
        const c3 = G[s3 + k + 2]!;
        for (let j = 0; j < d; j++) {
          const x0 = x[o + j]!;
          const x1 = x[o1 + j]!;
          const x2 = x[o2 + j]!;
          const x3 = x[o3 + j]!;
          gW[wa + j] = gW[wa + j]! + (a0 * x0 + a1 * x1 + (a2 * x2 + a3 * x3));
          gW[wb + j] = gW[wb + j]! + (b0 * x0 + b1 * x1 + (b2 * x2 + b3 * x3));
          gW[wc + j] = gW[wc + j]! + (c0 * x0 + c1 * x1 + (c2 * x2 + c3 * x3));
        }
      }
      for (; k < rows; k++, wa += d) {
        const a0 = G[k]!;
        const a1 = G[s1 + k]!;
        const a2 = G[s2 + k]!;
        const a3 = G[s3 + k]!;
        for (let j = 0; j < d; j++) {
          gW[wa + j] = gW[wa + j]! + (a0 * x[o + j]! + a1 * x[o1 + j]! + (a2 * x[o2 + j]! + a3 * x[o3 + j]!));
        }
      }
    },
    backwardInput(W, G, DX) {
      DX.fill(0, 0, 4 * d);
      let k = 0;
      let wa = 0;
      for (; k < K3; k += 3, wa += d3) {
        const wb = wa + d;
        const wc = wb + d;
        const a0 = G[k]!;
        const a1 = G[s1 + k]!;
        const a2 = G[s2 + k]!;
        const a3 = G[s3 + k]!;
        const b0 = G[k + 1]!;
        const b1 = G[s1 + k + 1]!;
        const b2 = G[s2 + k + 1]!;
        const b3 = G[s3 + k + 1]!;
        const c0 = G[k + 2]!;
        const c1 = G[s1 + k + 2]!;
        const c2 = G[s2 + k + 2]!;
        const c3 = G[s3 + k + 2]!;
        for (let j = 0; j < d; j++) {
          const u = W[wa + j]!;
          const v = W[wb + j]!;
          const t = W[wc + j]!;
          DX[j] = DX[j]! + (a0 * u + b0 * v + c0 * t);
          DX[d + j] = DX[d + j]! + (a1 * u + b1 * v + c1 * t);
          DX[d2 + j] = DX[d2 + j]! + (a2 * u + b2 * v + c2 * t);
          DX[d3 + j] = DX[d3 + j]! + (a3 * u + b3 * v + c3 * t);
        }
      }
      for (; k < rows; k++, wa += d) {
        const a0 = G[k]!;
        const a1 = G[s1 + k]!;
        const a2 = G[s2 + k]!;
        const a3 = G[s3 + k]!;
        for (let j = 0; j < d; j++) {
          const u = W[wa + j]!;
          DX[j] = DX[j]! + a0 * u;
          DX[d + j] = DX[d + j]! + a1 * u;
          DX[d2 + j] = DX[d2 + j]! + a2 * u;
          DX[d3 + j] = DX[d3 + j]! + a3 * u;
        }
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// P3 two-layer MLP: A = X W1ᵀ + b1, H = relu(A), out = H W2ᵀ + b2, R = out − Y,
// L = mean(R²) over the N·c entries. With R unscaled: dW2 = Rᵀ H, db2 = Σ_rows R,
// dA = (R W2) ⊙ [A > 0], dW1 = dAᵀ X, db1 = Σ_rows dA; all scaled by 2/(N c) at the end.
// Four rows at a time: the block's hidden layer (4 × hidden) is computed, propagated forward
// to the outputs and straight back, and its contributions to dW1, dW2 accumulated; nothing of
// size N × hidden is materialized.

function mlp(N: number, d: number, hidden: number, c: number): Baseline<MlpArgs, MlpGrad> {
  const gW1 = new Float64Array(hidden * d);
  const gb1 = new Float64Array(hidden);
  const gW2 = new Float64Array(c * hidden);
  const gb2 = new Float64Array(c);
  const grad: MlpGrad = {
    W1: { rows: hidden, cols: d, data: gW1 },
    b1: gb1,
    W2: { rows: c, cols: hidden, data: gW2 },
    b2: gb2,
  };
  const result = { value: NaN, grad };
  const layer1 = blockKernels(d, hidden);
  const layer2 = blockKernels(hidden, c);
  // A block of four rows: the hidden layer H (row r at r·hidden), the outputs, overwritten by
  // the residuals R (row r at r·c), and the adjoint of the hidden layer's input, dA.
  const H = new Float64Array(4 * hidden);
  const R = new Float64Array(4 * c);
  const dA = new Float64Array(4 * hidden);
  const h4 = 4 * hidden;
  const d4 = 4 * d;
  const c4 = 4 * c;
  const N4 = N - (N % 4);
  const invNc = 1 / (N * c);
  const scale = 2 / (N * c);
  const sizeW1 = hidden * d;
  const sizeW2 = c * hidden;

  /** The hidden layer H[0 .. hidden) of the single row at offset o. */
  function hidden1(w1: Float64Array, b1: Float64Array, x: Float64Array, o: number): void {
    for (let k = 0, wo = 0; k < hidden; k++, wo += d) {
      let a = b1[k]!;
      for (let j = 0; j < d; j++) a += x[o + j]! * w1[wo + j]!;
      H[k] = a > 0 ? a : 0;
    }
  }

  /** The outputs R[0 .. c) of the single row whose hidden layer is H[0 .. hidden). */
  function output1(w2: Float64Array, b2: Float64Array): void {
    for (let m = 0, wo = 0; m < c; m++, wo += hidden) {
      let s = b2[m]!;
      for (let k = 0; k < hidden; k++) s += H[k]! * w2[wo + k]!;
      R[m] = s;
    }
  }

  function value(W1: Matrix, b1: Float64Array, W2: Matrix, b2: Float64Array, X: Matrix, Y: Matrix): number {
    const x = X.data;
    const w1 = W1.data;
    const w2 = W2.data;
    const t = Y.data;
    let v0 = 0;
    let v1 = 0;
    let v2 = 0;
    let v3 = 0;
    let i = 0;
    let o = 0;
    let yo = 0;
    for (; i < N4; i += 4, o += d4, yo += c4) {
      layer1.forward(w1, b1, x, o, H, true);
      layer2.forward(w2, b2, H, 0, R, false);
      for (let q = 0; q < c4; q += 4) {
        const r0 = R[q]! - t[yo + q]!;
        const r1 = R[q + 1]! - t[yo + q + 1]!;
        const r2 = R[q + 2]! - t[yo + q + 2]!;
        const r3 = R[q + 3]! - t[yo + q + 3]!;
        v0 += r0 * r0;
        v1 += r1 * r1;
        v2 += r2 * r2;
        v3 += r3 * r3;
      }
    }
    for (; i < N; i++, o += d, yo += c) {
      hidden1(w1, b1, x, o);
      output1(w2, b2);
      for (let m = 0; m < c; m++) {
        const r = R[m]! - t[yo + m]!;
        v0 += r * r;
      }
    }
    return (v0 + v1 + (v2 + v3)) * invNc;
  }

  function gradient(W1: Matrix, b1: Float64Array, W2: Matrix, b2: Float64Array, X: Matrix, Y: Matrix) {
    const x = X.data;
    const w1 = W1.data;
    const w2 = W2.data;
    const t = Y.data;
    gW1.fill(0);
    gb1.fill(0);
    gW2.fill(0);
    gb2.fill(0);
    let v0 = 0;
    let v1 = 0;
    let v2 = 0;
    let v3 = 0;
    let i = 0;
    let o = 0;
    let yo = 0;
    for (; i < N4; i += 4, o += d4, yo += c4) {
      layer1.forward(w1, b1, x, o, H, true);
      layer2.forward(w2, b2, H, 0, R, false);
      for (let q = 0; q < c4; q += 4) {
        const r0 = R[q]! - t[yo + q]!;
        const r1 = R[q + 1]! - t[yo + q + 1]!;
        const r2 = R[q + 2]! - t[yo + q + 2]!;
        const r3 = R[q + 3]! - t[yo + q + 3]!;
        v0 += r0 * r0;
        v1 += r1 * r1;
        v2 += r2 * r2;
        v3 += r3 * r3;
        R[q] = r0;
        R[q + 1] = r1;
        R[q + 2] = r2;
        R[q + 3] = r3;
      }
      for (let q = 0; q < c4; q += c) {
        for (let m = 0; m < c; m++) gb2[m] = gb2[m]! + R[q + m]!;
      }
      layer2.backward(gW2, H, 0, R);
      layer2.backwardInput(w2, R, dA);
      // Through the relu: dA = (R W2) ⊙ [A > 0] (H > 0 exactly where A > 0), and db1.
      for (let k = 0; k < hidden; k++) {
        let sum = 0;
        for (let q = k; q < h4; q += hidden) {
          const g = H[q]! > 0 ? dA[q]! : 0;
          dA[q] = g;
          sum += g;
        }
        gb1[k] = gb1[k]! + sum;
      }
      layer1.backward(gW1, x, o, dA);
    }
    for (; i < N; i++, o += d, yo += c) {
      hidden1(w1, b1, x, o);
      output1(w2, b2);
      for (let k = 0; k < hidden; k++) dA[k] = 0;
      for (let m = 0, wo = 0; m < c; m++, wo += hidden) {
        const r = R[m]! - t[yo + m]!;
        v0 += r * r;
        gb2[m] = gb2[m]! + r;
        for (let k = 0; k < hidden; k++) {
          gW2[wo + k] = gW2[wo + k]! + r * H[k]!;
          dA[k] = dA[k]! + r * w2[wo + k]!;
        }
      }
      for (let k = 0, wo = 0; k < hidden; k++, wo += d) {
        if (!(H[k]! > 0)) continue;
        const g = dA[k]!;
        gb1[k] = gb1[k]! + g;
        for (let j = 0; j < d; j++) gW1[wo + j] = gW1[wo + j]! + g * x[o + j]!;
      }
    }
    for (let q = 0; q < sizeW1; q++) gW1[q] = gW1[q]! * scale;
    for (let q = 0; q < hidden; q++) gb1[q] = gb1[q]! * scale;
    for (let q = 0; q < sizeW2; q++) gW2[q] = gW2[q]! * scale;
    for (let q = 0; q < c; q++) gb2[q] = gb2[q]! * scale;
    result.value = (v0 + v1 + (v2 + v3)) * invNc;
    return result;
  }

  return { value, grad: gradient };
}

// ---------------------------------------------------------------------------------------------
// P5 softmax cross-entropy: Z = X Wᵀ, L = mean_i(logsumexp(Z_i) − Σ_j T_ij Z_ij);
// dZ = (softmax(Z) − T) / N, dW = dZᵀ X. Four rows at a time: the block's logits (4 × c), then
// per row a stable logsumexp whose exponentials are reused for the softmax, then the block's
// contribution to dW.

function softmaxCrossEntropy(N: number, d: number, c: number): Baseline<SoftmaxArgs, SoftmaxGrad> {
  const gW = new Float64Array(c * d);
  const grad: SoftmaxGrad = { W: { rows: c, cols: d, data: gW } };
  const result = { value: NaN, grad };
  const kernels = blockKernels(d, c);
  // Logits of a block of four rows (row r at r·c), overwritten by softmax − T.
  const Z = new Float64Array(4 * c);
  const d4 = 4 * d;
  const c4 = 4 * c;
  const N4 = N - (N % 4);
  const invN = 1 / N;
  const sizeW = c * d;

  /** The loss of the row whose logits are Z[zo .. zo + c) and targets t[to .. to + c). */
  function rowLoss(t: Float64Array, zo: number, to: number): number {
    let max = Z[zo]!;
    for (let m = 1; m < c; m++) {
      const z = Z[zo + m]!;
      if (z > max) max = z;
    }
    let sum = 0;
    let tz = 0;
    for (let m = 0; m < c; m++) {
      const z = Z[zo + m]!;
      sum += Math.exp(z - max);
      tz += t[to + m]! * z;
    }
    return max + Math.log(sum) - tz;
  }

  /** As rowLoss, and overwrites the row's logits by softmax − T. */
  function rowLossGrad(t: Float64Array, zo: number, to: number): number {
    let max = Z[zo]!;
    for (let m = 1; m < c; m++) {
      const z = Z[zo + m]!;
      if (z > max) max = z;
    }
    let sum = 0;
    let tz = 0;
    for (let m = 0; m < c; m++) {
      const z = Z[zo + m]!;
      const e = Math.exp(z - max);
      Z[zo + m] = e;
      sum += e;
      tz += t[to + m]! * z;
    }
    const inv = 1 / sum;
    for (let m = 0; m < c; m++) Z[zo + m] = Z[zo + m]! * inv - t[to + m]!;
    return max + Math.log(sum) - tz;
  }

  /** One row's logits into Z[0 .. c). */
  function logits1(w: Float64Array, x: Float64Array, o: number): void {
    for (let m = 0, wo = 0; m < c; m++, wo += d) {
      let z = 0;
      for (let j = 0; j < d; j++) z += x[o + j]! * w[wo + j]!;
      Z[m] = z;
    }
  }

  function value(W: Matrix, X: Matrix, T: Matrix): number {
    const x = X.data;
    const w = W.data;
    const t = T.data;
    let v = 0;
    let i = 0;
    let o = 0;
    let to = 0;
    for (; i < N4; i += 4, o += d4) {
      kernels.forward(w, null, x, o, Z, false);
      for (let zo = 0; zo < c4; zo += c, to += c) v += rowLoss(t, zo, to);
    }
    for (; i < N; i++, o += d, to += c) {
      logits1(w, x, o);
      v += rowLoss(t, 0, to);
    }
    return v * invN;
  }

  function gradient(W: Matrix, X: Matrix, T: Matrix) {
    const x = X.data;
    const w = W.data;
    const t = T.data;
    gW.fill(0);
    let v = 0;
    let i = 0;
    let o = 0;
    let to = 0;
    for (; i < N4; i += 4, o += d4) {
      kernels.forward(w, null, x, o, Z, false);
      for (let zo = 0; zo < c4; zo += c, to += c) v += rowLossGrad(t, zo, to);
      kernels.backward(gW, x, o, Z);
    }
    for (; i < N; i++, o += d, to += c) {
      logits1(w, x, o);
      v += rowLossGrad(t, 0, to);
      for (let m = 0, wo = 0; m < c; m++, wo += d) {
        const g = Z[m]!;
        for (let j = 0; j < d; j++) gW[wo + j] = gW[wo + j]! + g * x[o + j]!;
      }
    }
    for (let q = 0; q < sizeW; q++) gW[q] = gW[q]! * invN;
    result.value = v * invN;
    return result;
  }

  return { value, grad: gradient };
}
