// A small evaluator of explain's formulas (compiler/notation.ts), written independently of
// the compiler's arithmetic: matrices are plain arrays, vectors are n × 1 columns and xᵀ is
// a 1 × n row, so a printed formula with a wrong transpose or a missing sum fails to evaluate
// or evaluates to the wrong number.

import type { Formula } from "../../compiler/notation.js";

export interface Mat {
  readonly rows: number;
  readonly cols: number;
  readonly data: number[];
}
export type Val = number | Mat;

export type Bindings = ReadonlyMap<string, Val>;

const mat = (rows: number, cols: number, data: number[]): Mat => ({ rows, cols, data });
const at = (a: Mat, i: number, j: number) => a.data[i * a.cols + j]!;

export function column(values: ArrayLike<number>): Mat {
  return mat(values.length, 1, Array.from(values));
}

export function evaluate(f: Formula, env: Bindings): Val {
  switch (f.kind) {
    case "number":
      return f.value;
    case "symbol":
      return symbolValue(f, env);
    case "negate":
      return map1(evaluate(f.of, env), (x) => -x);
    case "sqrt":
      return map1(evaluate(f.of, env), Math.sqrt);
    case "norm": {
      const v = evaluate(f.of, env);
      return typeof v === "number" ? Math.abs(v) : Math.sqrt(v.data.reduce((s, x) => s + x * x, 0));
    }
    case "power":
      return map2(evaluate(f.base, env), evaluate(f.exponent, env), (a, b) => a ** b);
    case "indicator": {
      if (f.test.kind !== "binary") throw new Error("an indicator needs a comparison");
      const compare = comparisons[f.test.op];
      if (compare === undefined) throw new Error(`unknown comparison ${f.test.op}`);
      return map2(evaluate(f.test.left, env), evaluate(f.test.right, env), (a, b) => (compare(a, b) ? 1 : 0));
    }
    case "postfix": {
      const v = evaluate(f.of, env);
      if (f.op === "ᵀ") return transpose(v);
      const inverse = invert(asMat(v));
      return f.op === "⁻¹" ? inverse : transpose(inverse);
    }
    case "element": {
      const v = asMat(evaluate(f.of, env));
      const [i, j = 0] = f.index;
      return f.index.length === 1 && (v.cols === 1 || v.rows === 1) ? v.data[i!]! : at(v, i!, j);
    }
    case "list": {
      if (f.items.every((item) => item.kind === "list")) {
        const rows = f.items.map((row) =>
          row.kind === "list" ? row.items.map((x) => asScalar(evaluate(x, env))) : [],
        );
        return mat(rows.length, rows[0]!.length, rows.flat());
      }
      return column(f.items.map((item) => asScalar(evaluate(item, env))));
    }
    case "binary":
      return binary(f.op, evaluate(f.left, env), evaluate(f.right, env));
    case "call":
      return call(f.fn, f.args, env);
  }
}

const comparisons: Record<string, (a: number, b: number) => boolean> = {
  ">": (a, b) => a > b,
  "≥": (a, b) => a >= b,
  "<": (a, b) => a < b,
  "≤": (a, b) => a <= b,
  "=": (a, b) => a === b,
  "≠": (a, b) => a !== b,
};

function symbolValue(f: Extract<Formula, { kind: "symbol" }>, env: Bindings): Val {
  const bound = env.get(f.name);
  if (bound !== undefined) return bound;
  const dims = (f.shape ?? []).map((d) => (typeof d === "number" ? d : asScalar(env.get(d) ?? NaN)));
  if (f.shape === undefined) throw new Error(`unbound symbol '${f.name}'`);
  const [rows = 1, cols = 1] = dims;
  const filled = (value: (i: number, j: number) => number) =>
    mat(
      rows,
      cols,
      Array.from({ length: rows * cols }, (_, k) => value(Math.floor(k / cols), k % cols)),
    );
  if (f.name === "1⃗") return filled(() => 1);
  if (f.name === "I") return filled((i, j) => (i === j ? 1 : 0));
  if (f.name === "0") return dims.length === 0 ? 0 : filled(() => 0);
  const unit = /^e([₀-₉,]+)$/.exec(f.name);
  if (unit !== null) {
    const index = unit[1]!.split(",").map((s) => Number([...s].map((c) => "₀₁₂₃₄₅₆₇₈₉".indexOf(c)).join("")));
    return filled((i, j) => (i === index[0] && j === (index[1] ?? 0) ? 1 : 0));
  }
  throw new Error(`unbound symbol '${f.name}'`);
}

function asMat(v: Val): Mat {
  return typeof v === "number" ? mat(1, 1, [v]) : v;
}

function asScalar(v: Val): number {
  if (typeof v === "number") return v;
  if (v.rows === 1 && v.cols === 1) return v.data[0]!;
  throw new Error(`expected a scalar, got ${v.rows} × ${v.cols}`);
}

