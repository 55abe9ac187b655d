// The table of primitive cases checked by test/primitives.test.ts: each is a
// small .grad source, how to sample its inputs, and a plain JavaScript
// reference for its value. Derivatives are not listed: the test compares them
// against central finite differences of the generated value function.

import type { Value } from "./numeric.js";

/** `"real"` is a scalar; `"n"` a vector of the test's size; a number a vector of that fixed size. */
export type Shape = "real" | "n" | number;

/**
 * Draws one element of a parameter: `element` is its index in the vector (0
 * for a scalar), `point` the index of the sample point.
 */
export type Sampler = (rand: () => number, element: number, point: number) => number;

export interface Param {
  readonly name: string;
  readonly shape: Shape;
  readonly sample: Sampler;
  /** Differentiated (in the function's `wrt` list, or no `wrt` given). Default true. */
  readonly wrt?: boolean;
}

export interface PrimitiveCase {
  readonly name: string;
  readonly source: string;
  readonly params: readonly Param[];
  /** The value of `f`, computed directly. */
  readonly reference: (...args: Value[]) => Value;
  /** Rejects sample points too close to a kink or a tie (resampled). */
  readonly accept?: (args: Value[]) => boolean;
}

export interface CaseGroup {
  readonly title: string;
  readonly cases: readonly PrimitiveCase[];
}

// ---------------------------------------------------------------- samplers

export const between =
  (lo: number, hi: number): Sampler =>
  (rand) =>
    lo + (hi - lo) * rand();

/** |x| in [lo, hi], either sign: keeps samples away from a kink at 0. */
export const awayFromZero =
  (lo = 0.1, hi = 2): Sampler =>
  (rand) =>
    (rand() < 0.5 ? -1 : 1) * (lo + (hi - lo) * rand());

/** Cycles through 0, 1, 2 over elements and points, so every branch of a `where` is taken. */
export const selector: Sampler = (_rand, element, point) => (element + point) % 3;

const anyReal = between(-2, 2);

// ---------------------------------------------------------------- reference helpers

const at = (v: Value, i: number): number => (typeof v === "number" ? v : v[i]!);
const sizeOf = (...vs: Value[]): number | undefined => {
  for (const v of vs) if (typeof v !== "number") return v.length;
  return undefined;
};

/** Applies a scalar function element-wise. */
export const map1 =
  (f: (x: number) => number) =>
  (x: Value): Value =>
    typeof x === "number" ? f(x) : Float64Array.from(x, (v) => f(v));

/** Applies a scalar function of two (or three) arguments element-wise, broadcasting scalars. */
export function mapN(f: (...xs: number[]) => number, ...vs: Value[]): Value {
  const n = sizeOf(...vs);
  if (n === undefined) return f(...vs.map((v) => v as number));
  return Float64Array.from({ length: n }, (_, i) => f(...vs.map((v) => at(v, i))));
}
export const map2 =
  (f: (a: number, b: number) => number) =>
  (a: Value, b: Value): Value =>
    mapN(f as (...xs: number[]) => number, a, b);

const vec = (v: Value): Float64Array => v as Float64Array;
const num = (v: Value): number => v as number;

export const ref = {
  sum: (x: Value) => vec(x).reduce((s, v) => s + v, 0),
  mean: (x: Value) => ref.sum(x) / vec(x).length,
  prod: (x: Value) => vec(x).reduce((s, v) => s * v, 1),
  norm1: (x: Value) => vec(x).reduce((s, v) => s + Math.abs(v), 0),
  norm2: (x: Value) => Math.sqrt(vec(x).reduce((s, v) => s + v * v, 0)),
  max: (x: Value) => Math.max(...vec(x)),
  min: (x: Value) => Math.min(...vec(x)),
  logsumexp: (x: Value) => {
    const m = Math.max(...vec(x));
    return m + Math.log(vec(x).reduce((s, v) => s + Math.exp(v - m), 0));
  },
  dot: (x: Value, y: Value) => vec(x).reduce((s, v, i) => s + v * vec(y)[i]!, 0),
  softmax: (x: Value): Float64Array => {
    const m = Math.max(...vec(x));
    const e = vec(x).map((v) => Math.exp(v - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  },
  sigmoid: (x: number) => 1 / (1 + Math.exp(-x)),
  softplus: (x: number) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))),
  relu: (x: number) => Math.max(0, x),
};

