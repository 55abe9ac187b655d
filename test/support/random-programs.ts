// Random well-typed .grad programs over every construct of the language —
// scalars, vectors and matrices; arithmetic, powers and every element-wise
// built-in; max, min, atan2, hypot and where; reductions with and without an axis; products
// in their four forms, outer, transpose, trace, diag, diagonal, softmax, inv,
// det, logdet; literals, indexing, constructors and calls to earlier
// functions — each with a reference evaluator written here, independently of
// the compiler and the runtime.
//
// A program is a pure function of its seed, so a failure is reproduced by its
// seed alone. Built-ins with a restricted domain are generated inside wrappers
// that keep their arguments in the domain (log(1 + e²), inv(E Eᵀ + I)), or
// behind `where` with the unsafe branch not taken, which exercises the
// promise that a branch not chosen never reaches the derivative.

import { random } from "./numeric.js";

export type Dim = "n" | "m" | 2;
export type Type =
  | { readonly kind: "S" }
  | { readonly kind: "V"; readonly d: Dim }
  | { readonly kind: "M"; readonly r: Dim; readonly c: Dim };
export interface Mat {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}
export type Val = number | Float64Array | Mat;
export type Env = Record<string, Val>;

/** An expression: its source, precedence, type and reference value. */
export interface Expr {
  readonly src: string;
  readonly prec: number;
  readonly type: Type;
  readonly ev: (env: Env) => Val;
}

/** Run-time sizes of the symbolic dimensions (`npm run fuzz -- --sizes 9,10` changes them). */
export const sizes: { n: number; m: number } = { n: 3, m: 2 };
const sizeOf = (d: Dim): number => (d === 2 ? 2 : sizes[d]);

export const params: readonly { readonly name: string; readonly type: Type }[] = [
  { name: "x", type: { kind: "S" } },
  { name: "y", type: { kind: "S" } },
  { name: "v", type: { kind: "V", d: "n" } },
  { name: "w", type: { kind: "V", d: "n" } },
  { name: "u", type: { kind: "V", d: "m" } },
  { name: "A", type: { kind: "M", r: "m", c: "n" } },
  { name: "Q", type: { kind: "M", r: "n", c: "n" } },
];

export interface Program {
  readonly seed: number;
  /** The function's name; helpers it calls are named after it. */
  readonly name: string;
  /** Helpers first, then the function. */
  readonly source: string;
  readonly resultType: Type;
  readonly wrt: readonly string[];
  /** The value, from the reference evaluator, for arguments in parameter order. */
  readonly evaluate: (args: readonly Val[]) => Val;
  /** Set by `evaluate` when an intermediate value got huge: derivatives there are not checked. */
  overflowed: boolean;
  /**
   * Set by `evaluate`: the largest magnitude of an intermediate value. Above about 1e3,
   * rounding in determinants, inverses and cancellations exceeds any fixed tolerance.
   */
  largest: number;
}

// ---------------------------------------------------------------------------
// Randomness

export type Rand = () => number;

const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const chance = (rand: Rand, p: number) => rand() < p;

// ---------------------------------------------------------------------------
// Reference values

export function isMat(v: Val): v is Mat {
  return typeof v === "object" && !(v instanceof Float64Array);
}
const mat = (rows: number, cols: number, data: Float64Array): Mat => ({ rows, cols, data });
export function entriesOf(v: Val): Float64Array {
  return typeof v === "number" ? Float64Array.of(v) : v instanceof Float64Array ? v : v.data;
}

/** Tracks overflow, and the largest magnitude met, while one program is evaluated. */
const watch = { overflow: false, largest: 0 };
function guard<T extends Val>(v: T): T {
  for (const z of entriesOf(v)) {
    if (!(Math.abs(z) <= 1e30)) watch.overflow = true;
    else watch.largest = Math.max(watch.largest, Math.abs(z));
  }
  return v;
}

/** Element-wise over broadcast operands: scalars against anything, a vector against a matrix's rows. */
function broadcastMap(args: readonly Val[], f: (...z: number[]) => number): Val {
  const m = args.find(isMat);
  const vector = args.find((a): a is Float64Array => a instanceof Float64Array);
  if (m !== undefined) {
    const data = new Float64Array(m.rows * m.cols);
    for (let k = 0; k < data.length; k++) {
      data[k] = f(
        ...args.map((a) =>
          typeof a === "number" ? a : a instanceof Float64Array ? a[k % m.cols]! : a.data[k]!,
        ),
      );
    }
    return guard(mat(m.rows, m.cols, data));
  }
  if (vector !== undefined) {
    return guard(
      Float64Array.from({ length: vector.length }, (_, k) =>
        f(...args.map((a) => (typeof a === "number" ? a : (a as Float64Array)[k]!))),
      ),
    );
  }
  return guard(f(...(args as number[])));
}