function transpose(v: Val): Val {
  if (typeof v === "number") return v;
  return mat(
    v.cols,
    v.rows,
    Array.from({ length: v.data.length }, (_, k) => at(v, k % v.rows, Math.floor(k / v.rows))),
  );
}

function map1(v: Val, f: (x: number) => number): Val {
  return typeof v === "number" ? f(v) : mat(v.rows, v.cols, v.data.map(f));
}

/** Element-wise, a scalar (or 1 × 1) broadcast against anything; shapes must otherwise agree. */
function map2(a: Val, b: Val, f: (x: number, y: number) => number): Val {
  if (typeof a === "number" || (a.rows === 1 && a.cols === 1 && typeof b !== "number")) {
    const x = asScalar(a);
    return map1(b, (y) => f(x, y));
  }
  if (typeof b === "number" || (b.rows === 1 && b.cols === 1)) {
    const y = asScalar(b);
    return map1(a, (x) => f(x, y));
  }
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new Error(`element-wise operation on ${a.rows} × ${a.cols} and ${b.rows} × ${b.cols}`);
  }
  return mat(
    a.rows,
    a.cols,
    a.data.map((x, k) => f(x, b.data[k]!)),
  );
}

function matmul(a: Val, b: Val): Val {
  if (typeof a === "number" || typeof b === "number") return map2(a, b, (x, y) => x * y);
  if (a.rows === 1 && a.cols === 1) return map1(b, (y) => a.data[0]! * y);
  if (b.rows === 1 && b.cols === 1) return map1(a, (x) => x * b.data[0]!);
  if (a.cols !== b.rows) throw new Error(`product of ${a.rows} × ${a.cols} and ${b.rows} × ${b.cols}`);
  const out = new Array<number>(a.rows * b.cols).fill(0);
  for (let i = 0; i < a.rows; i++)
    for (let k = 0; k < a.cols; k++)
      for (let j = 0; j < b.cols; j++) out[i * b.cols + j]! += at(a, i, k) * at(b, k, j);
  const product = mat(a.rows, b.cols, out);
  return product.rows === 1 && product.cols === 1 ? product.data[0]! : product;
}

function binary(op: string, a: Val, b: Val): Val {
  switch (op) {
    case "+":
      return map2(a, b, (x, y) => x + y);
    case "−":
      return map2(a, b, (x, y) => x - y);
    case "⊙":
      return map2(a, b, (x, y) => x * y);
    case "⊘":
      return map2(a, b, (x, y) => x / y);
    case "/":
      return map1(a, (x) => x / asScalar(b));
    case "·": {
      const [x, y] = [asMat(a), asMat(b)];
      if (x.data.length !== y.data.length) throw new Error("dot product of different lengths");
      return x.data.reduce((s, v, k) => s + v * y.data[k]!, 0);
    }
    case " ":
      return matmul(a, b);
    default:
      throw new Error(`unknown operator ${op}`);
  }
}

const unaries: Record<string, (x: number) => number> = {
  exp: Math.exp,
  ln: Math.log,
  sqrt: Math.sqrt,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  "sech²": (x) => 1 / Math.cosh(x) ** 2,
  σ: (x) => 1 / (1 + Math.exp(-x)),
  softplus: (x) => Math.log1p(Math.exp(x)),
  relu: (x) => Math.max(x, 0),
  abs: Math.abs,
  sign: Math.sign,
  log1p: Math.log1p,
  expm1: Math.expm1,
};

/** Slices of a matrix along an axis (0: columns, 1: rows), or the whole value as one slice. */
function slices(v: Mat, axis: number | undefined): number[][] {
  if (axis === undefined) return [v.data];
  if (axis === 1) return Array.from({ length: v.rows }, (_, i) => v.data.slice(i * v.cols, (i + 1) * v.cols));
  return Array.from({ length: v.cols }, (_, j) => Array.from({ length: v.rows }, (_, i) => at(v, i, j)));
}

/** Per slice, one number each: a reduction. */
function reduce(v: Mat, axis: number | undefined, f: (xs: number[]) => number): Val {
  const values = slices(v, axis).map(f);
  return axis === undefined ? values[0]! : column(values);
}

/** Per slice, a slice back: softmax, prodExcept. */
function perSlice(v: Mat, axis: number | undefined, f: (xs: number[]) => number[]): Mat {
  const out = slices(v, axis).map(f);
  if (axis === undefined) return mat(v.rows, v.cols, out[0]!);
  const data = new Array<number>(v.data.length);
  out.forEach((slice, s) =>
    slice.forEach((x, t) => {
      data[axis === 1 ? s * v.cols + t : t * v.cols + s] = x;
    }),
  );
  return mat(v.rows, v.cols, data);
}

