// Checks the hand-written baselines (bench/baselines.ts) before their speed means anything:
// `npx tsx bench/baselines-check.ts`. For sizes small and medium and tiny sizes with
// N ∈ {1, 3, 5, 7} (d = 3, hidden = 5, c = 4), and for every problem:
//
// - value() agrees with a naive reference written straight from the definition (rel. 1e-12);
// - value() equals grad().value (rel. 1e-14; bit-identical is reported);
// - every gradient entry g matches a central finite difference fd of value(), step 1e-6
//   relative (h = 1e-6 · max(1, |θ|)): relative error |fd − g| / max(|fd|, |g|) < 1e-5, or,
//   where the entry is so small that rounding noise dominates the difference quotient, an
//   absolute error below that noise bound, ε · |L| · √terms / h (about five times the expected
//   noise of (L(θ + h) − L(θ − h)) / 2h when L sums `terms` rounded terms);
// - two consecutive grad() calls (with a value() call in between) give identical numbers.
//
// Prints a summary and exits with status 1 on any failure.

import type { Matrix } from "../runtime/index.js";
import { baselines } from "./baselines.js";
import { problemData, sizes, type Sizes } from "./problems.js";

const FD_STEP = 1e-6;
const FD_TOL = 1e-5;
const REF_TOL = 1e-12;
const SAME_TOL = 1e-14;

type Arg = number | Float64Array | Matrix;
type GradEntry = number | Float64Array | Matrix;

interface Case {
  name: string;
  args: Arg[];
  /** Argument positions that are differentiated, with the gradient field's name. */
  params: { index: number; name: string }[];
  /** How many rounded terms value() sums (sets the rounding noise of a finite difference). */
  terms: number;
  value: (args: Arg[]) => number;
  grad: (args: Arg[]) => { value: number; grad: Record<string, GradEntry> };
  reference: (args: Arg[]) => number;
}

// --- naive references, straight from the definitions -----------------------------------------

const at = (M: Matrix, i: number, j: number) => M.data[i * M.cols + j]!;

function linear(w: Float64Array, b: number, X: Matrix, i: number): number {
  let z = b;
  for (let j = 0; j < X.cols; j++) z += at(X, i, j) * w[j]!;
  return z;
}

function refP1(w: Float64Array, b: number, X: Matrix, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < X.rows; i++) s += (linear(w, b, X, i) - y[i]!) ** 2;
  return s / X.rows;
}

function refP2(w: Float64Array, b: number, X: Matrix, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < X.rows; i++) {
    const u = -y[i]! * linear(w, b, X, i);
    s += Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u)));
  }
  return s / X.rows;
}

function refP4(w: Float64Array, b: number, X: Matrix, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < X.rows; i++) s += (y[i]! - Math.max(0, linear(w, b, X, i))) ** 2;
  return s / X.rows;
}

function refP3(W1: Matrix, b1: Float64Array, W2: Matrix, b2: Float64Array, X: Matrix, Y: Matrix): number {
  const N = X.rows;
  const hidden = W1.rows;
  const c = W2.rows;
  let s = 0;
  for (let i = 0; i < N; i++) {
    const h: number[] = [];
    for (let k = 0; k < hidden; k++) {
      let a = b1[k]!;
      for (let j = 0; j < X.cols; j++) a += at(X, i, j) * at(W1, k, j);
      h.push(Math.max(0, a));
    }
    for (let m = 0; m < c; m++) {
      let o = b2[m]!;
      for (let k = 0; k < hidden; k++) o += h[k]! * at(W2, m, k);
      s += (o - at(Y, i, m)) ** 2;
    }
  }
  return s / (N * c);
}

function refP5(W: Matrix, X: Matrix, T: Matrix): number {
  const N = X.rows;
  const c = W.rows;
  let s = 0;
  for (let i = 0; i < N; i++) {
    const z: number[] = [];
    for (let m = 0; m < c; m++) {
      let v = 0;
      for (let j = 0; j < X.cols; j++) v += at(X, i, j) * at(W, m, j);
      z.push(v);
    }
    const max = Math.max(...z);
    const lse = max + Math.log(z.reduce((acc, v) => acc + Math.exp(v - max), 0));
    let tz = 0;
    for (let m = 0; m < c; m++) tz += at(T, i, m) * z[m]!;
    s += lse - tz;
  }
  return s / N;
}