const binary: Record<string, (a: number, b: number) => number> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => a / b,
  "^": (a, b) => Math.pow(a, b),
  max: (a, b) => Math.max(a, b),
  min: (a, b) => Math.min(a, b),
  pow: (a, b) => Math.pow(a, b),
  atan2: (y, x) => Math.atan2(y, x),
  hypot: (x, y) => Math.hypot(x, y),
};

// ---------------------------------------------------------------- accept helpers

/** Every pair of (broadcast) elements of arguments i and j differs by more than gap. */
const apart =
  (i: number, j: number, gap = 0.1) =>
  (args: Value[]): boolean => {
    const d = mapN((a, b) => Math.abs(a - b), args[i]!, args[j]!);
    return typeof d === "number" ? d > gap : d.every((v) => v > gap);
  };

/** All elements of a vector are pairwise more than gap apart (no ties for max/min). */
const distinct = (v: Value, gap = 0.05): boolean => {
  const s = Array.from(vec(v)).sort((a, b) => a - b);
  return s.every((x, k) => k === 0 || x - s[k - 1]! > gap);
};

// ---------------------------------------------------------------- the table

const shapeText = (s: Shape): string => (s === "real" ? "real" : `real[${s}]`);

type ShapeCombo = readonly [Shape, Shape, string];
const combos: readonly ShapeCombo[] = [
  ["real", "real", "scalar-scalar"],
  ["n", "n", "vector-vector"],
  ["real", "n", "scalar-vector"],
  ["n", "real", "vector-scalar"],
];

