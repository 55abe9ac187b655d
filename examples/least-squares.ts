// Gradient descent on a least-squares problem with the gradient gradc
// generated from least-squares.grad. Run it with `npm run demo`.

import { pathToFileURL } from "node:url";
import { loss, lossGrad } from "./least-squares.grad.js";

export interface Fit {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly losses: number[];
}

/** Noisy samples of y = 1.5 - 2t + 0.75t² on [-2, 2], from a seeded generator. */
export function makeData(samples: number, seed = 1): { t: Float64Array; y: Float64Array } {
  let state = seed;
  const random = () => ((state = (state * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const t = new Float64Array(samples);
  const y = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    t[i] = -2 + (4 * i) / (samples - 1);
    y[i] = 1.5 - 2 * t[i]! + 0.75 * t[i]! ** 2 + 0.1 * (random() - 0.5);
  }
  return { t, y };
}

/** Plain gradient descent from (0, 0, 0). */
export function fit(t: Float64Array, y: Float64Array, steps = 2000, learningRate = 0.05): Fit {
  let a = 0;
  let b = 0;
  let c = 0;
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    const { value, grad } = lossGrad(a, b, c, t, y);
    losses.push(value);
    a -= learningRate * grad.a;
    b -= learningRate * grad.b;
    c -= learningRate * grad.c;
  }
  losses.push(loss(a, b, c, t, y));
  return { a, b, c, losses };
}

/** The exact least-squares solution, from the 3×3 normal equations, to compare with. */
export function exactFit(t: Float64Array, y: Float64Array): [number, number, number] {
  const moments = [0, 1, 2, 3, 4].map((k) => t.reduce((s, ti) => s + ti ** k, 0));
  const rhs = [0, 1, 2].map((k) => t.reduce((s, ti, i) => s + ti ** k * y[i]!, 0));
  const m = [0, 1, 2].map((r) => [0, 1, 2].map((col) => moments[r + col]!));
  // Cramer's rule is plenty for a well-conditioned 3×3 system.
  const det = (q: number[][]) =>
    q[0]![0]! * (q[1]![1]! * q[2]![2]! - q[1]![2]! * q[2]![1]!) -
    q[0]![1]! * (q[1]![0]! * q[2]![2]! - q[1]![2]! * q[2]![0]!) +
    q[0]![2]! * (q[1]![0]! * q[2]![1]! - q[1]![1]! * q[2]![0]!);
  const d = det(m);
  const solve = (col: number) => det(m.map((row, r) => row.map((v, j) => (j === col ? rhs[r]! : v)))) / d;
  return [solve(0), solve(1), solve(2)];
}

function main(): void {
  const { t, y } = makeData(200);
  const result = fit(t, y);
  console.log("step   loss");
  for (const step of [0, 10, 50, 100, 500, 1000, 2000]) {
    console.log(`${String(step).padStart(4)}   ${result.losses[step]!.toExponential(4)}`);
  }
  const [a, b, c] = exactFit(t, y);
  console.log(`\nfitted     a = ${result.a.toFixed(4)}, b = ${result.b.toFixed(4)}, c = ${result.c.toFixed(4)}`);
  console.log(`exact      a = ${a.toFixed(4)}, b = ${b.toFixed(4)}, c = ${c.toFixed(4)}`);
  console.log(`true       a = 1.5000, b = -2.0000, c = 0.7500`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
