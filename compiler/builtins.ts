// The language's built-in functions: one entry each, holding what the checker
// needs (arity, whether it takes `axis=`, its shape rule with located errors),
// how lowering builds it from primitives, and a one-line description. Adding a
// built-in is one entry here (and, if it needs a new operation, one primitive
// in primitives.ts); the checker and lowering read this table and nothing else.

import type { Builder } from "./builder.js";
import { codes, type DiagnosticCode } from "./diagnostics.js";
import type { Value } from "./ir.js";
import type { Op } from "./primitives.js";
import { formatShape, type Dim, type Shape } from "./shapes.js";

export const keywords = ["fn", "return", "wrt", "real", "pi"] as const;

/** What a built-in's shape rule is given by the checker. */
export interface ShapeContext {
  readonly name: string;
  /** The shapes of the positional arguments (for a `sizes` built-in, empty). */
  readonly args: readonly Shape[];
  /** For a `sizes` built-in: the sizes, resolved to dimensions. */
  readonly sizes: readonly Dim[];
  /** `axis=` (for a built-in that takes one), already checked to be 0 or 1 of a matrix. */
  readonly axis: 0 | 1 | undefined;
  /** Reports an error at argument `k`, or at the whole call; returns undefined for chaining. */
  error(code: DiagnosticCode, message: string, k?: number): undefined;
  /** Whether argument `k` has one of `ranks`; else reports "'f' needs WHAT, got SHAPE". */
  need(k: number, ranks: readonly number[], what: string): boolean;
  /** The broadcast shape of element-wise operands; a mismatch is reported at the call. */
  broadcast(what: string, a: Shape, b: Shape): Shape | undefined;
}

/** What a built-in's lowering is given. */
export interface LowerContext {
  readonly name: string;
  readonly b: Builder;
  readonly args: readonly Value[];
  readonly axis: 0 | 1 | undefined;
  readonly sizes: readonly Dim[];
  /** The number of elements of `shape`, as a value. */
  count(shape: Shape): Value;
}

export interface BuiltinDef {
  /** How many positional arguments: [least, most]. */
  readonly arity: readonly [number, number];
  /** Accepts `axis=0|1` of a matrix argument. */
  readonly takesAxis?: boolean;
  /** Positional arguments are sizes (integer literals or dimension names), not values. */
  readonly takesSizes?: boolean;
  /** One line for the docs: what it computes. */
  readonly doc: string;
  shape(c: ShapeContext): Shape | undefined;
  lower(c: LowerContext): Value;
}

/** `axis` as primitive attributes. */
const axisAttrs = (axis: 0 | 1 | undefined) => (axis === undefined ? {} : { axis });

/** The shape of a reduction's result: a scalar, or one entry per column (axis 0) or row (axis 1). */
function reduced(c: ShapeContext): Shape | undefined {
  if (!c.need(0, [1, 2], "a vector or a matrix")) return undefined;
  const x = c.args[0]!;
  return c.axis === undefined ? [] : [x[c.axis === 0 ? 1 : 0]!];
}

function squareMatrix(c: ShapeContext): Shape | undefined {
  if (!c.need(0, [2], "a square matrix")) return undefined;
  const a = c.args[0]!;
  if (a[0] !== a[1])
    return c.error(codes.badArgument, `'${c.name}' needs a square matrix, got ${formatShape(a)}`, 0);
  return a;
}

/** An element-wise function of one argument, the primitive of its name: its shape is its argument's. */
function unary(doc: string, lower?: BuiltinDef["lower"]): BuiltinDef {
  return {
    arity: [1, 1],
    doc,
    shape: (c) => c.args[0],
    lower: lower ?? ((c) => c.b.apply(c.name as Op, [c.args[0]!])),
  };
}

/** A reduction of all elements, or along an axis: `sum`, `prod`, ... */
function reduction(doc: string, lower: BuiltinDef["lower"]): BuiltinDef {
  return { arity: [1, 1], takesAxis: true, doc, shape: reduced, lower };
}

/** Reductions that are one primitive of the same name. */
const primitiveReduction = (op: "sum" | "prod" | "norm2" | "logsumexp", doc: string) =>
  reduction(doc, (c) => c.b.apply(op, [c.args[0]!], axisAttrs(c.axis)));

/**
 * Compositions that round badly when computed step by step, in the form a careful person
 * writes them: log(sigmoid(x)) = −softplus(−x) (not −∞ for x ≲ −745), log1p(exp(x)) =
 * softplus(x) (not ∞ for x ≳ 710) and log(softmax(x)) = x − logsumexp(x) (log-softmax).
 * Their derivatives follow the stable form too.
 */