function arithmetic(): PrimitiveCase[] {
  const cases: PrimitiveCase[] = [];
  const domains: Record<string, readonly [Sampler, Sampler]> = {
    "+": [anyReal, anyReal],
    "-": [anyReal, anyReal],
    "*": [anyReal, anyReal],
    "/": [anyReal, awayFromZero(0.5, 2)],
    // Both operands active: the base must be positive.
    "^": [between(0.5, 2), anyReal],
  };
  for (const op of ["+", "-", "*", "/", "^"]) {
    const [da, db] = domains[op]!;
    for (const [sa, sb, label] of combos) {
      const params = [
        { name: "a", shape: sa, sample: da },
        { name: "b", shape: sb, sample: db },
      ];
      const sig = `a: ${shapeText(sa)}, b: ${shapeText(sb)}`;
      const f = map2(binary[op]!);
      cases.push({ name: `a ${op} b, ${label}`, source: `fn f(${sig}) = a ${op} b`, params, reference: f });
      if (label !== "scalar-scalar") {
        cases.push({
          name: `sum(a ${op} b), ${label}`,
          source: `fn f(${sig}) = sum(a ${op} b)`,
          params,
          reference: (a, b) => ref.sum(f(a, b)),
        });
      }
    }
  }
  const x = (shape: Shape, sample: Sampler = anyReal): Param[] => [{ name: "x", shape, sample }];
  cases.push(
    {
      name: "x^2 (constant exponent, any sign)",
      source: "fn f(x: real) = x^2",
      params: x("real"),
      reference: map1((v) => v ** 2),
    },
    { name: "x^3 vector", source: "fn f(x: real[n]) = x^3", params: x("n"), reference: map1((v) => v ** 3) },
    {
      name: "x^-1",
      source: "fn f(x: real[n]) = x^-1",
      params: x("n", awayFromZero(0.5, 2)),
      reference: map1((v) => 1 / v),
    },
    {
      name: "x^-2",
      source: "fn f(x: real) = x^-2",
      params: x("real", awayFromZero(0.5, 2)),
      reference: map1((v) => v ** -2),
    },
    {
      name: "x^0.5",
      source: "fn f(x: real[n]) = x^0.5",
      params: x("n", between(0.2, 3)),
      reference: map1(Math.sqrt),
    },
    {
      name: "2^x (constant base)",
      source: "fn f(x: real[n]) = 2^x",
      params: x("n"),
      reference: map1((v) => 2 ** v),
    },
    {
      name: "x^y^2 (right-associative)",
      source: "fn f(x: real, y: real) = x^y^2",
      params: [
        { name: "x", shape: "real", sample: between(0.5, 2) },
        { name: "y", shape: "real", sample: between(-1.2, 1.2) },
      ],
      reference: (a, b) => num(a) ** (num(b) ** 2),
    },
    { name: "unary -x, scalar", source: "fn f(x: real) = -x", params: x("real"), reference: map1((v) => -v) },
    { name: "unary -x, vector", source: "fn f(x: real[n]) = -x", params: x("n"), reference: map1((v) => -v) },
    { name: "unary +x, vector", source: "fn f(x: real[n]) = +x", params: x("n"), reference: map1((v) => v) },
    {
      name: "-x^2 is -(x^2)",
      source: "fn f(x: real[n]) = -x^2",
      params: x("n"),
      reference: map1((v) => -(v ** 2)),
    },
    {
      name: "-(a * b) + a - b, mixed shapes",
      source: "fn f(a: real[n], b: real) = sum(-(a * b) + a - b)",
      params: [
        { name: "a", shape: "n", sample: anyReal },
        { name: "b", shape: "real", sample: anyReal },
      ],
      reference: (a, b) => ref.sum(mapN((u, v) => -(u * v) + u - v, a, b)),
    },
    {
      name: "pi * x",
      source: "fn f(x: real[n]) = pi * x",
      params: x("n"),
      reference: map1((v) => Math.PI * v),
    },
    {
      name: "3 * x / 2 - 1 (constants)",
      source: "fn f(x: real) = 3 * x / 2 - 1",
      params: x("real"),
      reference: map1((v) => (3 * v) / 2 - 1),
    },
    {
      name: "sum(x) / n (dimension as a real)",
      source: "fn f(x: real[n]) = sum(x) / n",
      params: x("n"),
      reference: (v) => ref.mean(v),
    },
  );
  return cases;
}

const elementwise: Record<string, readonly [(x: number) => number, Sampler]> = {
  exp: [Math.exp, anyReal],
  log: [Math.log, between(0.1, 3)],
  sqrt: [Math.sqrt, between(0.1, 3)],
  sin: [Math.sin, between(-3, 3)],
  cos: [Math.cos, between(-3, 3)],
  tan: [Math.tan, between(-1.2, 1.2)],
  asin: [Math.asin, between(-0.9, 0.9)],
  acos: [Math.acos, between(-0.9, 0.9)],
  atan: [Math.atan, between(-3, 3)],
  sinh: [Math.sinh, anyReal],
  cosh: [Math.cosh, anyReal],
  tanh: [Math.tanh, anyReal],
  sigmoid: [ref.sigmoid, between(-4, 4)],
  softplus: [ref.softplus, between(-4, 4)],
  // Kinks at 0: sample away from them (the convention at 0 is tested exactly).
  relu: [ref.relu, awayFromZero()],
  abs: [Math.abs, awayFromZero()],
  sign: [Math.sign, awayFromZero()],
  log1p: [Math.log1p, between(0.05, 3)],
  expm1: [Math.expm1, anyReal],
};