// --- the cases ----------------------------------------------------------------------------------

function cases(s: Sizes): Case[] {
  const data = problemData(s);
  const b = baselines(s);
  type L = [Float64Array, number, Matrix, Float64Array];
  const linearParams = [
    { index: 0, name: "w" },
    { index: 1, name: "b" },
  ];
  const copyLinear = (p: { w: Float64Array; b: number; X: Matrix; y: Float64Array }): Arg[] => [
    p.w.slice(),
    p.b,
    p.X,
    p.y,
  ];
  return [
    {
      name: "P1 least squares",
      terms: s.N,
      args: copyLinear(data.p1),
      params: linearParams,
      value: (a) => b.p1.value(...(a as L)),
      grad: (a) => b.p1.grad(...(a as L)),
      reference: (a) => refP1(...(a as L)),
    },
    {
      name: "P2 logistic",
      terms: s.N,
      args: copyLinear(data.p2),
      params: linearParams,
      value: (a) => b.p2.value(...(a as L)),
      grad: (a) => b.p2.grad(...(a as L)),
      reference: (a) => refP2(...(a as L)),
    },
    {
      name: "P3 MLP",
      terms: s.N * s.c,
      args: [
        copyMatrix(data.p3.W1),
        data.p3.b1.slice(),
        copyMatrix(data.p3.W2),
        data.p3.b2.slice(),
        data.p3.X,
        data.p3.Y,
      ],
      params: [
        { index: 0, name: "W1" },
        { index: 1, name: "b1" },
        { index: 2, name: "W2" },
        { index: 3, name: "b2" },
      ],
      value: (a) => b.p3.value(...(a as [Matrix, Float64Array, Matrix, Float64Array, Matrix, Matrix])),
      grad: (a) => b.p3.grad(...(a as [Matrix, Float64Array, Matrix, Float64Array, Matrix, Matrix])),
      reference: (a) => refP3(...(a as [Matrix, Float64Array, Matrix, Float64Array, Matrix, Matrix])),
    },
    {
      name: "P4 neuron",
      terms: s.N,
      args: copyLinear(data.p4),
      params: linearParams,
      value: (a) => b.p4.value(...(a as L)),
      grad: (a) => b.p4.grad(...(a as L)),
      reference: (a) => refP4(...(a as L)),
    },
    {
      name: "P5 softmax x-entropy",
      terms: s.N,
      args: [copyMatrix(data.p5.W), data.p5.X, data.p5.T],
      params: [{ index: 0, name: "W" }],
      value: (a) => b.p5.value(...(a as [Matrix, Matrix, Matrix])),
      grad: (a) => b.p5.grad(...(a as [Matrix, Matrix, Matrix])),
      reference: (a) => refP5(...(a as [Matrix, Matrix, Matrix])),
    },
  ];
}

function copyMatrix(M: Matrix): Matrix {
  return { rows: M.rows, cols: M.cols, data: M.data.slice() };
}

/** The entries of a gradient field as a flat array (a copy). */
function flat(g: GradEntry): Float64Array {
  if (typeof g === "number") return Float64Array.of(g);
  if (g instanceof Float64Array) return g.slice();
  return g.data.slice();
}

/** Reads and writes entry q of argument `index` in place (a number argument is replaced). */
function entry(args: Arg[], index: number, q: number): { get(): number; set(v: number): void } {
  const a = args[index]!;
  if (typeof a === "number") return { get: () => args[index] as number, set: (v) => (args[index] = v) };
  const data = a instanceof Float64Array ? a : a.data;
  return { get: () => data[q]!, set: (v) => (data[q] = v) };
}

function size(a: Arg): number {
  return typeof a === "number" ? 1 : a instanceof Float64Array ? a.length : a.data.length;
}

// --- the checks ---------------------------------------------------------------------------------

let failures = 0;
const fail = (message: string) => {
  failures++;
  if (failures <= 40) console.log(`  FAIL ${message}`);
};