const logsumexp = (xs: number[]) => {
  const top = Math.max(...xs);
  return top + Math.log(xs.reduce((s, x) => s + Math.exp(x - top), 0));
};

function call(name: string, argFormulas: readonly Formula[], env: Bindings): Val {
  const axisArg = argFormulas.find((a) => a.kind === "symbol" && a.name.startsWith("axis="));
  const axis = axisArg?.kind === "symbol" ? Number(axisArg.name.slice(5)) : undefined;
  const args = argFormulas.filter((a) => a !== axisArg).map((a) => evaluate(a, env));
  const unary = unaries[name];
  if (unary !== undefined && args.length === 1) return map1(args[0]!, unary);
  const x = () => asMat(args[0]!);
  switch (name) {
    case "max":
    case "min":
      if (args.length === 2) return map2(args[0]!, args[1]!, name === "max" ? Math.max : Math.min);
      return reduce(x(), axis, (xs) => (name === "max" ? Math.max(...xs) : Math.min(...xs)));
    case "where":
      return whereOf(args[0]!, args[1]!, args[2]!);
    case "atan2":
      return map2(args[0]!, args[1]!, Math.atan2);
    case "hypot":
      return map2(args[0]!, args[1]!, Math.hypot);
    case "sum":
      return reduce(x(), axis, (xs) => xs.reduce((s, v) => s + v, 0));
    case "prod":
      return reduce(x(), axis, (xs) => xs.reduce((s, v) => s * v, 1));
    case "logsumexp":
      return reduce(x(), axis, logsumexp);
    case "norm2":
      return reduce(x(), axis, (xs) => Math.sqrt(xs.reduce((s, v) => s + v * v, 0)));
    case "softmax":
      return perSlice(x(), axis, (xs) => {
        const l = logsumexp(xs);
        return xs.map((v) => Math.exp(v - l));
      });
    case "prodExcept":
      return perSlice(x(), axis, (xs) => xs.map((_, i) => xs.reduce((s, v, j) => (j === i ? s : s * v), 1)));
    case "diag": {
      const v = x();
      const n = v.data.length;
      return mat(
        n,
        n,
        Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? v.data[k / (n + 1)]! : 0)),
      );
    }
    case "diagonal": {
      const a = x();
      return column(Array.from({ length: Math.min(a.rows, a.cols) }, (_, i) => at(a, i, i)));
    }
    case "det":
      return determinant(x());
    case "log det":
      return Math.log(determinant(x()));
    default:
      throw new Error(`unknown function '${name}'`);
  }
}

function whereOf(c: Val, a: Val, b: Val): Val {
  const shaped = [c, a, b].find((v): v is Mat => typeof v !== "number" && v.data.length > 1);
  const pick = (x: Val, k: number) =>
    typeof x === "number" ? x : x.data.length === 1 ? x.data[0]! : x.data[k]!;
  if (shaped === undefined) return pick(c, 0) !== 0 ? a : b;
  return mat(
    shaped.rows,
    shaped.cols,
    shaped.data.map((_, k) => (pick(c, k) !== 0 ? pick(a, k) : pick(b, k))),
  );
}

/** Gaussian elimination with partial pivoting. */
function lu(a: Mat): { m: number[][]; sign: number } {
  const n = a.rows;
  const m = Array.from({ length: n }, (_, i) => a.data.slice(i * n, (i + 1) * n));
  let sign = 1;
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(m[i]![k]!) > Math.abs(m[p]![k]!)) p = i;
    if (p !== k) (([m[p], m[k]] = [m[k]!, m[p]!]), (sign = -sign));
    for (let i = k + 1; i < n; i++) {
      const factor = m[i]![k]! / m[k]![k]!;
      for (let j = k; j < n; j++) m[i]![j]! -= factor * m[k]![j]!;
    }
  }
  return { m, sign };
}

function determinant(a: Mat): number {
  const { m, sign } = lu(a);
  return m.reduce((d, row, i) => d * row[i]!, sign);
}

function invert(a: Mat): Mat {
  const n = a.rows;
  const aug = Array.from({ length: n }, (_, i) => [
    ...a.data.slice(i * n, (i + 1) * n),
    ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
  ]);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(aug[i]![k]!) > Math.abs(aug[p]![k]!)) p = i;
    [aug[p], aug[k]] = [aug[k]!, aug[p]!];
    const pivot = aug[k]![k]!;
    for (let j = 0; j < 2 * n; j++) aug[k]![j]! /= pivot;
    for (let i = 0; i < n; i++) {
      if (i === k) continue;
      const factor = aug[i]![k]!;
      for (let j = 0; j < 2 * n; j++) aug[i]![j]! -= factor * aug[k]![j]!;
    }
  }
  return mat(
    n,
    n,
    aug.flatMap((row) => row.slice(n)),
  );
}