function elementwiseCases(): PrimitiveCase[] {
  const cases: PrimitiveCase[] = [];
  for (const [fn, [f, sample]] of Object.entries(elementwise)) {
    const m = map1(f);
    cases.push(
      {
        name: `${fn}(x), scalar`,
        source: `fn f(x: real) = ${fn}(x)`,
        params: [{ name: "x", shape: "real", sample }],
        reference: m,
      },
      {
        name: `${fn}(x), vector`,
        source: `fn f(x: real[n]) = ${fn}(x)`,
        params: [{ name: "x", shape: "n", sample }],
        reference: m,
      },
      {
        name: `sum(${fn}(x))`,
        source: `fn f(x: real[n]) = sum(${fn}(x))`,
        params: [{ name: "x", shape: "n", sample }],
        reference: (x) => ref.sum(m(x)),
      },
    );
  }
  return cases;
}

function twoArgument(): PrimitiveCase[] {
  const cases: PrimitiveCase[] = [];
  const domains: Record<string, readonly [Sampler, Sampler]> = {
    max: [anyReal, anyReal],
    min: [anyReal, anyReal],
    pow: [between(0.5, 2), anyReal],
    // Away from the origin, where neither is differentiable (and from atan2's cut along x < 0).
    atan2: [awayFromZero(0.2), between(0.2, 2)],
    hypot: [awayFromZero(0.2), anyReal],
  };
  for (const fn of ["max", "min", "pow", "atan2", "hypot"]) {
    const [da, db] = domains[fn]!;
    // Ties between the arguments are kinks of max and min.
    const accept = fn === "pow" ? undefined : apart(0, 1);
    for (const [sa, sb, label] of combos) {
      const params = [
        { name: "a", shape: sa, sample: da },
        { name: "b", shape: sb, sample: db },
      ];
      const sig = `a: ${shapeText(sa)}, b: ${shapeText(sb)}`;
      const f = map2(binary[fn]!);
      cases.push({
        name: `${fn}(a, b), ${label}`,
        source: `fn f(${sig}) = ${fn}(a, b)`,
        params,
        reference: f,
        ...(accept && { accept }),
      });
      if (label !== "scalar-scalar") {
        cases.push({
          name: `sum(${fn}(a, b)), ${label}`,
          source: `fn f(${sig}) = sum(${fn}(a, b))`,
          params,
          reference: (a, b) => ref.sum(f(a, b)),
          ...(accept && { accept }),
        });
      }
    }
  }
  const z: Param[] = [{ name: "z", shape: "n", sample: awayFromZero() }];
  cases.push(
    {
      name: "max(0, z) (ReLU)",
      source: "fn f(z: real[n]) = max(0, z)",
      params: z,
      reference: map1((v) => Math.max(0, v)),
    },
    {
      name: "max(z, 0)",
      source: "fn f(z: real[n]) = max(z, 0)",
      params: z,
      reference: map1((v) => Math.max(v, 0)),
    },
    {
      name: "min(0, z)",
      source: "fn f(z: real[n]) = min(0, z)",
      params: z,
      reference: map1((v) => Math.min(0, v)),
    },
    {
      name: "min(z, 1)",
      source: "fn f(z: real) = min(z, 1)",
      params: [{ name: "z", shape: "real", sample: awayFromZero(0.1, 0.9) }],
      reference: map1((v) => Math.min(v, 1)),
    },
    {
      name: "pow(x, 3), negative base, constant exponent",
      source: "fn f(x: real[n]) = pow(x, 3)",
      params: [{ name: "x", shape: "n", sample: anyReal }],
      reference: map1((v) => v ** 3),
    },
    {
      name: "pow(2, x), constant base",
      source: "fn f(x: real) = pow(2, x)",
      params: [{ name: "x", shape: "real", sample: anyReal }],
      reference: map1((v) => 2 ** v),
    },
  );
  return cases;
}

const comparisons: Record<string, (a: number, b: number) => boolean> = {
  "<": (a, b) => a < b,
  "<=": (a, b) => a <= b,
  ">": (a, b) => a > b,
  ">=": (a, b) => a >= b,
  "==": (a, b) => a === b,
  "!=": (a, b) => a !== b,
};