function stableLog(c: LowerContext, name: "log" | "log1p"): Value {
  const b = c.b;
  const x = c.args[0]!;
  const inner = b.producerOf(x);
  const arg = inner?.args[0];
  if (inner !== undefined && arg !== undefined) {
    if (name === "log" && inner.op === "sigmoid") return b.neg(b.apply("softplus", [b.neg(arg)]));
    if (name === "log1p" && inner.op === "exp") return b.apply("softplus", [arg]);
    if (name === "log" && inner.op === "softmax") {
      const { axis } = inner.attrs;
      const lse = b.apply("logsumexp", [arg], axisAttrs(axis));
      const spread = axis === undefined ? lse : b.apply("broadcast", [lse], { shape: arg.shape, axis });
      return b.sub(arg, spread);
    }
  }
  return b.apply(name, [x]);
}

/** An element-wise function of two arguments, the primitive of its name; they broadcast. */
function elementwise2(op: Op, doc: string): BuiltinDef {
  return {
    arity: [2, 2],
    doc,
    shape: (c) => c.broadcast(op, c.args[0]!, c.args[1]!),
    lower: (c) => c.b.apply(op, [c.args[0]!, c.args[1]!]),
  };
}

/** `max`/`min`: of two arguments element-wise, of one a reduction. */
function extreme(which: "max" | "min"): BuiltinDef {
  return {
    arity: [1, 2],
    takesAxis: true,
    doc:
      which === "max"
        ? "max(a, b): the larger, element-wise; max(x): the largest element (or along an axis)"
        : "min(a, b): the smaller, element-wise; min(x): the smallest element (or along an axis)",
    shape: (c) => (c.args.length === 2 ? c.broadcast(which, c.args[0]!, c.args[1]!) : reduced(c)),
    lower: (c) =>
      c.args.length === 2
        ? c.b.apply(which, [c.args[0]!, c.args[1]!])
        : c.b.apply(which === "max" ? "maxReduce" : "minReduce", [c.args[0]!], axisAttrs(c.axis)),
  };
}

/** `zeros`, `ones`: a constant of the given sizes. */
function filled(value: 0 | 1): BuiltinDef {
  return {
    arity: [1, 2],
    takesSizes: true,
    doc: `${value === 0 ? "zeros" : "ones"}(n), ${value === 0 ? "zeros" : "ones"}(m, n): a constant vector or matrix of ${value}`,
    shape: (c) => c.sizes,
    lower: (c) => c.b.apply("broadcast", [c.b.constant(value)], { shape: c.sizes }),
  };
}