function matmul(a: Mat, b: Mat): Mat {
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < b.cols; j++) {
      let s = 0;
      for (let k = 0; k < a.cols; k++) s += a.data[i * a.cols + k]! * b.data[k * b.cols + j]!;
      out[i * b.cols + j] = s;
    }
  return guard(mat(a.rows, b.cols, out));
}
const asColumn = (v: Float64Array): Mat => mat(v.length, 1, v);
const asRow = (v: Float64Array): Mat => mat(1, v.length, v);
function product(a: Val, b: Val): Val {
  if (a instanceof Float64Array && b instanceof Float64Array)
    return guard(a.reduce((s, z, i) => s + z * b[i]!, 0));
  if (a instanceof Float64Array) return matmul(asRow(a), b as Mat).data;
  if (b instanceof Float64Array) return matmul(a as Mat, asColumn(b)).data;
  return matmul(a as Mat, b as Mat);
}
function transposed(a: Val): Val {
  if (!isMat(a)) return a;
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < a.cols; j++) out[j * a.rows + i] = a.data[i * a.cols + j]!;
  return mat(a.cols, a.rows, out);
}
function identity(n: number): Mat {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) out[i * n + i] = 1;
  return mat(n, n, out);
}
/** det by Laplace expansion along the first row (n ≤ 3 here). */
function determinant(a: Mat): number {
  const n = a.rows;
  if (n === 1) return a.data[0]!;
  let s = 0;
  for (let j = 0; j < n; j++) s += (j % 2 === 0 ? 1 : -1) * a.data[j]! * determinant(minor(a, 0, j));
  return guard(s);
}
function minor(a: Mat, i: number, j: number): Mat {
  const n = a.rows;
  const out: number[] = [];
  for (let r = 0; r < n; r++)
    for (let c = 0; c < n; c++) if (r !== i && c !== j) out.push(a.data[r * n + c]!);
  return mat(n - 1, n - 1, Float64Array.from(out));
}
/** The inverse by the adjugate (n ≤ 3 here, of well-conditioned matrices only). */
function inverse(a: Mat): Mat {
  const n = a.rows;
  const d = determinant(a);
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++)
      out[j * n + i] = (n === 1 ? 1 : ((i + j) % 2 === 0 ? 1 : -1) * determinant(minor(a, i, j))) / d;
  return guard(mat(n, n, out));
}