function whereCases(): PrimitiveCase[] {
  const cases: PrimitiveCase[] = [];
  for (const [op, cmp] of Object.entries(comparisons)) {
    const branches = (x: number, y: number, c: number) => (c ? x * y : Math.sin(x) - y);
    // Active operands in the condition, kept apart so a finite-difference step never flips it.
    cases.push({
      name: `where(x ${op} y, ...), active condition`,
      source: `fn f(x: real[n], y: real[n]) = where(x ${op} y, x * y, sin(x) - y)`,
      params: [
        { name: "x", shape: "n", sample: anyReal },
        { name: "y", shape: "n", sample: anyReal },
      ],
      accept: apart(0, 1),
      reference: (x, y) => mapN((a, b) => branches(a, b, +cmp(a, b)), x, y),
    });
    // A selector c in {0, 1, 2} that is not differentiated, so == and != take both branches.
    const sel = (x: Value, y: Value, c: Value) => mapN((a, b, k) => branches(a, b, +cmp(k, 1)), x, y, c);
    cases.push(
      {
        name: `where(c ${op} 1, ...), selector, vector`,
        source: `fn f(x: real[n], y: real[n], c: real[n]) wrt x, y = where(c ${op} 1, x * y, sin(x) - y)`,
        params: [
          { name: "x", shape: "n", sample: anyReal },
          { name: "y", shape: "n", sample: anyReal },
          { name: "c", shape: "n", sample: selector, wrt: false },
        ],
        reference: sel,
      },
      {
        name: `sum(where(c ${op} 1, ...)), selector`,
        source: `fn f(x: real[n], y: real[n], c: real[n]) wrt x, y = sum(where(c ${op} 1, x * y, sin(x) - y))`,
        params: [
          { name: "x", shape: "n", sample: anyReal },
          { name: "y", shape: "n", sample: anyReal },
          { name: "c", shape: "n", sample: selector, wrt: false },
        ],
        reference: (x, y, c) => ref.sum(sel(x, y, c)),
      },
      {
        name: `where(c ${op} 1, ...), selector, scalar`,
        source: `fn f(x: real, y: real, c: real) wrt x, y = where(c ${op} 1, x * y, sin(x) - y)`,
        params: [
          { name: "x", shape: "real", sample: anyReal },
          { name: "y", shape: "real", sample: anyReal },
          { name: "c", shape: "real", sample: selector, wrt: false },
        ],
        reference: sel,
      },
    );
  }
  cases.push(
    {
      name: "where(x > 0, 2 * x, y), scalar branch broadcast",
      source: "fn f(x: real[n], y: real) = where(x > 0, 2 * x, y)",
      params: [
        { name: "x", shape: "n", sample: awayFromZero() },
        { name: "y", shape: "real", sample: anyReal },
      ],
      reference: (x, y) => mapN((a, b) => (a > 0 ? 2 * a : b), x, y),
    },
    {
      name: "sum(where(x > y, x, y)), scalar y in condition and branch",
      source: "fn f(x: real[n], y: real) = sum(where(x > y, x, y))",
      params: [
        { name: "x", shape: "n", sample: anyReal },
        { name: "y", shape: "real", sample: anyReal },
      ],
      accept: apart(0, 1),
      reference: (x, y) => ref.sum(mapN((a, b) => (a > b ? a : b), x, y)),
    },
    {
      name: "where(s > 0, x, y * s), scalar condition, vector branches",
      source: "fn f(s: real, x: real[n], y: real[n]) = where(s > 0, x, y * s)",
      params: [
        { name: "s", shape: "real", sample: awayFromZero() },
        { name: "x", shape: "n", sample: anyReal },
        { name: "y", shape: "n", sample: anyReal },
      ],
      reference: (s, x, y) => mapN((a, b, c) => (a > 0 ? b : c * a), s, x, y),
    },
    {
      name: "sum(where(c > 0, x, c * x)), condition parameter differentiated",
      source: "fn f(x: real[n], c: real[n]) = sum(where(c > 0, x, c * x))",
      params: [
        { name: "x", shape: "n", sample: anyReal },
        { name: "c", shape: "n", sample: awayFromZero() },
      ],
      reference: (x, c) => ref.sum(mapN((a, b) => (b > 0 ? a : b * a), x, c)),
    },
    {
      name: "where(x >= 0.5, log(x), x - 1), constant threshold",
      source: "fn f(x: real[n]) = where(x >= 0.5, log(x), x - 1)",
      params: [
        {
          name: "x",
          shape: "n",
          sample: (r) => (r() < 0.5 ? between(-1, 0.4)(r, 0, 0) : between(0.6, 2)(r, 0, 0)),
        },
      ],
      reference: map1((v) => (v >= 0.5 ? Math.log(v) : v - 1)),
    },
  );
  return cases;
}