export const builtins = {
  // Element-wise, one argument.
  exp: unary("eˣ"),
  log: unary("the natural logarithm", (c) => stableLog(c, "log")),
  sqrt: unary("√x"),
  sin: unary("sine"),
  cos: unary("cosine"),
  tan: unary("tangent"),
  asin: unary("arcsine"),
  acos: unary("arccosine"),
  atan: unary("arctangent"),
  sinh: unary("hyperbolic sine"),
  cosh: unary("hyperbolic cosine"),
  tanh: unary("hyperbolic tangent"),
  sigmoid: unary("1 / (1 + e⁻ˣ), without overflow"),
  softplus: unary("log(1 + eˣ), without overflow"),
  relu: unary("max(x, 0)"),
  abs: unary("|x|"),
  sign: unary("−1, 0 or 1"),
  log1p: unary("log(1 + x), accurate near 0", (c) => stableLog(c, "log1p")),
  expm1: unary("eˣ − 1, accurate near 0"),

  // Element-wise, two arguments.
  max: extreme("max"),
  min: extreme("min"),
  pow: elementwise2("pow", "pow(a, b) = a ^ b, element-wise"),
  atan2: elementwise2("atan2", "atan2(y, x): the angle of the point (x, y), in (−π, π]"),
  hypot: elementwise2("hypot", "hypot(x, y) = √(x² + y²), without overflow"),
  // Its condition is a comparison, which the checker and lowering read themselves.
  where: {
    arity: [3, 3],
    doc: "where(cond, a, b): a where the comparison cond holds, else b, element-wise",
    shape: (c) => {
      const branches = c.broadcast("where", c.args[1]!, c.args[2]!);
      return branches === undefined ? undefined : c.broadcast("where", c.args[0]!, branches);
    },
    lower: (c) => c.b.apply("where", [c.args[0]!, c.args[1]!, c.args[2]!]),
  },

  // Reductions.
  sum: primitiveReduction("sum", "the sum of all elements (or along an axis)"),
  mean: reduction("the mean of all elements (or along an axis)", (c) => {
    const x = c.args[0]!;
    const counted = c.axis === undefined ? x.shape : [x.shape[c.axis]!];
    return c.b.div(c.b.apply("sum", [x], axisAttrs(c.axis)), c.count(counted));
  }),
  prod: primitiveReduction("prod", "the product of all elements (or along an axis)"),
  norm1: reduction("Σ |xᵢ| (or along an axis)", (c) =>
    c.b.apply("sum", [c.b.apply("abs", [c.args[0]!])], axisAttrs(c.axis)),
  ),
  norm2: primitiveReduction("norm2", "the Euclidean (Frobenius) norm (or along an axis), without overflow"),
  logsumexp: primitiveReduction("logsumexp", "log Σ exp xᵢ, stable (or along an axis)"),

  // Vectors and matrices.
  dot: {
    arity: [2, 2],
    doc: "the dot product of two vectors",
    shape: (c) => {
      if (!c.need(0, [1], "vectors") || !c.need(1, [1], "vectors")) return undefined;
      const [a, b] = c.args as [Shape, Shape];
      if (a[0] !== b[0]) {
        return c.error(codes.shapeMismatch, `dot of ${formatShape(a)} and ${formatShape(b)}: lengths differ`);
      }
      return [];
    },
    lower: (c) => c.b.apply("dot", [c.args[0]!, c.args[1]!]),
  },
  outer: {
    arity: [2, 2],
    doc: "the outer product x yᵀ",
    shape: (c) => {
      if (!c.need(0, [1], "vectors") || !c.need(1, [1], "vectors")) return undefined;
      return [c.args[0]![0]!, c.args[1]![0]!];
    },
    lower: (c) => c.b.apply("outer", [c.args[0]!, c.args[1]!]),
  },
  transpose: {
    arity: [1, 1],
    doc: "the transpose (of a vector: the vector itself)",
    shape: (c) => {
      const a = c.args[0]!;
      return a.length === 2 ? [a[1]!, a[0]!] : a;
    },
    lower: (c) => (c.args[0]!.shape.length === 1 ? c.args[0]! : c.b.apply("transpose", [c.args[0]!])),
  },
  trace: {
    arity: [1, 1],
    doc: "the sum of the diagonal of a square matrix",
    shape: (c) => (squareMatrix(c) === undefined ? undefined : []),
    lower: (c) => c.b.apply("sum", [c.b.apply("diagonal", [c.args[0]!])]),
  },
  diag: {
    arity: [1, 1],
    doc: "the square matrix with the vector on its diagonal",
    shape: (c) => (c.need(0, [1], "a vector") ? [c.args[0]![0]!, c.args[0]![0]!] : undefined),
    lower: (c) => c.b.apply("diag", [c.args[0]!], { shape: [c.args[0]!.shape[0]!, c.args[0]!.shape[0]!] }),
  },
  diagonal: {
    arity: [1, 1],
    doc: "the main diagonal of a matrix, min(m, n) entries",
    shape: (c) => {
      if (!c.need(0, [2], "a matrix")) return undefined;
      const [m, n] = c.args[0] as [Dim, Dim];
      if (m === n) return [m];
      if (typeof m === "number" && typeof n === "number") return [Math.min(m, n)];
      return c.error(
        codes.badArgument,
        `diagonal of ${formatShape(c.args[0]!)} needs known or equal dimensions`,
        0,
      );
    },
    lower: (c) => c.b.apply("diagonal", [c.args[0]!]),
  },
  softmax: {
    arity: [1, 1],
    takesAxis: true,
    doc: "exp(x) / Σ exp(x), stable (of a vector, or along an axis of a matrix)",
    shape: (c) => {
      const x = c.args[0]!;
      if (x.length === 2 && c.axis === undefined) {
        return c.error(codes.badKeywordArgument, `softmax of a matrix needs axis=0 or axis=1`);
      }
      return c.need(0, [1, 2], "a vector or a matrix") ? x : undefined;
    },
    lower: (c) => c.b.apply("softmax", [c.args[0]!], axisAttrs(c.axis)),
  },
  inv: {
    arity: [1, 1],
    doc: "the inverse of a square matrix (throws SingularMatrixError when singular)",
    shape: squareMatrix,
    lower: (c) => c.b.apply("inv", [c.args[0]!]),
  },
  det: {
    arity: [1, 1],
    doc: "the determinant of a square matrix",
    shape: (c) => (squareMatrix(c) === undefined ? undefined : []),
    lower: (c) => c.b.apply("det", [c.args[0]!]),
  },
  logdet: {
    arity: [1, 1],
    doc: "log det X of a square matrix with det X > 0",
    shape: (c) => (squareMatrix(c) === undefined ? undefined : []),
    lower: (c) => c.b.apply("logdet", [c.args[0]!]),
  },

  // Constructors.
  zeros: filled(0),
  ones: filled(1),
  eye: {
    arity: [1, 1],
    takesSizes: true,
    doc: "eye(n): the n × n identity",
    shape: (c) => [c.sizes[0]!, c.sizes[0]!],
    lower: (c) => c.b.apply("eye", [], { shape: [c.sizes[0]!, c.sizes[0]!] }),
  },
} satisfies Record<string, BuiltinDef>;

export type BuiltinName = keyof typeof builtins;

export function builtinOf(name: string): BuiltinDef | undefined {
  return Object.hasOwn(builtins, name) ? builtins[name as BuiltinName] : undefined;
}

export const builtinNames: ReadonlySet<string> = new Set(Object.keys(builtins));

/** Words that may not name a function, parameter, variable or dimension. */
export function reservedReason(name: string): string | undefined {
  if ((keywords as readonly string[]).includes(name)) return "a keyword";
  if (builtinNames.has(name)) return "a built-in function";
  // As a key of the generated gradient objects it would set their prototype instead.
  if (name === "__proto__") return "special in JavaScript objects";
  return undefined;
}
