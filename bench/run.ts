// `npm run bench`: generated gradients against hand-written TypeScript.
// Results and the machine they were measured on go in bench/README.md.

import { Bench } from "tinybench";
import { matrix, type Matrix } from "../runtime/index.js";
import { leastSquaresGrad, logisticGrad, logisticHvp } from "./models.grad.js";

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

/** The least-squares gradient, written by hand: one fused loop. */
function leastSquaresByHand(a: number, b: number, c: number, t: Float64Array, y: Float64Array) {
  const n = t.length;
  let value = 0;
  let da = 0;
  let db = 0;
  let dc = 0;
  for (let i = 0; i < n; i++) {
    const ti = t[i]!;
    const r = a + b * ti + c * ti * ti - y[i]!;
    value += r * r;
    da += r;
    db += r * ti;
    dc += r * ti * ti;
  }
  const s = 2 / n;
  return { value: value / n, grad: { a: s * da, b: s * db, c: s * dc } };
}

/** The logistic-regression gradient, written by hand. */
function logisticByHand(w: Float64Array, X: Matrix, y: Float64Array) {
  const { rows: n, cols: d, data } = X;
  const grad = new Float64Array(d);
  let value = 0;
  for (let i = 0; i < n; i++) {
    let z = 0;
    for (let j = 0; j < d; j++) z += data[i * d + j]! * w[j]!;
    const m = y[i]! * z;
    value += Math.max(-m, 0) + Math.log1p(Math.exp(-Math.abs(m)));
    const coefficient = (-y[i]! / (1 + Math.exp(m))) / n;
    for (let j = 0; j < d; j++) grad[j] = grad[j]! + coefficient * data[i * d + j]!;
  }
  return { value: value / n, grad: { w: grad } };
}

const rand = random(1);
const N = 1000;
const t = Float64Array.from({ length: N }, () => 4 * rand());
const y = Float64Array.from(t, (ti) => 1.5 - 2 * ti + 0.75 * ti * ti + 0.1 * rand());
const d = 20;
const X = matrix(N, d, Float64Array.from({ length: N * d }, rand));
const w = Float64Array.from({ length: d }, rand);
const labels = Float64Array.from({ length: N }, () => (rand() > 0 ? 1 : -1));
const direction = Float64Array.from({ length: d }, rand);

// The two sides must agree before their speed means anything.
const check = (name: string, a: number, b: number) => {
  if (Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(a))) throw new Error(`${name}: ${a} ≠ ${b}`);
};
check("least squares", leastSquaresGrad(0.1, 0.2, 0.3, t, y).grad.c, leastSquaresByHand(0.1, 0.2, 0.3, t, y).grad.c);
check("logistic", logisticGrad(w, X, labels).grad.w[3]!, logisticByHand(w, X, labels).grad.w[3]!);

const bench = new Bench({ time: 500, warmup: true });
bench
  .add("least squares, N = 1000: gradc leastSquaresGrad", () => leastSquaresGrad(0.1, 0.2, 0.3, t, y))
  .add("least squares, N = 1000: hand-written", () => leastSquaresByHand(0.1, 0.2, 0.3, t, y))
  .add("logistic regression, 1000 × 20: gradc logisticGrad", () => logisticGrad(w, X, labels))
  .add("logistic regression, 1000 × 20: hand-written", () => logisticByHand(w, X, labels))
  .add("logistic regression, 1000 × 20: gradc logisticHvp", () => logisticHvp(w, X, labels, { w: direction }));
await bench.run();

const rows = bench.tasks.map((task) => {
  const result = task.result as { latency?: { mean: number } } | undefined;
  return { task: task.name, "mean (µs)": ((result?.latency?.mean ?? NaN) * 1000).toFixed(2) };
});
console.table(rows);