function literalsAndIndexing(): PrimitiveCase[] {
  const s = (name: string, sample: Sampler = anyReal): Param => ({ name, shape: "real", sample });
  return [
    {
      name: "[a * b, sin(c), a + c] (vector literal result)",
      source: "fn f(a: real, b: real, c: real) = [a * b, sin(c), a + c]",
      params: [s("a"), s("b"), s("c")],
      reference: (a, b, c) => Float64Array.of(num(a) * num(b), Math.sin(num(c)), num(a) + num(c)),
    },
    {
      name: "sum([a, b, a * b]^2)",
      source: "fn f(a: real, b: real) = sum([a, b, a * b]^2)",
      params: [s("a"), s("b")],
      reference: (a, b) => num(a) ** 2 + num(b) ** 2 + (num(a) * num(b)) ** 2,
    },
    {
      name: "[a, 2, b] @ [b, a, 3] (constant elements)",
      source: "fn f(a: real, b: real) = [a, 2, b] @ [b, a, 3]",
      params: [s("a"), s("b")],
      reference: (a, b) => num(a) * num(b) + 2 * num(a) + 3 * num(b),
    },
    {
      name: "[x[0] * y, y^2, sum(x)] (literal of vector-derived scalars)",
      source: "fn f(x: real[n], y: real) = [x[0] * y, y^2, sum(x)]",
      params: [{ name: "x", shape: "n", sample: anyReal }, s("y")],
      reference: (x, y) => Float64Array.of(vec(x)[0]! * num(y), num(y) ** 2, ref.sum(x)),
    },
    {
      name: "x[0] * x[2] + sin(x[1])",
      source: "fn f(x: real[3]) = x[0] * x[2] + sin(x[1])",
      params: [{ name: "x", shape: 3, sample: anyReal }],
      reference: (x) => vec(x)[0]! * vec(x)[2]! + Math.sin(vec(x)[1]!),
    },
    {
      name: "x[1] * x[1] (same element twice)",
      source: "fn f(x: real[3]) = x[1] * x[1]",
      params: [{ name: "x", shape: 3, sample: anyReal }],
      reference: (x) => vec(x)[1]! ** 2,
    },
    {
      name: "x[0] * sum(x)",
      source: "fn f(x: real[n]) = x[0] * sum(x)",
      params: [{ name: "x", shape: "n", sample: anyReal }],
      reference: (x) => vec(x)[0]! * ref.sum(x),
    },
    {
      name: "(x * y)[0] (index of an expression)",
      source: "fn f(x: real[n], y: real[n]) = (x * y)[0]",
      params: [
        { name: "x", shape: "n", sample: anyReal },
        { name: "y", shape: "n", sample: anyReal },
      ],
      reference: (x, y) => vec(x)[0]! * vec(y)[0]!,
    },
    {
      name: "y = exp(x); y[3] - y[0] (index of a variable)",
      source: "fn f(x: real[4]) -> real {\n  y = exp(x)\n  return y[3] - y[0]\n}",
      params: [{ name: "x", shape: 4, sample: anyReal }],
      reference: (x) => Math.exp(vec(x)[3]!) - Math.exp(vec(x)[0]!),
    },
    {
      name: "[x[2], x[0], x[2] * x[1]] (permutation literal)",
      source: "fn f(x: real[3]) = [x[2], x[0], x[2] * x[1]]",
      params: [{ name: "x", shape: 3, sample: anyReal }],
      reference: (x) => Float64Array.of(vec(x)[2]!, vec(x)[0]!, vec(x)[2]! * vec(x)[1]!),
    },
  ];
}