type Reducer = (xs: number[]) => number;
const logsumexp: Reducer = (xs) => {
  const top = Math.max(...xs);
  return top === -Infinity ? -Infinity : top + Math.log(xs.reduce((s, z) => s + Math.exp(z - top), 0));
};
const reducers: Record<string, Reducer> = {
  sum: (xs) => xs.reduce((s, z) => s + z, 0),
  mean: (xs) => xs.reduce((s, z) => s + z, 0) / xs.length,
  prod: (xs) => xs.reduce((s, z) => s * z, 1),
  norm1: (xs) => xs.reduce((s, z) => s + Math.abs(z), 0),
  norm2: (xs) => Math.hypot(...xs),
  max: (xs) => Math.max(...xs),
  min: (xs) => Math.min(...xs),
  logsumexp,
};
/** Columns (axis 0) or rows (axis 1) of a matrix, each as a list. */
function slices(a: Mat, axis: 0 | 1): number[][] {
  const count = axis === 0 ? a.cols : a.rows;
  const length = axis === 0 ? a.rows : a.cols;
  return Array.from({ length: count }, (_, s) =>
    Array.from({ length }, (_, t) => (axis === 0 ? a.data[t * a.cols + s]! : a.data[s * a.cols + t]!)),
  );
}
function softmaxList(xs: number[]): number[] {
  const top = Math.max(...xs);
  const e = xs.map((z) => Math.exp(z - top));
  const total = e.reduce((p, q) => p + q, 0);
  return e.map((z) => z / total);
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
const softplus = (z: number) => Math.max(z, 0) + Math.log1p(Math.exp(-Math.abs(z)));

// ---------------------------------------------------------------------------
// Expressions

const ADD = 2;
const MUL = 3;
const UNARY = 4;
const POW = 5;
const ATOM = 6;
const wrap = (e: Expr, min: number) => (e.prec >= min ? e.src : `(${e.src})`);

const S: Type = { kind: "S" };
const V = (d: Dim): Type => ({ kind: "V", d });
const M = (r: Dim, c: Dim): Type => ({ kind: "M", r, c });
const dims: readonly Dim[] = ["n", "m", 2];
const dimSrc = (d: Dim) => String(d);

export function formatType(t: Type): string {
  return t.kind === "S" ? "real" : t.kind === "V" ? `real[${t.d}]` : `real[${t.r}, ${t.c}]`;
}

/** Element-wise functions of one argument, as wrapped to stay in their domain. */
const unaryFunctions: readonly { src: (a: Expr) => string; f: (z: number) => number }[] = [
  { src: (a) => `exp(${a.src})`, f: Math.exp },
  { src: (a) => `log(1 + ${wrap(a, ATOM)}^2)`, f: (z) => Math.log(1 + z ** 2) },
  { src: (a) => `sqrt(1 + ${wrap(a, ATOM)}^2)`, f: (z) => Math.sqrt(1 + z ** 2) },
  { src: (a) => `sin(${a.src})`, f: Math.sin },
  { src: (a) => `cos(${a.src})`, f: Math.cos },
  { src: (a) => `tan(0.5 * tanh(${a.src}))`, f: (z) => Math.tan(0.5 * Math.tanh(z)) },
  { src: (a) => `asin(0.5 * tanh(${a.src}))`, f: (z) => Math.asin(0.5 * Math.tanh(z)) },
  { src: (a) => `acos(0.5 * sin(${a.src}))`, f: (z) => Math.acos(0.5 * Math.sin(z)) },
  { src: (a) => `atan(${a.src})`, f: Math.atan },
  { src: (a) => `sinh(${a.src})`, f: Math.sinh },
  { src: (a) => `cosh(${a.src})`, f: Math.cosh },
  { src: (a) => `tanh(${a.src})`, f: Math.tanh },
  { src: (a) => `sigmoid(${a.src})`, f: sigmoid },
  { src: (a) => `softplus(${a.src})`, f: softplus },
  { src: (a) => `relu(${a.src})`, f: (z) => Math.max(z, 0) },
  { src: (a) => `abs(${a.src})`, f: Math.abs },
  { src: (a) => `(sign(${a.src}) * ${wrap(a, UNARY)})`, f: (z) => Math.sign(z) * z },
  { src: (a) => `log1p(${wrap(a, ATOM)}^2)`, f: (z) => Math.log1p(z ** 2) },
  { src: (a) => `expm1(${a.src})`, f: Math.expm1 },
  { src: (a) => `log(sigmoid(${a.src}))`, f: (z) => -softplus(-z) },
  { src: (a) => `log1p(exp(${a.src}))`, f: softplus },
];

/** Partial functions behind where: the unsafe branch is never the chosen one. */
const partialFunctions: readonly {
  src: (a: Expr, b: Expr) => string;
  f: (a: number, b: number) => number;
}[] = [
  { src: (a, b) => `where(${a.src} > 0, log(${a.src}), ${b.src})`, f: (a, b) => (a > 0 ? Math.log(a) : b) },
  {
    src: (a, b) => `where(${a.src} >= 0.01, sqrt(${a.src}), ${b.src})`,
    f: (a, b) => (a >= 0.01 ? Math.sqrt(a) : b),
  },
  {
    src: (a, b) => `where(${a.src} < 0.1, ${b.src}, 1 / ${wrap(a, UNARY)})`,
    f: (a, b) => (a < 0.1 ? b : 1 / a),
  },
  {
    src: (a, b) => `where(abs(${a.src}) < 0.5, asin(${a.src}), ${b.src})`,
    f: (a, b) => (Math.abs(a) < 0.5 ? Math.asin(a) : b),
  },
];

const comparisons: readonly { op: string; f: (a: number, b: number) => boolean }[] = [
  { op: "<", f: (a, b) => a < b },
  { op: "<=", f: (a, b) => a <= b },
  { op: ">", f: (a, b) => a > b },
  { op: ">=", f: (a, b) => a >= b },
  { op: "==", f: (a, b) => a === b },
  { op: "!=", f: (a, b) => a !== b },
];

const constants = [0.5, 2, 3, 1.5, 0.1];

interface Scope {
  readonly names: readonly { readonly name: string; readonly type: Type }[];
  /** False in a helper of scalars: no dimensions, vectors or matrices are in scope. */
  readonly arrays: boolean;
  /** A scalar helper `h(p, q)` this program may call. */
  readonly helper?: { readonly name: string; readonly body: Expr };
  /** A vector helper `g(a: real[k]) -> real` this program may call. */
  readonly vectorHelper?: { readonly name: string; readonly body: Expr };
}

function sameType(a: Type, b: Type): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Types that combine element-wise with `t` into `t`: t itself, a scalar, a matrix's row vector. */
function broadcastPartners(t: Type): Type[] {
  if (t.kind === "S") return [S];
  if (t.kind === "V") return [t, S];
  return [t, S, V(t.c)];
}

class Generator {
  private readonly rand: Rand;
  private readonly scope: Scope;

  constructor(rand: Rand, scope: Scope) {
    this.rand = rand;
    this.scope = scope;
  }

  gen(type: Type, depth: number): Expr {
    if (depth <= 0 || chance(this.rand, 0.25)) return this.leaf(type);
    return this.compound(type, depth);
  }

  /** An expression with an operation at its top. */
  compound(type: Type, depth: number): Expr {
    return pick(this.rand, this.productions(type, depth - 1))();
  }

  private named(type: Type): Expr[] {
    return this.scope.names
      .filter((p) => sameType(p.type, type))
      .map((p) => ({ src: p.name, prec: ATOM, type, ev: (env: Env) => env[p.name]! }));
  }

  leaf(type: Type): Expr {
    const rand = this.rand;
    const named = this.named(type);
    if (type.kind === "S") {
      const options: (() => Expr)[] = [
        () => pick(rand, named),
        () => pick(rand, named),
        () => {
          const c = pick(rand, constants);
          return { src: String(c), prec: ATOM, type, ev: () => c };
        },
        () => ({ src: "pi", prec: ATOM, type, ev: () => Math.PI }),
        () => ({ src: "n", prec: ATOM, type, ev: () => sizes.n }),
        () => this.index(this.leaf(pick(rand, [V("n"), V("m"), M("m", "n"), M("n", "n")]))),
      ];
      const usable = this.scope.arrays ? options : options.slice(0, 4);
      return pick(rand, named.length > 0 ? usable : usable.slice(2))();
    }
    if (named.length > 0 && chance(rand, 0.8)) return pick(rand, named);
    if (type.kind === "V") {
      if (type.d === 2) return this.literal(type, 0);
      return chance(rand, 0.5) ? this.constructed(type) : this.gen(type, 1);
    }
    if (type.r === 2 && type.c === 2 && chance(rand, 0.5)) return this.literal(type, 0);
    if (type.r === type.c && chance(rand, 0.3)) return this.constructed(type);
    if (sameType(type, M("n", "m"))) return this.transpose(this.leaf(M("m", "n")));
    return this.outer(this.leaf(V(type.r)), this.leaf(V(type.c)));
  }

  private productions(type: Type, depth: number): (() => Expr)[] {
    const rand = this.rand;
    const sub = (t: Type) => this.gen(t, depth);
    const partner = () => sub(pick(rand, broadcastPartners(type)));
    const elementwise: (() => Expr)[] = [
      () => this.arith(pick(rand, ["+", "-"]), sub(type), partner()),
      () => this.arith(pick(rand, ["+", "-"]), partner(), sub(type)),
      () => this.arith("*", sub(type), partner()),
      () => this.safeDiv(sub(type), partner()),
      () => this.power(sub(type)),
      () => this.variablePower(sub(type), partner()),
      () => this.neg(sub(type)),
      () => this.apply(pick(rand, unaryFunctions), sub(type)),
      () => this.apply(pick(rand, unaryFunctions), sub(type)),
      () => this.maxMin(pick(rand, ["max", "min"] as const), sub(type), partner()),
      () => this.binaryFunction(pick(rand, ["atan2", "hypot"] as const), sub(type), partner()),
      () => this.where(pick(rand, comparisons), partner(), partner(), sub(type), partner()),
      () => this.partial(pick(rand, partialFunctions), sub(type), partner()),
    ];
    if (type.kind === "S" && !this.scope.arrays) return elementwise;
    if (type.kind === "S") {
      const anyArray = () => pick(rand, [V("n"), V("m"), V(2), M("m", "n"), M("n", "n"), M(2, "n")]);
      const d = () => pick(rand, dims);
      return [
        ...elementwise,
        () => this.reduce(pick(rand, Object.keys(reducers)), sub(anyArray())),
        () => this.reduce(pick(rand, Object.keys(reducers)), sub(anyArray())),
        () => {
          const k = d();
          return this.dot(sub(V(k)), sub(V(k)), chance(rand, 0.5));
        },
        () => this.index(sub(pick(rand, [V("n"), M("m", "n"), V(2)]))),
        () => this.trace(sub(this.square())),
        () => this.det(sub(this.square())),
        () => this.logdet(sub(M("n", pick(rand, dims)))),
        () => this.call(sub(S), sub(S)),
        () => this.callVector(sub(V(d()))),
        () => ({ ...this.unaryPlus(sub(S)) }),
      ];
    }
    if (type.kind === "V") {
      const k = () => pick(rand, dims);
      const axisReduce = () => {
        const other = k();
        const axis = chance(rand, 0.5) ? 1 : 0;
        const m = sub(axis === 1 ? M(type.d, other) : M(other, type.d));
        return this.reduceAlong(pick(rand, Object.keys(reducers)), m, axis);
      };
      return [
        ...elementwise,
        () => {
          const j = k();
          return this.matmul(sub(M(type.d, j)), sub(V(j)));
        },
        () => {
          const j = k();
          return this.matmul(sub(V(j)), sub(M(j, type.d)));
        },
        axisReduce,
        axisReduce,
        () => this.softmax(sub(type)),
        () => this.diagonal(sub(M(type.d, type.d))),
        ...(type.d === 2 ? [() => this.literal(type, depth)] : []),
      ];
    }
    const { r, c } = type;
    return [
      ...elementwise,
      () => {
        const j = pick(rand, dims);
        return this.matmul(sub(M(r, j)), sub(M(j, c)));
      },
      () => this.outer(sub(V(r)), sub(V(c))),
      () => this.transpose(sub(M(c, r))),
      () => this.softmaxAlong(sub(type), chance(rand, 0.5) ? 0 : 1),
      ...(r === c
        ? [
            () => this.diag(sub(V(r))),
            () => this.inv(sub(M(r, pick(rand, dims)))),
            () => this.constructed(type),
          ]
        : [() => this.constructed(type)]),
      ...(r === 2 && c === 2 ? [() => this.literal(type, depth)] : []),
    ];
  }

  private square(): Type {
    const d = pick(this.rand, ["n", "m", 2] as const);
    return M(d, d);
  }

  // --- productions ---------------------------------------------------------

  private arith(op: string, a: Expr, b: Expr): Expr {
    // e − e is 0 everywhere: a kink for whatever follows (0^u, √0), where forward and reverse
    // mode legitimately differ (0·∞ meets a guard in one and not the other).
    if (op === "-" && a.src === b.src) op = "+";
    const type = resultOf(a.type, b.type);
    const f =
      op === "+"
        ? (p: number, q: number) => p + q
        : op === "-"
          ? (p: number, q: number) => p - q
          : (p: number, q: number) => p * q;
    const prec = op === "*" ? MUL : ADD;
    return {
      src: `${wrap(a, prec)} ${op} ${wrap(b, prec + 1)}`,
      prec,
      type,
      ev: (env) => broadcastMap([a.ev(env), b.ev(env)], f),
    };
  }
  /** a / (1 + b²): a denominator that never vanishes. */
  private safeDiv(a: Expr, b: Expr): Expr {
    return {
      src: `${wrap(a, MUL)} / (1 + ${wrap(b, ATOM)}^2)`,
      prec: MUL,
      type: resultOf(a.type, b.type),
      ev: (env) => broadcastMap([a.ev(env), b.ev(env)], (p, q) => p / (1 + q ** 2)),
    };
  }
  private power(a: Expr): Expr {
    const k = pick(this.rand, [2, 3, 1, 0, -1, -2]);
    if (k < 0) {
      return {
        src: `(1 + ${wrap(a, ATOM)}^2)^${k}`,
        prec: POW,
        type: a.type,
        ev: (env) => broadcastMap([a.ev(env)], (z) => (1 + z ** 2) ** k),
      };
    }
    return {
      src: `${wrap(a, ATOM)}^${k}`,
      prec: POW,
      type: a.type,
      ev: (env) => broadcastMap([a.ev(env)], (z) => z ** k),
    };
  }
  /** pow(1 + a², b), (1 + a²)^b² and (a²)^b: bases of at least 1, or 0, with variable exponents. */
  private variablePower(a: Expr, b: Expr): Expr {
    const type = resultOf(a.type, b.type);
    const form = pick(this.rand, [0, 1, 2]);
    if (form === 0) {
      return {
        src: `pow(1 + ${wrap(a, ATOM)}^2, ${b.src})`,
        prec: ATOM,
        type,
        ev: (env) => broadcastMap([a.ev(env), b.ev(env)], (p, q) => (1 + p ** 2) ** q),
      };
    }
    if (form === 1) {
      return {
        src: `(1 + ${wrap(a, ATOM)}^2)^${wrap(b, ATOM)}^2`,
        prec: POW,
        type,
        ev: (env) => broadcastMap([a.ev(env), b.ev(env)], (p, q) => (1 + p ** 2) ** (q ** 2)),
      };
    }
    // A base that may be exactly 0 (at the zeros point, 0^0 and 0^1). A negative base is left
    // out: there ∂(a^b)/∂b = a^b log a is NaN at finite values, and a NaN partial times a
    // tangent that cancels to 0 gives 0 forward but NaN backward — a difference no AD removes.
    return {
      src: `(${wrap(a, ATOM)}^2)^${wrap(b, ATOM)}`,
      prec: POW,
      type,
      ev: (env) => broadcastMap([a.ev(env), b.ev(env)], (p, q) => (p ** 2) ** q),
    };
  }
  private neg(a: Expr): Expr {
    return {
      src: `-${wrap(a, UNARY)}`,
      prec: UNARY,
      type: a.type,
      ev: (env) => broadcastMap([a.ev(env)], (z) => -z),
    };
  }
  private unaryPlus(a: Expr): Expr {
    return { src: `+${wrap(a, UNARY)}`, prec: UNARY, type: a.type, ev: a.ev };
  }
  private apply(fn: (typeof unaryFunctions)[number], a: Expr): Expr {
    return { src: fn.src(a), prec: ATOM, type: a.type, ev: (env) => broadcastMap([a.ev(env)], fn.f) };
  }
  private maxMin(which: "max" | "min", a: Expr, b: Expr): Expr {
    return {
      src: `${which}(${a.src}, ${b.src})`,
      prec: ATOM,
      type: resultOf(a.type, b.type),
      ev: (env) => broadcastMap([a.ev(env), b.ev(env)], Math[which]),
    };
  }
  /**
   * atan2(a, b) and hypot(a, b) (the origin, where neither is differentiable, has measure 0).
   * An operand of constant zeros becomes ones for atan2: with zeros, the origin would have the
   * measure of wherever the other operand cancels to 0 (u − where(c, ·, u)), and atan2's
   * derivative there is NaN by convention while finite differences see a constant.
   */
  private binaryFunction(which: "atan2" | "hypot", a: Expr, b: Expr): Expr {
    if (which === "atan2") [a, b] = [nonZeroConstant(a), nonZeroConstant(b)];
    return {
      src: `${which}(${a.src}, ${b.src})`,
      prec: ATOM,
      type: resultOf(a.type, b.type),
      ev: (env) => broadcastMap([a.ev(env), b.ev(env)], Math[which]),
    };
  }
  private where(cmp: (typeof comparisons)[number], l: Expr, r: Expr, a: Expr, b: Expr): Expr {
    const type = [l.type, r.type, a.type, b.type].reduce(resultOf);
    return {
      src: `where(${l.src} ${cmp.op} ${r.src}, ${a.src}, ${b.src})`,
      prec: ATOM,
      type,
      ev: (env) =>
        broadcastMap([l.ev(env), r.ev(env), a.ev(env), b.ev(env)], (p, q, s, t) => (cmp.f(p, q) ? s : t)),
    };
  }
  private partial(fn: (typeof partialFunctions)[number], a: Expr, b: Expr): Expr {
    return {
      src: fn.src(a, b),
      prec: ATOM,
      type: resultOf(a.type, b.type),
      ev: (env) => broadcastMap([a.ev(env), b.ev(env)], fn.f),
    };
  }
  private reduce(name: string, a: Expr): Expr {
    return {
      src: `${name}(${a.src})`,
      prec: ATOM,
      type: S,
      ev: (env) => guard(reducers[name]!([...entriesOf(a.ev(env))])),
    };
  }
  private reduceAlong(name: string, a: Expr, axis: 0 | 1): Expr {
    const t = a.type as Extract<Type, { kind: "M" }>;
    return {
      src: `${name}(${a.src}, axis=${axis})`,
      prec: ATOM,
      type: V(axis === 0 ? t.c : t.r),
      ev: (env) => guard(Float64Array.from(slices(a.ev(env) as Mat, axis), reducers[name]!)),
    };
  }
  private dot(a: Expr, b: Expr, infix: boolean): Expr {
    const ev = (env: Env) => product(a.ev(env), b.ev(env));
    return infix
      ? { src: `${wrap(a, MUL)} @ ${wrap(b, MUL + 1)}`, prec: MUL, type: S, ev }
      : { src: `dot(${a.src}, ${b.src})`, prec: ATOM, type: S, ev };
  }
  private matmul(a: Expr, b: Expr): Expr {
    const type: Type =
      a.type.kind === "V"
        ? b.type.kind === "V"
          ? S
          : V((b.type as { c: Dim }).c)
        : b.type.kind === "V"
          ? V((a.type as { r: Dim }).r)
          : M((a.type as { r: Dim }).r, (b.type as { c: Dim }).c);
    return {
      src: `${wrap(a, MUL)} @ ${wrap(b, MUL + 1)}`,
      prec: MUL,
      type,
      ev: (env) => product(a.ev(env), b.ev(env)),
    };
  }
  private index(a: Expr): Expr {
    const i = Math.floor(this.rand() * 2);
    if (a.type.kind === "V") {
      return {
        src: `${wrap(a, ATOM)}[${i}]`,
        prec: ATOM,
        type: S,
        ev: (env) => (a.ev(env) as Float64Array)[i]!,
      };
    }
    const j = Math.floor(this.rand() * 2);
    return {
      src: `${wrap(a, ATOM)}[${i}, ${j}]`,
      prec: ATOM,
      type: S,
      ev: (env) => {
        const m = a.ev(env) as Mat;
        return m.data[i * m.cols + j]!;
      },
    };
  }
  private trace(a: Expr): Expr {
    return {
      src: `trace(${a.src})`,
      prec: ATOM,
      type: S,
      ev: (env) => {
        const m = a.ev(env) as Mat;
        let s = 0;
        for (let i = 0; i < Math.min(m.rows, m.cols); i++) s += m.data[i * m.cols + i]!;
        return s;
      },
    };
  }
  /**
   * det(E + I) of an expression E: E is often an outer product, whose determinant is 0 up to
   * rounding, and a comparison or log of rounding noise would compare rounding, not derivatives.
   */
  private det(a: Expr): Expr {
    const r = (a.type as { r: Dim }).r;
    // A parameter as it is: the singular points make Q singular on purpose.
    if (/^\w+$/.test(a.src)) {
      return { src: `det(${a.src})`, prec: ATOM, type: S, ev: (env) => determinant(a.ev(env) as Mat) };
    }
    return {
      src: `det(${wrap(a, ADD)} + eye(${dimSrc(r)}))`,
      prec: ATOM,
      type: S,
      ev: (env) => {
        const x = a.ev(env) as Mat;
        return determinant(broadcastMap([x, identity(x.rows)], (p, q) => p + q) as Mat);
      },
    };
  }
  /** logdet(E Eᵀ + I): of a positive-definite matrix. */
  private logdet(e: Expr): Expr {
    const r = (e.type as { r: Dim }).r;
    return {
      src: `logdet(${wrap(e, MUL)} @ ${wrap(e, ATOM)}' + eye(${dimSrc(r)}))`,
      prec: ATOM,
      type: S,
      ev: (env) => {
        const x = e.ev(env) as Mat;
        const spd = broadcastMap([matmul(x, transposed(x) as Mat), identity(x.rows)], (p, q) => p + q) as Mat;
        return guard(Math.log(determinant(spd)));
      },
    };
  }
  /** inv(E Eᵀ + I): of a positive-definite matrix, so never singular. */
  private inv(e: Expr): Expr {
    const r = (e.type as { r: Dim }).r;
    return {
      src: `inv(${wrap(e, MUL)} @ ${wrap(e, ATOM)}' + eye(${dimSrc(r)}))`,
      prec: ATOM,
      type: M(r, r),
      ev: (env) => {
        const x = e.ev(env) as Mat;
        const spd = broadcastMap([matmul(x, transposed(x) as Mat), identity(x.rows)], (p, q) => p + q) as Mat;
        return inverse(spd);
      },
    };
  }
  private transpose(a: Expr): Expr {
    const t = a.type as { r: Dim; c: Dim };
    const form = chance(this.rand, 0.5);
    return {
      src: form ? `${wrap(a, ATOM)}'` : `transpose(${a.src})`,
      prec: ATOM,
      type: M(t.c, t.r),
      ev: (env) => transposed(a.ev(env)),
    };
  }
  private outer(a: Expr, b: Expr): Expr {
    const type = M((a.type as { d: Dim }).d, (b.type as { d: Dim }).d);
    return {
      src: `outer(${a.src}, ${b.src})`,
      prec: ATOM,
      type,
      // Products, not sums of one product: 0 · (−1) is −0, which atan2 tells from 0.
      ev: (env) => {
        const x = a.ev(env) as Float64Array;
        const y = b.ev(env) as Float64Array;
        return guard(
          mat(
            x.length,
            y.length,
            Float64Array.from(
              { length: x.length * y.length },
              (_, k) => x[Math.floor(k / y.length)]! * y[k % y.length]!,
            ),
          ),
        );
      },
    };
  }
  private softmax(a: Expr): Expr {
    return {
      src: `softmax(${a.src})`,
      prec: ATOM,
      type: a.type,
      ev: (env) => Float64Array.from(softmaxList([...(a.ev(env) as Float64Array)])),
    };
  }
  private softmaxAlong(a: Expr, axis: 0 | 1): Expr {
    return {
      src: `softmax(${a.src}, axis=${axis})`,
      prec: ATOM,
      type: a.type,
      ev: (env) => {
        const m = a.ev(env) as Mat;
        const out = new Float64Array(m.data.length);
        slices(m, axis).forEach((slice, s) =>
          softmaxList(slice).forEach((z, t) => {
            out[axis === 0 ? t * m.cols + s : s * m.cols + t] = z;
          }),
        );
        return mat(m.rows, m.cols, out);
      },
    };
  }
  private diag(a: Expr): Expr {
    const d = (a.type as { d: Dim }).d;
    return {
      src: `diag(${a.src})`,
      prec: ATOM,
      type: M(d, d),
      ev: (env) => {
        const v = a.ev(env) as Float64Array;
        const out = new Float64Array(v.length * v.length);
        v.forEach((z, i) => (out[i * v.length + i] = z));
        return mat(v.length, v.length, out);
      },
    };
  }
  private diagonal(a: Expr): Expr {
    const d = (a.type as { r: Dim }).r;
    return {
      src: `diagonal(${a.src})`,
      prec: ATOM,
      type: V(d),
      ev: (env) => {
        const m = a.ev(env) as Mat;
        return Float64Array.from({ length: m.rows }, (_, i) => m.data[i * m.cols + i]!);
      },
    };
  }
  private constructed(type: Type): Expr {
    const rand = this.rand;
    if (type.kind === "V") {
      const which = pick(rand, ["zeros", "ones"]);
      const value = which === "zeros" ? 0 : 1;
      return {
        src: `${which}(${dimSrc(type.d)})`,
        prec: ATOM,
        type,
        ev: () => new Float64Array(sizeOf(type.d)).fill(value),
      };
    }
    const t = type as { r: Dim; c: Dim };
    if (t.r === t.c && chance(rand, 0.5)) {
      return { src: `eye(${dimSrc(t.r)})`, prec: ATOM, type, ev: () => identity(sizeOf(t.r)) };
    }
    const which = pick(rand, ["zeros", "ones"]);
    const value = which === "zeros" ? 0 : 1;
    return {
      src: `${which}(${dimSrc(t.r)}, ${dimSrc(t.c)})`,
      prec: ATOM,
      type,
      ev: () => mat(sizeOf(t.r), sizeOf(t.c), new Float64Array(sizeOf(t.r) * sizeOf(t.c)).fill(value)),
    };
  }
  /** [a, b] or [[a, b], [c, d]] of scalar expressions. */
  private literal(type: Type, depth: number): Expr {
    const count = type.kind === "V" ? 2 : 4;
    const items = Array.from({ length: count }, () => this.gen(S, depth));
    if (type.kind === "V") {
      return {
        src: `[${items.map((e) => e.src).join(", ")}]`,
        prec: ATOM,
        type,
        ev: (env) => Float64Array.from(items, (e) => e.ev(env) as number),
      };
    }
    return {
      src: `[[${items[0]!.src}, ${items[1]!.src}], [${items[2]!.src}, ${items[3]!.src}]]`,
      prec: ATOM,
      type,
      ev: (env) =>
        mat(
          2,
          2,
          Float64Array.from(items, (e) => e.ev(env) as number),
        ),
    };
  }
  private call(a: Expr, b: Expr): Expr {
    const helper = this.scope.helper;
    if (helper === undefined) return this.arith("+", a, b);
    return {
      src: `${helper.name}(${a.src}, ${b.src})`,
      prec: ATOM,
      type: S,
      ev: (env) => helper.body.ev({ p: a.ev(env), q: b.ev(env) }),
    };
  }
  private callVector(a: Expr): Expr {
    const helper = this.scope.vectorHelper;
    if (helper === undefined) return this.reduce("sum", a);
    return {
      src: `${helper.name}(${a.src})`,
      prec: ATOM,
      type: S,
      ev: (env) => helper.body.ev({ a: a.ev(env) }),
    };
  }
}

/** The type of an element-wise combination (operands broadcast). */
function resultOf(a: Type, b: Type): Type {
  if (a.kind === "M") return a;
  if (b.kind === "M") return b;
  if (a.kind === "V") return a;
  return b;
}

// ---------------------------------------------------------------------------
// Programs

/** Bodies of the vector helper `g(a: real[k]) -> real`, with their values. */
const vectorHelperForms: readonly { src: string; f: (a: Float64Array) => number }[] = [
  { src: "logsumexp(a) * mean(a)", f: (a) => logsumexp([...a]) * reducers.mean!([...a]) },
  {
    src: "dot(a, softmax(a)) + k",
    f: (a) => softmaxList([...a]).reduce((s, z, i) => s + z * a[i]!, 0) + a.length,
  },
  { src: "norm2(a) + max(a) - min(a)", f: (a) => Math.hypot(...a) + Math.max(...a) - Math.min(...a) },
  {
    src: "prod(tanh(a)) + norm1(a)",
    f: (a) => a.reduce((s, z) => s * Math.tanh(z), 1) + a.reduce((s, z) => s + Math.abs(z), 0),
  },
  { src: "a @ a / k", f: (a) => a.reduce((s, z) => s + z * z, 0) / a.length },
  // Over 32 operations: called twice in one function, it is generated as a call, with a pullback.
  {
    src:
      "sum(tanh(a) * exp(-a^2) + sigmoid(a) * softplus(-a)) + logsumexp(a) * mean(a) + norm2(a - mean(a)) * max(a)" +
      " - min(a) * prod(cos(a)) + dot(a, softmax(a)) + sum(sin(a) * cos(a)) / k",
    f: (a) => {
      const xs = [...a];
      const { sum, mean, norm2, max, min, prod } = reducers as Record<string, Reducer>;
      const average = mean!(xs);
      return (
        sum!(xs.map((z) => Math.tanh(z) * Math.exp(-(z ** 2)) + sigmoid(z) * softplus(-z))) +
        logsumexp(xs) * average +
        norm2!(xs.map((z) => z - average)) * max!(xs) -
        min!(xs) * prod!(xs.map(Math.cos)) +
        softmaxList(xs).reduce((s, z, i) => s + z * xs[i]!, 0) +
        sum!(xs.map((z) => Math.sin(z) * Math.cos(z))) / xs.length
      );
    },
  },
  {
    src: "sum(exp(-a^2)) * ([a[0], a[1]] @ [[1, 2], [3, 4]] @ [a[0], a[1]])",
    f: (a) => {
      const e = [...a].reduce((s, z) => s + Math.exp(-(z ** 2)), 0);
      const [p, q] = [a[0]!, a[1]!];
      return e * (p * (p + 3 * q) + q * (2 * p + 4 * q));
    },
  },
];

/** A random function named `name` (with its helpers), a pure function of `seed`. */
export function randomProgram(seed: number, name = `f${seed}`): Program {
  const rand = random(seed);
  const helperName = `${name}_h`;
  const vectorHelperName = `${name}_g`;
  const helperBody = new Generator(rand, {
    names: [
      { name: "p", type: S },
      { name: "q", type: S },
    ],
    arrays: false,
  }).compound(S, 2);
  const vectorForm = pick(rand, vectorHelperForms);
  const helpers = [
    `fn ${helperName}(p: real, q: real) = ${helperBody.src}`,
    // Its dimension k is bound, at each call, to the argument's length (n, m or 2).
    `fn ${vectorHelperName}(a: real[k]) = ${vectorForm.src}`,
  ];
  const vectorHelper = {
    name: vectorHelperName,
    body: { src: vectorForm.src, prec: ATOM, type: S, ev: (env: Env) => vectorForm.f(env.a as Float64Array) },
  };
  const resultType: Type = chance(rand, 0.7)
    ? S
    : pick(rand, [V("n"), V("m"), V(2), M("m", "n"), M("n", "n"), M(2, 2), M("n", "m")]);
  const baseScope: Scope = {
    names: params,
    arrays: true,
    helper: { name: helperName, body: helperBody },
    vectorHelper,
  };

  const statements: string[] = [];
  const steps: { name: string; expr: Expr }[] = [];
  let scope = baseScope;
  const block = chance(rand, 0.6);
  if (block) {
    const count = 1 + Math.floor(rand() * 3);
    for (let k = 0; k < count; k++) {
      const type = pick(rand, [S, S, V("n"), V("m"), M("m", "n"), M("n", "n")]);
      const expr = new Generator(rand, scope).compound(type, 2);
      const local = `t${k}`;
      statements.push(`${local} = ${expr.src}`);
      steps.push({ name: local, expr });
      scope = { ...scope, names: [...scope.names, { name: local, type }] };
    }
  }
  const generated = new Generator(rand, scope).compound(resultType, 3);
  // The large helper is also called twice, on other arguments, so its calls stay calls.
  const result: Expr = vectorForm.src.length > 100 ? withTwoCalls(generated, vectorHelper) : generated;
  const allWrt = params.map((p) => p.name);
  const wrt = chance(rand, 0.5) ? allWrt : allWrt.filter(() => chance(rand, 0.5));
  const wrtList = wrt.length === 0 ? [pick(rand, allWrt)] : wrt;
  const wrtClause = wrtList.length === allWrt.length && chance(rand, 0.5) ? "" : ` wrt ${wrtList.join(", ")}`;
  const signature = params.map((p) => `${p.name}: ${formatType(p.type)}`).join(", ");
  const head = `fn ${name}(${signature}) -> ${formatType(resultType)}${wrtClause}`;
  const body = block
    ? ` {\n  ${[...statements, `return ${result.src}`].join("\n  ")}\n}`
    : ` = ${result.src}`;
  const program: Program = {
    seed,
    name,
    source: `${helpers.join("\n")}\n${head}${body}\n`,
    resultType,
    wrt: allWrt.filter((p) => wrtList.includes(p)),
    overflowed: false,
    largest: 0,
    evaluate: (args) => {
      watch.overflow = false;
      watch.largest = 0;
      const env: Env = { n: sizes.n, m: sizes.m };
      params.forEach((p, i) => (env[p.name] = args[i]!));
      for (const step of steps) env[step.name] = step.expr.ev(env);
      const value = result.ev(env);
      program.overflowed = watch.overflow;
      program.largest = watch.largest;
      return value;
    },
  };
  return program;
}

/** `(e) + g(v) * g(w + u[0])`: a scalar added to e, of any type, with two calls of helper g. */
function withTwoCalls(e: Expr, g: { readonly name: string; readonly body: Expr }): Expr {
  return {
    src: `(${e.src}) + ${g.name}(v) * ${g.name}(w + u[0])`,
    prec: ADD,
    type: e.type,
    ev: (env) => {
      const value = e.ev(env);
      const w = env.w as Float64Array;
      const shifted = w.map((z) => z + (env.u as Float64Array)[0]!);
      const extra =
        (g.body.ev({ a: env.v as Float64Array }) as number) * (g.body.ev({ a: shifted }) as number);
      if (typeof value === "number") return value + extra;
      if (value instanceof Float64Array) return value.map((z) => z + extra);
      return { ...value, data: value.data.map((z) => z + extra) };
    },
  };
}

/** `ones(...)` in place of a `zeros(...)` constant; any other expression as it is. */
function nonZeroConstant(e: Expr): Expr {
  if (!/^zeros\([^()]*\)$/.test(e.src)) return e;
  return {
    ...e,
    src: e.src.replace("zeros", "ones"),
    ev: (env) => {
      const zeros = e.ev(env);
      if (typeof zeros === "number") return 1;
      if (zeros instanceof Float64Array) return new Float64Array(zeros.length).fill(1);
      return { ...zeros, data: new Float64Array(zeros.data.length).fill(1) };
    },
  };
}