function check(label: string, c: Case): string {
  const where = `${label} ${c.name}`;
  const v = c.value(c.args);
  const ref = c.reference(c.args);
  const refErr = Math.abs(v - ref) / Math.max(Math.abs(ref), 1e-300);
  if (!(refErr < REF_TOL)) fail(`${where}: value ${v} vs reference ${ref} (rel ${refErr.toExponential(2)})`);

  const g1 = c.grad(c.args);
  const gv = g1.value;
  const first = c.params.map((p) => flat(g1.grad[p.name]!));
  const sameErr = Math.abs(v - gv) / Math.max(Math.abs(v), 1e-300);
  if (!(sameErr <= SAME_TOL)) fail(`${where}: value() ${v} vs grad().value ${gv}`);

  // Aliasing: a value() call and a second grad() call must give identical numbers.
  c.value(c.args);
  const g2 = c.grad(c.args);
  let repeats = g2.value === gv;
  if (!repeats) fail(`${where}: second grad().value ${g2.value} ≠ first ${gv}`);
  c.params.forEach((p, n) => {
    const a = first[n]!;
    const b = flat(g2.grad[p.name]!);
    for (let q = 0; q < a.length; q++) {
      if (a[q] !== b[q]) {
        repeats = false;
        fail(`${where}: second grad().${p.name}[${q}] ${b[q]} ≠ first ${a[q]}`);
        break;
      }
    }
  });

  // Central finite differences of value(), every entry.
  let entries = 0;
  let maxErr = 0;
  let maxNoise = 0;
  let noisy = 0;
  c.params.forEach((p, n) => {
    const g = first[n]!;
    const count = size(c.args[p.index]!);
    if (count !== g.length) fail(`${where}: grad.${p.name} has ${g.length} entries, expected ${count}`);
    for (let q = 0; q < count; q++) {
      const e = entry(c.args, p.index, q);
      const x0 = e.get();
      const h = FD_STEP * Math.max(1, Math.abs(x0));
      const xp = x0 + h;
      const xm = x0 - h;
      e.set(xp);
      const fp = c.value(c.args);
      e.set(xm);
      const fm = c.value(c.args);
      e.set(x0);
      const fd = (fp - fm) / (xp - xm);
      const gq = g[q]!;
      const noise = (Number.EPSILON * Math.abs(v) * Math.sqrt(c.terms)) / (xp - xm);
      const absErr = Math.abs(fd - gq);
      const err = absErr / Math.max(Math.abs(fd), Math.abs(gq), Number.MIN_VALUE);
      entries++;
      if (err < FD_TOL) {
        if (err > maxErr) maxErr = err;
      } else if (absErr < noise) {
        noisy++;
        if (absErr / noise > maxNoise) maxNoise = absErr / noise;
      } else {
        maxErr = Number.isNaN(err) ? Infinity : Math.max(maxErr, err);
        fail(
          `${where}: d/d${p.name}[${q}] = ${gq}, finite difference ${fd} ` +
            `(rel ${err.toExponential(2)}, abs ${absErr.toExponential(2)}, noise bound ${noise.toExponential(2)})`,
        );
      }
    }
  });
  // The finite differences must not have disturbed anything.
  if (c.value(c.args) !== v) fail(`${where}: value changed after the finite differences`);

  return (
    `${where.padEnd(40)} value ${v.toPrecision(8).padEnd(12)} ref ${refErr.toExponential(1).padEnd(8)} ` +
    `grad().value ${gv === v ? "bit-identical" : `rel ${sameErr.toExponential(1)}`}, ` +
    `2nd grad() ${repeats ? "identical" : "DIFFERS"}  ` +
    `${String(entries).padStart(5)} entries, max FD rel err ${maxErr.toExponential(2)}` +
    (noisy > 0 ? ` (${noisy} tiny entries within the noise bound, at most ${maxNoise.toFixed(2)} of it)` : "")
  );
}

const checked: { label: string; s: Sizes }[] = [
  ...sizes.filter((s) => s.name !== "large").map((s) => ({ label: `${s.name} N=${s.N}`, s })),
  ...[1, 3, 5, 7].map((N) => ({
    label: `tiny N=${N}`,
    s: { name: "small", N, d: 3, hidden: 5, c: 4 } as const satisfies Sizes,
  })),
];

for (const { label, s } of checked) {
  for (const c of cases(s)) console.log(check(label.padEnd(12), c));
}
console.log(failures === 0 ? "\nall baseline checks passed" : `\n${failures} baseline check(s) FAILED`);
if (failures > 0) process.exit(1);