function reductionCases(): PrimitiveCase[] {
  const samples: Record<string, Sampler> = {
    sum: anyReal,
    mean: anyReal,
    prod: anyReal,
    norm1: awayFromZero(),
    norm2: anyReal,
    max: anyReal,
    min: anyReal,
    logsumexp: between(-3, 3),
  };
  const cases: PrimitiveCase[] = [];
  for (const [fn, sample] of Object.entries(samples)) {
    const r = ref[fn as keyof typeof ref] as (x: Value) => number;
    const tieFree = fn === "max" || fn === "min";
    cases.push({
      name: `${fn}(x)`,
      source: `fn f(x: real[n]) = ${fn}(x)`,
      params: [{ name: "x", shape: "n", sample }],
      reference: (x) => r(x),
      ...(tieFree && { accept: (args: Value[]) => distinct(args[0]!) }),
    });
    const scaled = (x: Value, y: Value) => mapN((a, b) => a * b, x, y);
    cases.push({
      name: `${fn}(x * y), y scalar`,
      source: `fn f(x: real[n], y: real) = ${fn}(x * y)`,
      params: [
        { name: "x", shape: "n", sample },
        { name: "y", shape: "real", sample: awayFromZero(0.5, 1.5) },
      ],
      reference: (x, y) => r(scaled(x, y)),
      ...(tieFree && { accept: (args: Value[]) => distinct(scaled(args[0]!, args[1]!)) }),
    });
  }
  return cases;
}

function vectorCases(): PrimitiveCase[] {
  const v = (name: string, shape: Shape = "n", sample: Sampler = anyReal): Param => ({ name, shape, sample });
  return [
    {
      name: "dot(x, y)",
      source: "fn f(x: real[n], y: real[n]) = dot(x, y)",
      params: [v("x"), v("y")],
      reference: ref.dot,
    },
    {
      name: "x @ y (vectors)",
      source: "fn f(x: real[n], y: real[n]) = x @ y",
      params: [v("x"), v("y")],
      reference: ref.dot,
    },
    {
      name: "dot(x, x)",
      source: "fn f(x: real[n]) = dot(x, x)",
      params: [v("x")],
      reference: (x) => ref.dot(x, x),
    },
    { name: "x @ x", source: "fn f(x: real[n]) = x @ x", params: [v("x")], reference: (x) => ref.dot(x, x) },
    {
      name: "dot(sin(x), y) * s",
      source: "fn f(x: real[n], y: real[n], s: real) = dot(sin(x), y) * s",
      params: [v("x"), v("y"), v("s", "real")],
      reference: (x, y, s) => ref.dot(map1(Math.sin)(x), y) * num(s),
    },
    {
      name: "x @ [1, 2, 3] (constant vector)",
      source: "fn f(x: real[3]) = x @ [1, 2, 3]",
      params: [v("x", 3)],
      reference: (x) => ref.dot(x, Float64Array.of(1, 2, 3)),
    },
    {
      name: "softmax(x)",
      source: "fn f(x: real[n]) = softmax(x)",
      params: [v("x", "n", between(-3, 3))],
      reference: ref.softmax,
    },
    {
      name: "softmax(x * y), y scalar",
      source: "fn f(x: real[n], y: real) = softmax(x * y)",
      params: [v("x"), v("y", "real")],
      reference: (x, y) => ref.softmax(mapN((a, b) => a * b, x, y)),
    },
    {
      name: "dot(softmax(x), y)",
      source: "fn f(x: real[n], y: real[n]) = dot(softmax(x), y)",
      params: [v("x"), v("y")],
      reference: (x, y) => ref.dot(ref.softmax(x), y),
    },
  ];
}

function callCases(): PrimitiveCase[] {
  const s = (name: string, sample: Sampler = anyReal): Param => ({ name, shape: "real", sample });
  const v = (name: string, sample: Sampler = anyReal): Param => ({ name, shape: "n", sample });
  return [
    {
      name: "g(x * y, y) + g(y, x), scalar callee",
      source: "fn g(a: real, b: real) = a * sin(b)\nfn f(x: real, y: real) = g(x * y, y) + g(y, x)",
      params: [s("x"), s("y")],
      reference: (x, y) => num(x) * num(y) * Math.sin(num(y)) + num(y) * Math.sin(num(x)),
    },
    {
      name: "callee with wrt a still passes derivatives through b",
      source: "fn g(a: real, b: real) wrt a = a * exp(b)\nfn f(x: real, y: real) = g(x, y * x)",
      params: [s("x"), s("y", between(-1, 1))],
      reference: (x, y) => num(x) * Math.exp(num(y) * num(x)),
    },
    {
      name: "g(x, x) (same argument twice)",
      source: "fn g(a: real, b: real) = a * b^2\nfn f(x: real) = g(x, x)",
      params: [s("x")],
      reference: (x) => num(x) ** 3,
    },
    {
      name: "vector callee g(x, exp(y)) * g(y, y)",
      source:
        "fn g(u: real[k], v: real[k]) = dot(u, v)\nfn f(x: real[n], y: real[n]) = g(x, exp(y)) * g(y, y)",
      params: [v("x"), v("y")],
      reference: (x, y) => ref.dot(x, map1(Math.exp)(y)) * ref.dot(y, y),
    },
    {
      name: "vector-valued callee g(x) * x",
      source: "fn g(u: real[k]) = softmax(u)\nfn f(x: real[n]) = g(x) * x",
      params: [v("x")],
      reference: (x) => mapN((a, b) => a * b, ref.softmax(x), x),
    },
    {
      name: "block callee with statements",
      source:
        "fn g(a: real[k], s: real) -> real[k] {\n  t = a * s\n  return t + sin(t)\n}\n" +
        "fn f(x: real[n], s: real) = sum(g(x, s) * x)",
      params: [v("x"), s("s")],
      reference: (x, sc) => ref.sum(mapN((a, b) => (a * b + Math.sin(a * b)) * a, x, sc)),
    },
    {
      name: "nested calls h -> g -> f, result used twice",
      source:
        "fn h(a: real) = a^2 + 1\n" +
        "fn g(a: real, b: real) = h(a) * b\n" +
        "fn f(x: real, y: real) -> real {\n  r = g(x, y)\n  return r * r + g(y, r)\n}",
      params: [s("x"), s("y")],
      reference: (x, y) => {
        const h = (a: number) => a ** 2 + 1;
        const g = (a: number, b: number) => h(a) * b;
        const r = g(num(x), num(y));
        return r * r + g(num(y), r);
      },
    },
    {
      name: "callee mixing scalars and vectors, scalar argument broadcast",
      source:
        "fn g(u: real[k], c: real) = sum(u * c) + c^2\nfn f(x: real[n], y: real) = g(exp(x), y * y) * y",
      params: [v("x"), s("y")],
      reference: (x, y) => (ref.sum(map1(Math.exp)(x)) * num(y) ** 2 + num(y) ** 4) * num(y),
    },
  ];
}

export const groups: readonly CaseGroup[] = [
  { title: "arithmetic + - * / ^ and unary -", cases: arithmetic() },
  { title: "element-wise functions", cases: elementwiseCases() },
  { title: "max, min, pow, atan2, hypot of two arguments", cases: twoArgument() },
  { title: "where", cases: whereCases() },
  { title: "vector literals and indexing", cases: literalsAndIndexing() },
  { title: "reductions", cases: reductionCases() },
  { title: "dot, @, softmax", cases: vectorCases() },
  { title: "calls of user functions", cases: callCases() },
];
