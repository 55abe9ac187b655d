// The primitive table: one entry per IR operation, holding the math — its shape
// rule, its value on constants (for folding), whether it acts element-wise or
// masks, and its derivative rules. How each operation prints as TypeScript is
// the back end's table, print-ops.ts. The table's type makes
// TypeScript flag an operation without a rule.
//
// Derivative rules are written in IR (through a Builder), never as TypeScript
// text, so the backward pass is ordinary IR that can be optimized and
// differentiated again. A VJP rule returns one adjoint contribution per operand
// (undefined: none). Most entries give one rule from which both the VJP and the
// JVP come: element-wise functions their partial derivatives (`unary`,
// `binary`), linear operations their transpose (`linear`), products the
// transposes of their partial maps (`bilinear`), reductions and functions of a
// matrix their partial (`withPartial`), selections their mask (`selection`).
// Products of a local derivative with an adjoint
// or tangent are guarded (`scale`), so a zero that stands for "no dependence"
// stays exactly zero even where the local derivative is infinite or NaN.

import type { Builder } from "./builder.js";
import {
  displayName,
  type AlongAxis,
  type AlongAxisOp,
  type AttrsOf,
  type CallAttrs,
  type CallOp,
  type Instr,
  type Position,
  type Value,
} from "./ir.js";
import { sech2, sigmoid, softplus } from "gradc-runtime";
import * as m from "./notation.js";
import type { Formula, FormulaOperator } from "./notation.js";
import { broadcastShapes, type Dim, type Shape } from "./shapes.js";

export type VjpRule<K extends Op = Op> = (
  b: Builder,
  instr: Instr<K>,
  adjoint: Value,
  /** Which operands need their adjoint (depend on a parameter differentiated for). */
  active: readonly boolean[],
) => readonly (Value | undefined)[];

/** The tangent of the result from the operands' tangents (undefined: zero), or undefined if zero. */
export type JvpRule<K extends Op = Op> = (
  b: Builder,
  instr: Instr<K>,
  tangents: readonly (Value | undefined)[],
) => Value | undefined;

/** The entry of operation `K`; a rule written for any instruction serves every operation. */
export interface PrimitiveDef<K extends Op = Op> {
  /** Short name used for temporaries that hold this operation's result. */
  readonly label: string;
  readonly arity: number | "variadic";
  /** The result's shape; throws (an internal error) if the operands do not fit the operation. */
  readonly shape: (args: readonly Shape[], attrs: AttrsOf<K>) => Shape;
  /** The ranks each operand may have (0 scalar, 1 vector, 2 matrix); any when absent. */
  readonly operandRanks?: readonly (readonly number[])[];
  /**
   * Acts element by element on operands that broadcast (so the emitter may print it as a
   * formula in a loop, and chains of such operations fuse into one loop).
   */
  readonly elementwise?: true;
  /**
   * Its result holds exact zeros that stand for "no dependence" — a branch `where` did not
   * take, the other entries of a one-hot vector, a comparison mask — so derivative products
   * downstream keep their zero guards.
   */
  readonly masks?: true;
  /** Linear in its operands (a sum, a transpose, an index, ...): all-zero operands give zeros. */
  readonly linear?: true;
  /** Operands it tests for zero as well as uses (a guarded product reads its guard twice). */
  readonly guarded?: readonly number[];
  /** Value on scalar constants, for constant folding (element-wise operations only). */
  readonly evaluate?: (...args: number[]) => number;
  /**
   * The VJP rule; "none" for operations whose derivative is zero almost
   * everywhere (comparisons, masks) or that have no operands.
   */
  readonly vjp: VjpRule<K> | "none";
  /** The JVP rule (forward mode); "none" where the VJP rule is "none". */
  readonly jvp: JvpRule<K> | "none";
  /** How the operation and its local derivatives are written in matrix notation. */
  readonly notation: Notation<K>;
  /**
   * The blocks it owns (a loop's body), as the shapes of each block's parameters and results
   * for the operands' shapes; operations without this entry own no blocks.
   */
  readonly blocks?: (args: readonly Shape[]) => readonly BlockSignature[];
}

/** The shapes of a block's parameters and results. */
export interface BlockSignature {
  readonly params: readonly Shape[];
  readonly results: readonly Shape[];
}

/** An operation and its local derivatives in the paper's matrix notation (notation.ts). */
export interface Notation<K extends Op = Op> {
  /** The operation applied to its operands' formulas: `w ⊙ x`, `Aᵀ B`, `tanh(x)`. */
  readonly value: (args: readonly Formula[], attrs: AttrsOf<K>) => Formula;
  /**
   * The local derivative ∂y/∂xₖ for each operand, in numerator layout: element-wise operations
   * as diagonal Jacobians (`diag(1 − tanh²(x))`), a reduction as a row vector (`1⃗ᵀ`), a scalar
   * function of a matrix as its gradient (`X⁻ᵀ`). Absent, or undefined for an operand, where the
   * derivative is zero or is written through the chain rule instead (products of matrices).
   */
  readonly derivatives?: (
    args: readonly Formula[],
    result: Formula,
    attrs: AttrsOf<K>,
  ) => readonly (Formula | undefined)[];
  /**
   * The chain rule's link for each operand, x̄ₖ = (∂y/∂xₖ)ᵀ ȳ, given y's adjoint ȳ and the
   * operands' shapes, where the Jacobian alone does not say it: products of matrices, reshaping,
   * values along an axis. Absent: derived from `derivatives` (explain.ts, `adjointShare`):
   * diag(d) gives d ⊙ ȳ, a row rᵀ of a reduction gives ȳ r.
   */
  readonly adjoints?: (
    args: readonly Formula[],
    adjoint: Formula,
    result: Formula,
    attrs: AttrsOf<K>,
    shapes: readonly Shape[],
  ) => readonly (Formula | undefined)[];
}

/** An entry before its JVP rule is attached (the helpers below build these). */
type PrimitiveBase<K extends Op = Op> = Omit<PrimitiveDef<K>, "jvp">;

// ---------------------------------------------------------------------------
// Helpers that build table entries

/** Fails loudly: a pass met an operation it does not take yet. */
export function notYet(what: string, op: Op): never {
  throw new Error(`internal: ${what} does not take '${op}' yet`);
}

/** Fails loudly: a pass built an operation its operands do not fit. */
function misfit(what: string, args: readonly Shape[]): never {
  throw new Error(
    `internal: ${what} cannot take operands of shapes ${args.map((a) => `[${a.join(", ")}]`).join(", ")}`,
  );
}

const broadcastAll = (args: readonly Shape[]): Shape =>
  args.reduce<Shape>((acc, s) => broadcastShapes(acc, s) ?? misfit("an element-wise operation", args), []);

/** A shape rule for operations on square matrices (all operands shaped alike). */
function ofSquare(rule: (args: readonly Shape[]) => Shape) {
  return (args: readonly Shape[]): Shape => {
    const fits = args.every((a) => a.length === 2 && a[0] === a[1] && a[0] === args[0]![0]);
    return fits ? rule(args) : misfit("a square-matrix operation", args);
  };
}

/** The shape rule of a product, checking that the inner dimensions agree. */
function productShape(
  what: string,
  inner: (args: readonly Shape[]) => [Dim, Dim],
  result: (args: readonly Shape[]) => Shape,
) {
  return (args: readonly Shape[]): Shape => {
    const [a, b] = inner(args);
    return a === b ? result(args) : misfit(what, args);
  };
}

const sameAsFirst = (args: readonly Shape[]): Shape => args[0] ?? [];
const scalarResult = (): Shape => [];

function elementwise(
  label: string,
  arity: number,
  evaluate: (...args: number[]) => number,
  vjp: PrimitiveDef["vjp"],
  notation: Notation,
): PrimitiveBase {
  return { ...elementwiseEntry(label, arity, evaluate, notation), vjp };
}

function elementwiseEntry(
  label: string,
  arity: number,
  evaluate: (...args: number[]) => number,
  notation: Notation,
): Entry {
  return { label, arity, shape: broadcastAll, elementwise: true, evaluate, notation };
}

/** The notation of an element-wise operation: its formula, and a diagonal Jacobian per operand. */
function elementwiseNotation(
  value: (args: readonly Formula[]) => Formula,
  partials: (args: readonly Formula[], result: Formula) => readonly (Formula | undefined)[],
): Notation {
  return { value, derivatives: (args, result) => partials(args, result).map((d) => d && m.diag(d)) };
}

/** `a op b` with a diagonal Jacobian per operand. */
const infix = (
  operator: FormulaOperator,
  partials: (a: Formula, b: Formula, result: Formula) => [Formula | undefined, Formula | undefined],
): Notation =>
  elementwiseNotation(
    ([a, b]) => m.op(a!, operator, b!),
    ([a, b], result) => partials(a!, b!, result),
  );

/** w ⊙ x: ∂/∂w = diag(x), ∂/∂x = diag(w). */
const productNotation = infix("⊙", (w, x) => [x, w]);
/** w ⊘ x: ∂/∂w = diag(1 ⊘ x), ∂/∂x = diag(−w ⊘ x²). */
const quotientNotation = infix("⊘", (w, x) => [
  m.op(m.num(1), "⊘", x),
  m.op(m.neg(w), "⊘", m.power(x, m.num(2))),
]);

/** max(a, b) or min(a, b): the derivative goes to the operand chosen (the first at a tie). */
function selectionNotation(name: string, firstWins: "≥" | "≤"): Notation {
  return elementwiseNotation(
    ([a, b]) => m.fn(name, a!, b!),
    ([a, b]) => [
      m.indicator(m.op(a!, firstWins, b!)),
      m.indicator(m.op(a!, firstWins === "≥" ? "<" : ">", b!)),
    ],
  );
}

/**
 * A unary element-wise function `y = f(x)`. Its Jacobian is diagonal, so one
 * rule, mapping (x, y, v) to f'(x) ⊙ v, is both the VJP and the JVP.
 */
function unary(
  label: string,
  evaluate: (x: number) => number,
  rule: ((b: Builder, x: Value, y: Value, v: Value) => Value) | "none",
  /** f'(x) in notation (from x and y = f(x)); the Jacobian is diag(f'(x)). */
  derivative: ((x: Formula, y: Formula) => Formula) | "none",
  name = label,
): PrimitiveDef {
  const base = elementwise(
    label,
    1,
    evaluate,
    rule === "none" ? "none" : (b, instr, adjoint) => [rule(b, instr.args[0]!, instr.result, adjoint)],
    derivative === "none"
      ? { value: ([x]) => m.fn(name, x!) }
      : elementwiseNotation(
          ([x]) => m.fn(name, x!),
          ([x], y) => [derivative(x!, y)],
        ),
  );
  return {
    ...base,
    jvp: rule === "none" ? "none" : (b, instr, [t]) => t && rule(b, instr.args[0]!, instr.result, t),
  };
}

/**
 * An element-wise function of two arguments z = f(a, b), from its partial derivatives: the one
 * rule (∂z/∂a, ∂z/∂b) gives both the VJP, g ↦ (∂z/∂a ⊙ g, ∂z/∂b ⊙ g) summed back over
 * broadcasting, and the JVP, (ȧ, ḃ) ↦ ∂z/∂a ⊙ ȧ + ∂z/∂b ⊙ ḃ.
 */
function binary(
  label: string,
  evaluate: (a: number, b: number) => number,
  partials: (b: Builder, instr: Instr) => [Value, Value],
  notation: Notation,
): PrimitiveDef {
  return {
    ...elementwise(
      label,
      2,
      evaluate,
      (b, instr, g) => {
        const [x, y] = instr.args as [Value, Value];
        const [dx, dy] = partials(b, instr);
        return [b.fitTo(b.scale(dx, g), x.shape), b.fitTo(b.scale(dy, g), y.shape)];
      },
      notation,
    ),
    jvp: (b, instr, [tx, ty]) => {
      const [dx, dy] = partials(b, instr);
      return b.sumTangents([tx && b.scale(dx, tx), ty && b.scale(dy, ty)], instr.result.shape);
    },
  };
}

/** What an entry holds besides its derivative rules. */
type Entry<K extends Op = Op> = Omit<PrimitiveDef<K>, "vjp" | "jvp">;

/**
 * A linear operation y = L(x₁, …, xₙ). The one rule given is the transpose Lᵀ, the adjoint's
 * contribution to each operand (as JAX's transpose rules); the JVP is L itself applied to the
 * tangents (zeros for operands without one).
 */
function linear<K extends Op>(
  entry: Entry<K>,
  transpose: (b: Builder, instr: Instr<K>, adjoint: Value) => readonly (Value | undefined)[],
): PrimitiveDef<K> {
  return {
    ...entry,
    linear: true,
    vjp: transpose,
    jvp: (b, instr, tangents) =>
      tangents.every((t) => t === undefined)
        ? undefined
        : b.like(
            instr,
            instr.args.map((a, k) => tangents[k] ?? b.zeros(a.shape)),
          ),
  };
}

/** The products: matrix–matrix, matrix–vector, vector–matrix, outer. */
type BilinearOp = "matmul" | "matvec" | "vecmat" | "outer";

/**
 * A bilinear operation f(x, y). The one rule given is the transposes of its two partial maps,
 * the adjoint's contributions to x and y; the JVP is f(ẋ, y) + f(x, ẏ). Products in derivative
 * code are zero-safe.
 */
function bilinear<K extends BilinearOp>(
  entry: Entry<K>,
  transposes: (b: Builder, instr: Instr<K>, adjoint: Value) => [Value, Value],
): PrimitiveDef<K> {
  return {
    ...entry,
    vjp: transposes,
    jvp: (b, instr, [ta, tb]) =>
      b.sumTangents(
        [
          ta && b.like(instr, [ta, instr.args[1]!], derivative),
          tb && b.like(instr, [instr.args[0]!, tb], derivative),
        ],
        instr.result.shape,
      ),
  };
}

/**
 * A function of a whole value to a scalar (or of each column or row to a vector) whose
 * derivative is a partial P shaped like its operand. The one rule given is P; the VJP is
 * P ⊙ g, g spread back over the reduced elements, and the JVP is Σ P ⊙ ẋ (a zero partial — a
 * mask, a branch — meets a NaN tangent as 0).
 */
function withPartial<K extends Op>(
  entry: Entry<K>,
  partial: (b: Builder, instr: Instr<K>) => Value,
): PrimitiveDef<K> {
  return {
    ...entry,
    vjp: (b, instr, g) => [b.scale(partial(b, instr), spread(b, instr.args[0]!, alongOf(instr), g))],
    jvp: (b, instr, [t]) => t && b.apply("sum", [b.scale(partial(b, instr), t)], alongOf(instr)),
  };
}

/**
 * A selection: each element of the result is operand `i`'s where the 0/1 mask `chooseFirst`
 * is 1, operand `j`'s elsewhere. The derivative goes to the chosen operand and exactly 0 to
 * the other, in both modes.
 */
function selection<K extends Op>(
  entry: Entry<K>,
  [i, j]: [number, number],
  chooseFirst: (b: Builder, instr: Instr<K>) => Value,
): PrimitiveDef<K> {
  return {
    ...entry,
    vjp: (b, instr, g) => {
      const mask = chooseFirst(b, instr);
      const contributions: (Value | undefined)[] = instr.args.map(() => undefined);
      contributions[i] = b.fitTo(b.where(mask, g, b.zero()), instr.args[i]!.shape);
      contributions[j] = b.fitTo(b.where(mask, b.zero(), g), instr.args[j]!.shape);
      return contributions;
    },
    jvp: (b, instr, tangents) => {
      const [ta, tb] = [tangents[i], tangents[j]];
      if (ta === undefined && tb === undefined) return undefined;
      const chosen = b.where(chooseFirst(b, instr), ta ?? b.zero(), tb ?? b.zero());
      return b.fitTo(chosen, instr.result.shape);
    },
  };
}

/** The partial derivatives of a product x ⊙ y: (y, x). */
const productPartials = (_b: Builder, instr: Instr) => [instr.args[1]!, instr.args[0]!] as [Value, Value];

/** An operation over whole values (printed as a runtime kernel call). */
function kernelEntry(
  label: string,
  arity: number,
  shape: PrimitiveDef["shape"],
  notation: Notation,
  operandRanks?: readonly (readonly number[])[],
): Entry {
  return { label, arity, shape, notation, ...(operandRanks === undefined ? {} : { operandRanks }) };
}

/** A kernel with its VJP rule. */
function kernel(
  label: string,
  arity: number,
  shape: PrimitiveDef["shape"],
  vjp: PrimitiveDef["vjp"],
  notation: Notation,
  operandRanks?: readonly (readonly number[])[],
): PrimitiveBase {
  return { ...kernelEntry(label, arity, shape, notation, operandRanks), vjp };
}

/** Attributes for a product in derivative code (see `Attrs.zeroSafe`). */
const derivative = { zeroSafe: true } as const;

/** A comparison: a 0/1 mask (no derivative; its zeros mean "not selected"). */
function comparison(
  label: string,
  evaluate: (a: number, b: number) => boolean,
  operator: FormulaOperator,
): PrimitiveDef {
  return {
    ...elementwiseEntry(label, 2, (a, b) => (evaluate(a, b) ? 1 : 0), {
      value: ([a, b]) => m.indicator(m.op(a!, operator, b!)),
    }),
    masks: true,
    vjp: "none",
    jvp: "none",
  };
}

// ---------------------------------------------------------------------------
// The table

/** Every IR operation. */
export type Op =
  | "const"
  | "dim"
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "neg"
  | "pow"
  | "atan2"
  | "hypot"
  | "mulNoNan"
  | "mulNoNanBoth"
  | "divNoNan"
  | "exp"
  | "log"
  | "sqrt"
  | "sin"
  | "cos"
  | "tan"
  | "asin"
  | "acos"
  | "atan"
  | "sinh"
  | "cosh"
  | "tanh"
  | "sech2"
  | "sigmoid"
  | "softplus"
  | "relu"
  | "abs"
  | "sign"
  | "log1p"
  | "expm1"
  | "max"
  | "min"
  | "where"
  | "lt"
  | "le"
  | "gt"
  | "ge"
  | "eq"
  | "ne"
  | "broadcast"
  | "pack"
  | "index"
  | "oneHot"
  | "matmul"
  | "matvec"
  | "vecmat"
  | "outer"
  | "transpose"
  | "eye"
  | "diag"
  | "diagonal"
  | "inv"
  | "det"
  | "logdet"
  | "cofactor"
  | "cofactorTangent"
  | "dot"
  | "loop"
  | CallOp
  // Reductions, and operations per column or row (compiler/ir.ts).
  | AlongAxisOp;

export const primitives: { readonly [K in Op]: PrimitiveDef<K> } = {
  // Leaves --------------------------------------------------------------------
  const: {
    label: "c",
    arity: 0,
    shape: scalarResult,
    vjp: "none",
    jvp: "none",
    notation: { value: (_args, attrs) => m.num(attrs.value) },
  },
  /** The value of a symbolic dimension, as a real number. */
  dim: {
    label: "dim",
    arity: 0,
    shape: scalarResult,
    vjp: "none",
    jvp: "none",
    notation: { value: (_args, attrs) => m.symbol(attrs.dim) },
  },

  // Arithmetic ----------------------------------------------------------------
  add: {
    ...elementwise(
      "add",
      2,
      (a, b) => a + b,
      (b, instr, g) => [b.fitTo(g, instr.args[0]!.shape), b.fitTo(g, instr.args[1]!.shape)],
      { value: ([a, b]) => m.op(a!, "+", b!), derivatives: () => [m.identity, m.identity] },
    ),
    jvp: (b, instr, [ta, tb]) => b.sumTangents([ta, tb], instr.result.shape),
  },
  sub: {
    ...elementwise(
      "sub",
      2,
      (a, b) => a - b,
      (b, instr, g) => [b.fitTo(g, instr.args[0]!.shape), b.fitTo(b.neg(g), instr.args[1]!.shape)],
      { value: ([a, b]) => m.op(a!, "−", b!), derivatives: () => [m.identity, m.neg(m.identity)] },
    ),
    jvp: (b, instr, [ta, tb]) => b.sumTangents([ta, tb && b.neg(tb)], instr.result.shape),
  },
  mul: binary("mul", (a, b) => a * b, productPartials, productNotation),
  div: {
    ...elementwise(
      "div",
      2,
      (a, b) => a / b,
      (b, instr, g) => {
        const [x, y] = instr.args as [Value, Value];
        // d(x/y)/dy = -(x/y)/y, reusing the quotient.
        return [
          b.fitTo(b.scaleDiv(g, y), x.shape),
          b.fitTo(b.scale(b.neg(b.div(instr.result, y)), g), y.shape),
        ];
      },
      quotientNotation,
    ),
    jvp: (b, instr, [ta, tb]) => {
      const y = instr.args[1]!;
      return b.sumTangents(
        [ta && b.scaleDiv(ta, y), tb && b.neg(b.scale(b.div(instr.result, y), tb))],
        instr.result.shape,
      );
    },
  },
  neg: linear(
    elementwiseEntry("neg", 1, (a) => -a, {
      value: ([x]) => m.neg(x!),
      derivatives: () => [m.neg(m.identity)],
    }),
    (b, _instr, g) => [b.neg(g)],
  ),
  pow: binary(
    "pow",
    (a, b) => a ** b,
    powPartials,
    elementwiseNotation(
      ([x, p]) => m.power(x!, p!),
      ([x, p], y) => [m.op(p!, "⊙", m.power(x!, m.op(p!, "−", m.num(1)))), m.op(y, "⊙", m.fn("ln", x!))],
    ),
  ),
  /** atan2(y, x), the angle of (x, y): ∂/∂y = x / (x² + y²), ∂/∂x = −y / (x² + y²). */
  atan2: binary(
    "atan2",
    Math.atan2,
    (b, instr) => {
      const [y, x] = instr.args as [Value, Value];
      const r2 = b.add(b.mul(x, x), b.mul(y, y));
      return [b.div(x, r2), b.neg(b.div(y, r2))];
    },
    elementwiseNotation(
      ([y, x]) => m.fn("atan2", y!, x!),
      ([y, x]) => {
        const r2 = m.op(m.power(x!, m.num(2)), "+", m.power(y!, m.num(2)));
        return [m.op(x!, "⊘", r2), m.neg(m.op(y!, "⊘", r2))];
      },
    ),
  ),
  /** hypot(x, y) = √(x² + y²) without overflow: ∂/∂x = x / h, ∂/∂y = y / h, and 0 at the origin. */
  hypot: binary(
    "hypot",
    Math.hypot,
    (b, instr) => {
      const [x, y] = instr.args as [Value, Value];
      const h = instr.result;
      // x / h is 0 where x is 0, which includes the origin (h ≥ |x|).
      const share = (v: Value) => b.apply("divNoNan", [v, h], { keepGuard: true });
      return [share(x), share(y)];
    },
    elementwiseNotation(
      ([x, y]) => m.fn("hypot", x!, y!),
      ([x, y], h) => [m.op(x!, "⊘", h), m.op(y!, "⊘", h)],
    ),
  ),
  /** `derivative * adjoint`, or 0 where the adjoint is 0 (TensorFlow's mul_no_nan). */
  mulNoNan: {
    guarded: [1],
    ...elementwise(
      "scaled",
      2,
      (d, g) => (g === 0 ? 0 : d * g),
      (b, instr, adj) => {
        const [d, g] = instr.args as [Value, Value];
        return [b.fitTo(b.scale(g, adj), d.shape), b.fitTo(b.scale(d, adj), g.shape)];
      },
      productNotation,
    ),
    jvp: (b, instr, [td, tg]) => {
      const [d, g] = instr.args as [Value, Value];
      return b.sumTangents([td && b.scale(td, g), tg && b.scale(d, tg)], instr.result.shape);
    },
  },
  /**
   * `a * b`, or 0 where either is 0: a local derivative times an adjoint or a tangent, each of
   * which may be zero for want of dependence (a branch not taken, a zero direction or seed).
   */
  mulNoNanBoth: {
    ...binary("scaled", (a, c) => (a === 0 || c === 0 ? 0 : a * c), productPartials, productNotation),
    guarded: [0, 1],
  },
  /** `adjoint / divisor`, or 0 where the adjoint is 0. */
  divNoNan: {
    guarded: [0],
    ...elementwise(
      "scaled",
      2,
      (g, y) => (g === 0 ? 0 : g / y),
      (b, instr, adj) => {
        const [g, y] = instr.args as [Value, Value];
        return [
          b.fitTo(b.scaleDiv(adj, y), g.shape),
          b.fitTo(b.scale(b.neg(b.div(instr.result, y)), adj), y.shape),
        ];
      },
      quotientNotation,
    ),
    jvp: (b, instr, [tg, ty]) => {
      const y = instr.args[1]!;
      // −(g/y)·ty/y: zero where the tangent or the adjoint is, and (g/y)/y is never formed
      // (it overflows where g/y is large).
      return b.sumTangents(
        [tg && b.scaleDiv(tg, y), ty && b.neg(b.scaleDiv(b.scale(instr.result, ty), y))],
        instr.result.shape,
      );
    },
  },

  // Element-wise functions ----------------------------------------------------
  exp: unary(
    "exp",
    Math.exp,
    (b, _x, y, g) => b.scale(y, g),
    (x) => m.fn("exp", x),
  ),
  log: unary(
    "log",
    Math.log,
    (b, x, _y, g) => b.scaleDiv(g, x),
    (x) => m.op(m.num(1), "⊘", x),
    "ln",
  ),
  sqrt: unary(
    "sqrt",
    Math.sqrt,
    (b, _x, y, g) => b.scaleDiv(g, b.mul(b.constant(2), y)),
    (x) => m.op(m.num(1), "⊘", m.op(m.num(2), " ", m.sqrt(x))),
  ),
  sin: unary(
    "sin",
    Math.sin,
    (b, x, _y, g) => b.scale(b.apply("cos", [x]), g),
    (x) => m.fn("cos", x),
  ),
  cos: unary(
    "cos",
    Math.cos,
    (b, x, _y, g) => b.scale(b.neg(b.apply("sin", [x])), g),
    (x) => m.neg(m.fn("sin", x)),
  ),
  tan: unary(
    "tan",
    Math.tan,
    (b, _x, y, g) => b.scale(b.add(b.one(), b.mul(y, y)), g),
    (x) => m.op(m.num(1), "+", m.power(m.fn("tan", x), m.num(2))),
  ),
  asin: unary(
    "asin",
    Math.asin,
    (b, x, _y, g) => b.scaleDiv(g, b.apply("sqrt", [b.sub(b.one(), b.mul(x, x))])),
    (x) => m.op(m.num(1), "⊘", m.sqrt(m.op(m.num(1), "−", m.power(x, m.num(2))))),
  ),
  acos: unary(
    "acos",
    Math.acos,
    (b, x, _y, g) => b.scaleDiv(b.neg(g), b.apply("sqrt", [b.sub(b.one(), b.mul(x, x))])),
    (x) => m.neg(m.op(m.num(1), "⊘", m.sqrt(m.op(m.num(1), "−", m.power(x, m.num(2)))))),
  ),
  atan: unary(
    "atan",
    Math.atan,
    (b, x, _y, g) => b.scaleDiv(g, b.add(b.one(), b.mul(x, x))),
    (x) => m.op(m.num(1), "⊘", m.op(m.num(1), "+", m.power(x, m.num(2)))),
  ),
  sinh: unary(
    "sinh",
    Math.sinh,
    (b, x, _y, g) => b.scale(b.apply("cosh", [x]), g),
    (x) => m.fn("cosh", x),
  ),
  cosh: unary(
    "cosh",
    Math.cosh,
    (b, x, _y, g) => b.scale(b.apply("sinh", [x]), g),
    (x) => m.fn("sinh", x),
  ),
  tanh: unary(
    "tanh",
    Math.tanh,
    // sech² x rather than 1 − tanh² x, which is 0 once tanh x rounds to ±1 (|x| ≳ 19).
    (b, x, _y, g) => b.scale(b.apply("sech2", [x]), g),
    // From the result y = tanh(x): 1 − y², as the paper and hand-written backward passes write it.
    (_x, y) => m.op(m.num(1), "−", m.power(y, m.num(2))),
  ),
  /** tanh's derivative, computed without overflow; its own derivative is −2 sech²(x) tanh(x). */
  sech2: unary(
    "sech2",
    sech2,
    (b, x, y, g) => b.scale(b.mul(b.mul(b.constant(-2), y), b.apply("tanh", [x])), g),
    (x) => m.op(m.op(m.num(-2), " ", m.fn("sech²", x)), "⊙", m.fn("tanh", x)),
    "sech²",
  ),
  sigmoid: unary(
    "sigmoid",
    sigmoid,
    // σ(x) σ(−x) rather than σ(x)(1 − σ(x)), which is 0 once σ(x) rounds to 1 (x ≳ 37).
    (b, x, y, g) => b.scale(b.mul(y, b.apply("sigmoid", [b.neg(x)])), g),
    (_x, y) => m.op(y, "⊙", m.op(m.num(1), "−", y)),
    "σ",
  ),
  softplus: unary(
    "softplus",
    softplus,
    (b, x, _y, g) => b.scale(b.apply("sigmoid", [x]), g),
    (x) => m.fn("σ", x),
  ),
  // Derivative 0 at 0, as for max(0, z) in the paper.
  relu: unary(
    "relu",
    (x) => Math.max(x, 0),
    // relu(x) > 0 exactly where x > 0 (NaN: neither), so the mask reads the result, which the
    // backward pass has anyway, and x need not be kept for it.
    (b, _x, y, g) => b.where(b.apply("gt", [y, b.zero()]), g, b.zero()),
    (x) => m.indicator(m.op(x, ">", m.num(0))),
  ),
  abs: unary(
    "abs",
    Math.abs,
    (b, x, _y, g) => b.scale(b.apply("sign", [x]), g),
    (x) => m.fn("sign", x),
  ),
  // 0 at 0: a mask of sorts (abs's derivative, which must keep 0 · ∞ at 0 from being NaN).
  sign: { ...unary("sign", Math.sign, "none", "none"), masks: true },
  log1p: unary(
    "log1p",
    Math.log1p,
    (b, x, _y, g) => b.scaleDiv(g, b.add(b.one(), x)),
    (x) => m.op(m.num(1), "⊘", m.op(m.num(1), "+", x)),
  ),
  expm1: unary(
    "expm1",
    Math.expm1,
    (b, _x, y, g) => b.scale(b.add(y, b.one()), g),
    (x) => m.fn("exp", x),
  ),

  // Selection -----------------------------------------------------------------
  /** Element-wise max; at a tie the first operand gets the derivative. */
  max: selection(elementwiseEntry("max", 2, Math.max, selectionNotation("max", "≥")), [0, 1], (b, instr) =>
    b.apply("ge", instr.args),
  ),
  /** Element-wise min; at a tie the first operand gets the derivative. */
  min: selection(elementwiseEntry("min", 2, Math.min, selectionNotation("min", "≤")), [0, 1], (b, instr) =>
    b.apply("le", instr.args),
  ),
  /** `where(cond, a, b)`: cond is a 0/1 mask; the untaken branch gets an adjoint of exactly 0. */
  where: selection(
    {
      ...elementwiseEntry(
        "where",
        3,
        (c, a, b) => (c !== 0 ? a : b),
        elementwiseNotation(
          ([c, a, b]) => m.fn("where", c!, a!, b!),
          ([c]) => [undefined, c!, m.op(m.num(1), "−", c!)],
        ),
      ),
      masks: true,
    },
    [1, 2],
    (_b, instr) => instr.args[0]!,
  ),
  lt: comparison("lt", (a, b) => a < b, "<"),
  le: comparison("le", (a, b) => a <= b, "≤"),
  gt: comparison("gt", (a, b) => a > b, ">"),
  ge: comparison("ge", (a, b) => a >= b, "≥"),
  eq: comparison("eq", (a, b) => a === b, "="),
  ne: comparison("ne", (a, b) => a !== b, "≠"),

  // Structure -----------------------------------------------------------------
  /**
   * A scalar repeated to `attrs.shape`, or a vector repeated as the rows of a
   * matrix (`attrs.axis` 0, as NumPy broadcasts) or as its columns (axis 1).
   */
  broadcast: linear(
    {
      label: "filled",
      arity: 1,
      shape: (_args, attrs) => attrs.shape,
      // Scalar expansion is implicit, as in the paper (x + z); a vector becomes rows or columns.
      notation: {
        value: ([x], attrs) =>
          attrs.axis === 1
            ? m.op(x!, " ", m.transposed(m.ones))
            : attrs.axis === 0
              ? m.op(m.ones, " ", m.transposed(x!))
              : x!,
        derivatives: (_args, _result, attrs) => [attrs.axis === undefined ? m.ones : undefined],
        adjoints: (_args, g, _result, attrs) => [
          attrs.axis === 1
            ? m.op(g, " ", m.onesOf([attrs.shape[1]!]))
            : attrs.axis === 0
              ? m.op(m.transposed(g), " ", m.onesOf([attrs.shape[0]!]))
              : m.sumAll(g, attrs.shape),
        ],
      },
    },
    (b, instr, g) => {
      const x = instr.args[0]!;
      if (x.shape.length === 1 && instr.attrs.axis === 1) return [b.apply("sum", [g], { axis: 1 })];
      return [b.fitTo(g, x.shape)];
    },
  ),
  /** A vector literal `[a, b, c]` of scalars, or a matrix literal (`attrs.shape`, row-major). */
  pack: linear(
    {
      label: "vector",
      arity: "variadic",
      shape: (args, attrs) => attrs.shape ?? [args.length],
      notation: {
        // A matrix literal as its rows.
        value: (args, attrs) => {
          const cols = attrs.shape?.[1];
          if (typeof cols !== "number") return m.list(args);
          return m.list(Array.from({ length: args.length / cols }, (_, i) => m.list(args.slice(i * cols, (i + 1) * cols))));
        },
        derivatives: (args, _result, attrs) => {
          const cols = attrs.shape?.[1];
          return args.map((_, k) =>
            m.unit(typeof cols === "number" ? [Math.floor(k / cols), k % cols] : [k]),
          );
        },
        adjoints: (args, g, _result, attrs) => {
          const cols = attrs.shape?.[1];
          return args.map((_, k) =>
            m.element(g, typeof cols === "number" ? [Math.floor(k / cols), k % cols] : [k]),
          );
        },
      },
    },
    (b, instr, g) => {
      const cols = instr.result.shape[1];
      return instr.args.map((_, k) =>
        typeof cols === "number"
          ? b.apply("index", [g], { index: Math.floor(k / cols), column: k % cols })
          : b.apply("index", [g], { index: k }),
      );
    },
  ),
  /** `x[i]` of a vector, or `A[i, j]` of a matrix (`attrs.column` is j). */
  index: linear(
    {
      label: "elem",
      arity: 1,
      shape: scalarResult,
      notation: {
        value: ([x], attrs) => m.element(x!, positionList(attrs)),
        derivatives: (_args, _result, attrs) => [m.transposed(m.unit(positionList(attrs)))],
        adjoints: (_args, g, _result, attrs, [shape]) => [m.op(g, " ", m.unitOf(positionList(attrs), shape!))],
      },
    },
    (b, instr, g) => [b.apply("oneHot", [g], { ...positionOf(instr.attrs), shape: instr.args[0]!.shape })],
  ),
  /** Zeros of `attrs.shape` with the scalar operand at one position: the adjoint of `index`. */
  oneHot: linear(
    {
      label: "oneHot",
      masks: true,
      arity: 1,
      shape: (_args, attrs) => attrs.shape,
      notation: {
        value: ([x], attrs) => m.op(x!, " ", m.unit(positionList(attrs))),
        derivatives: (_args, _result, attrs) => [m.unit(positionList(attrs))],
      },
    },
    (b, instr, g) => [b.apply("index", [g], positionOf(instr.attrs))],
  ),

  // Reductions: of all elements, or along `attrs.axis` of a matrix ------------
  sum: linear(
    reduction(
      "sum",
      reductionNotation("sum", () => m.ones),
    ),
    (b, instr, g) => [
      instr.attrs.axis === undefined
        ? b.fitTo(g, instr.args[0]!.shape)
        : spread(b, instr.args[0]!, instr.attrs, g),
    ],
  ),
  // Products of the other elements, so zeros are handled without dividing.
  prod: withPartial(
    reduction(
      "prod",
      reductionNotation("prod", (x, _y, axis) => m.fn("prodExcept", x, ...axis)),
    ),
    (b, instr) => b.apply("prodExcept", instr.args, alongOf(instr)),
  ),
  /** Each element replaced by the product of the others (in its column or row, with an axis). */
  prodExcept: {
    label: "prodOthers",
    arity: 1,
    shape: sameAsFirst,
    notation: { value: ([x]) => m.fn("prodExcept", x!) },
    vjp: () => {
      throw new Error("internal: primitive 'prodExcept' has no VJP rule yet (second derivatives of prod)");
    },
    jvp: (b, instr, [t]) => t && b.apply("prodExceptTangent", [instr.args[0]!, t], alongOf(instr)),
  },
  /** The tangent of prodExcept(x) along t: Σ_{j≠i} t_j Π_{k∉{i,j}} x_k (products of dual numbers). */
  prodExceptTangent: {
    label: "prodOthersDot",
    arity: 2,
    shape: sameAsFirst,
    notation: { value: ([x, t]) => m.fn("prodExceptTangent", x!, t!) },
    vjp: () => {
      throw new Error("internal: primitive 'prodExceptTangent' has no VJP rule (third derivatives of prod)");
    },
    jvp: () => {
      throw new Error("internal: primitive 'prodExceptTangent' has no JVP rule (third derivatives of prod)");
    },
  },
  /** The Euclidean norm, without overflow; its gradient at zero is 0. */
  norm2: withPartial(
    reduction("norm", {
      value: ([x], attrs) =>
        attrs.axis === undefined ? m.norm(x!) : m.fn("norm2", x!, m.symbol(`axis=${attrs.axis}`)),
      derivatives: ([x], y, attrs) => [attrs.axis === undefined ? m.op(m.transposed(x!), "⊘", y) : undefined],
      adjoints: ([x], g, y, { axis }, [shape]) => [
        axis === undefined
          ? m.op(g, " ", m.op(x!, "⊘", y))
          : m.op(m.op(x!, "⊘", m.spreadAlong(y, axis, shape!)), "⊙", m.spreadAlong(g, axis, shape!)),
      ],
    }),
    normDirection,
  ),
  /** The largest element; the derivative goes to the first largest. */
  maxReduce: withPartial(
    reduction(
      "max",
      reductionNotation("max", (x, y) => m.indicator(m.op(x, "=", y))),
    ),
    (b, instr) => b.apply("argmaxMask", instr.args, alongOf(instr)),
  ),
  /** The smallest element; the derivative goes to the first smallest. */
  minReduce: withPartial(
    reduction(
      "min",
      reductionNotation("min", (x, y) => m.indicator(m.op(x, "=", y))),
    ),
    (b, instr) => b.apply("argminMask", instr.args, alongOf(instr)),
  ),
  /** 1 at the first largest element (of each column or row, with an axis), 0 elsewhere. */
  argmaxMask: {
    label: "isMax",
    masks: true,
    arity: 1,
    shape: sameAsFirst,
    notation: { value: ([x]) => m.indicator(m.op(x!, "=", m.fn("max", x!))) },
    vjp: "none",
    jvp: "none",
  },
  /** 1 at the first smallest element (of each column or row, with an axis), 0 elsewhere. */
  argminMask: {
    label: "isMin",
    masks: true,
    arity: 1,
    shape: sameAsFirst,
    notation: { value: ([x]) => m.indicator(m.op(x!, "=", m.fn("min", x!))) },
    vjp: "none",
    jvp: "none",
  },
  /** log Σ exp, computed stably. */
  logsumexp: withPartial(
    reduction(
      "lse",
      reductionNotation("logsumexp", (x, _y, axis) => m.fn("softmax", x, ...axis)),
    ),
    // softmax(x) = exp(x − logsumexp(x)): element-wise, from the result, so it fuses into the
    // derivative's loop instead of taking every exponential and sum again.
    (b, instr) => {
      const x = instr.args[0]!;
      const hint = b.values.hintOf(x);
      const name = hint.origin === "source" ? `softmax_${displayName(hint)}` : "softmaxed";
      return b.apply("exp", [b.sub(x, spread(b, x, alongOf(instr), instr.result))], undefined, name);
    },
  ),
  /** Softmax of a vector, or of each column (axis 0) or row (axis 1) of a matrix, computed stably. */
  softmax: {
    label: "softmax",
    arity: 1,
    shape: sameAsFirst,
    notation: {
      value: ([x], attrs) =>
        attrs.axis === undefined ? m.fn("softmax", x!) : m.fn("softmax", x!, m.symbol(`axis=${attrs.axis}`)),
      derivatives: (_args, s, attrs) => [
        attrs.axis === undefined ? m.op(m.diag(s), "−", m.op(s, " ", m.transposed(s))) : undefined,
      ],
      // (diag(s) − s sᵀ) ȳ = s ⊙ (ȳ − s · ȳ), per slice along an axis.
      adjoints: (_args, g, s, { axis }, [shape]) => [
        m.op(
          s,
          "⊙",
          m.op(
            g,
            "−",
            axis === undefined
              ? m.op(s, "·", g)
              : m.spreadAlong(m.fn("sum", m.op(s, "⊙", g), m.symbol(`axis=${axis}`)), axis, shape!),
          ),
        ),
      ],
    },
    // J = diag(s) − s sᵀ per slice is symmetric, so one product serves both modes.
    vjp: (b, instr, g) => [softmaxProduct(b, instr, g)],
    jvp: (b, instr, [t]) => t && softmaxProduct(b, instr, t),
  },

  // Control ---------------------------------------------------------------------
  /**
   * for i = start, …, end − 1: carried ← block(i, carried), from `init`; the result is the
   * value carried out of the last iteration (`init` when there is none). The blocks of the IR
   * exist for it: the verifier, the printer and the optimizer recurse into its body. No
   * construct of the language lowers to it yet, so no derivative rule, schedule or printer
   * takes it: each fails loudly, naming it.
   */
  loop: {
    label: "loop",
    arity: 3,
    shape: (args) => args[2]!,
    operandRanks: [[0], [0], [0, 1, 2]],
    blocks: ([, , carried]) => [{ params: [[], carried!], results: [carried!] }],
    vjp: () => notYet("reverse mode", "loop"),
    jvp: () => notYet("forward mode", "loop"),
    notation: { value: ([start, end, init]) => m.fn("loop", start!, end!, init!) },
  },

  // Calls of the module's functions, generated as calls ---------------------------
  // A callee's derivatives are functions of their own (its pullbacks and pushforwards, derived
  // from its IR as any function's), so a call's rules call them: the derivative of a function
  // called at many places is generated once.
  call: {
    label: "call",
    arity: "variadic",
    shape: (_args, attrs) => attrs.shape,
    vjp: (b, instr, adjoint, active) => {
      const { callee, params, shape } = instr.attrs;
      const wrt = params.filter((_, k) => active[k]);
      return params.map((param, k) =>
        active[k]
          ? b.apply(
              "callPullback",
              [...instr.args, adjoint],
              { callee, params, shape, param, wrt },
              `d${param}`,
            )
          : undefined,
      );
    },
    jvp: (b, instr, tangents) => {
      const { callee, params, shape } = instr.attrs;
      return callTangent(b, instr, tangents, "callPushforward", { callee, params, shape });
    },
    notation: { value: (args, attrs) => m.fn(attrs.callee, ...args) },
  },
  callPullback: {
    label: "pullback",
    arity: "variadic",
    shape: shapeOfParam,
    // Zeros of an adjoint stand for "no dependence": derivative products downstream keep their guards.
    masks: true,
    vjp: () => notYet("reverse mode over reverse mode", "callPullback"),
    jvp: (b, instr, tangents) => callTangent(b, instr, tangents, "callPullbackTangent", instr.attrs),
    notation: callDerivativeNotation("pullback"),
  },
  callPushforward: {
    label: "pushforward",
    arity: "variadic",
    shape: (_args, attrs) => attrs.shape,
    masks: true,
    vjp: () => notYet("reverse mode over forward mode", "callPushforward"),
    jvp: () => notYet("forward mode over forward mode", "callPushforward"),
    notation: callDerivativeNotation("pushforward"),
  },
  callPullbackTangent: {
    label: "pullback_dot",
    arity: "variadic",
    shape: shapeOfParam,
    masks: true,
    vjp: () => notYet("reverse mode over forward over reverse mode", "callPullbackTangent"),
    jvp: () => notYet("third derivatives of a call", "callPullbackTangent"),
    notation: callDerivativeNotation("pullback tangent"),
  },

  // Vectors and matrices -------------------------------------------------------
  dot: {
    ...kernel(
      "dot",
      2,
      productShape("dot", ([x, y]) => [x![0]!, y![0]!], scalarResult),
      (b, instr, g) => [b.scale(instr.args[1]!, g), b.scale(instr.args[0]!, g)],
      { value: ([w, x]) => m.op(w!, "·", x!), derivatives: ([w, x]) => [m.transposed(x!), m.transposed(w!)] },
      [[1], [1]],
    ),
    // Σ y ⊙ ẋ + Σ x ⊙ ẏ, element by element so that a zero tangent meets an infinite entry as 0.
    jvp: (b, instr, [ta, tb]) => {
      const [x, y] = instr.args as [Value, Value];
      return b.sumTangents(
        [ta && b.apply("sum", [b.scale(y, ta)]), tb && b.apply("sum", [b.scale(x, tb)])],
        [],
      );
    },
  },
  /** A B, Aᵀ B or A Bᵀ (`attrs.transA`, `attrs.transB`). */
  matmul: bilinear(
    {
      label: "product",
      arity: 2,
      shape: (args, attrs) => {
        const [a, b] = args as [Shape, Shape];
        const [rows, inner] = attrs.transA === true ? [a[1]!, a[0]!] : [a[0]!, a[1]!];
        const [inner2, cols] = attrs.transB === true ? [b[1]!, b[0]!] : [b[0]!, b[1]!];
        return inner === inner2 ? [rows, cols] : misfit("matmul", args);
      },
      operandRanks: [[2], [2]],
      notation: {
        value: ([a, b], attrs) =>
          m.op(
            attrs.transA === true ? m.transposed(a!) : a!,
            " ",
            attrs.transB === true ? m.transposed(b!) : b!,
          ),
        // C = op(A) op(B): Ā and B̄ from C̄, each in its operand's layout.
        adjoints: ([a, b], g, _result, attrs) => {
          const [ta, tb] = [attrs.transA === true, attrs.transB === true];
          const t = m.transposed;
          return [
            ta ? m.op(tb ? t(b!) : b!, " ", t(g)) : m.op(g, " ", tb ? b! : t(b!)),
            tb ? m.op(t(g), " ", ta ? t(a!) : a!) : m.op(ta ? a! : t(a!), " ", g),
          ];
        },
      },
    },
    (b, instr, g) => {
      const [x, y] = instr.args as [Value, Value];
      const mm = (p: Value, q: Value, transA: boolean, transB: boolean) =>
        b.apply("matmul", [p, q], {
          ...(transA ? { transA } : {}),
          ...(transB ? { transB } : {}),
          ...derivative,
        });
      const { transA = false, transB = false } = instr.attrs;
      // C = op(X) op(Y): dX and dY from G, keeping each in its operand's layout.
      if (!transA && !transB) return [mm(g, y, false, true), mm(x, g, true, false)];
      if (transA && !transB) return [mm(y, g, false, true), mm(x, g, false, false)];
      if (!transA && transB) return [mm(g, y, false, false), mm(g, x, true, false)];
      return [mm(y, g, true, true), mm(g, x, true, true)];
    },
  ),
  /** A x. */
  matvec: bilinear(
    kernelEntry(
      "product",
      2,
      productShape(
        "matvec",
        ([a, x]) => [a![1]!, x![0]!],
        ([a]) => [a![0]!],
      ),
      {
        value: ([a, x]) => m.op(a!, " ", x!),
        derivatives: ([a]) => [undefined, a!],
        adjoints: ([a, x], g) => [m.op(g, " ", m.transposed(x!)), m.op(m.transposed(a!), " ", g)],
      },
      [[2], [1]],
    ),
    (b, instr, g) => {
      const [a, x] = instr.args as [Value, Value];
      return [b.apply("outer", [g, x], derivative), b.apply("vecmat", [g, a], derivative)];
    },
  ),
  /** xᵀ A, as a vector. */
  vecmat: bilinear(
    kernelEntry(
      "product",
      2,
      productShape(
        "vecmat",
        ([x, a]) => [x![0]!, a![0]!],
        ([, a]) => [a![1]!],
      ),
      {
        value: ([x, a]) => m.op(m.transposed(x!), " ", a!),
        derivatives: ([, a]) => [m.transposed(a!), undefined],
        adjoints: ([x, a], g) => [m.op(a!, " ", g), m.op(x!, " ", m.transposed(g))],
      },
      [[1], [2]],
    ),
    (b, instr, g) => {
      const [x, a] = instr.args as [Value, Value];
      return [b.apply("matvec", [a, g], derivative), b.apply("outer", [x, g], derivative)];
    },
  ),
  /** x yᵀ. */
  outer: bilinear(
    kernelEntry(
      "outer",
      2,
      ([x, y]) => [x![0]!, y![0]!],
      {
        value: ([x, y]) => m.op(x!, " ", m.transposed(y!)),
        adjoints: ([x, y], g) => [m.op(g, " ", y!), m.op(m.transposed(g), " ", x!)],
      },
      [[1], [1]],
    ),
    (b, instr, g) => {
      const [x, y] = instr.args as [Value, Value];
      return [b.apply("matvec", [g, y], derivative), b.apply("vecmat", [x, g], derivative)];
    },
  ),
  transpose: linear(
    kernelEntry(
      "transposed",
      1,
      ([a]) => [a![1]!, a![0]!],
      { value: ([a]) => m.transposed(a!), adjoints: (_args, g) => [m.transposed(g)] },
      [[2]],
    ),
    (b, _instr, g) => [b.apply("transpose", [g])],
  ),
  /** The identity matrix of `attrs.shape`. */
  eye: {
    label: "identity",
    arity: 0,
    shape: (_args, attrs) => attrs.shape,
    notation: { value: (_args, attrs) => m.identityOf(attrs.shape[0]!) },
    vjp: "none",
    jvp: "none",
  },
  /** A matrix of `attrs.shape` with the vector on its main diagonal. */
  diag: linear(
    {
      label: "diag",
      arity: 1,
      shape: (_args, attrs) => attrs.shape,
      notation: { value: ([v]) => m.diag(v!), adjoints: (_args, g) => [m.fn("diagonal", g)] },
    },
    (b, _instr, g) => [b.apply("diagonal", [g])],
  ),
  /** The main diagonal of a matrix. */
  diagonal: linear(
    kernelEntry(
      "diagonal",
      1,
      ([a]) => [minDim(a![0]!, a![1]!)],
      { value: ([a]) => m.fn("diagonal", a!), adjoints: (_args, g) => [m.diag(g)] },
      [[2]],
    ),
    (b, instr, g) => [b.apply("diag", [g], { shape: instr.args[0]!.shape })],
  ),
  /** A⁻¹; its adjoint is −A⁻ᵀ G A⁻ᵀ. */
  inv: {
    ...kernel(
      "inverse",
      1,
      ofSquare(sameAsFirst),
      (b, instr, g) => {
        const y = instr.result;
        const yTg = b.apply("matmul", [y, g], { transA: true, ...derivative });
        return [b.neg(b.apply("matmul", [yTg, y], { transB: true, ...derivative }))];
      },
      {
        value: ([a]) => m.inverse(a!),
        adjoints: ([a], g) => [m.neg(m.op(m.op(m.inverseTransposed(a!), " ", g), " ", m.inverseTransposed(a!)))],
      },
    ),
    jvp: (b, instr, [t]) => {
      if (t === undefined) return undefined;
      const y = instr.result;
      return b.neg(b.apply("matmul", [b.apply("matmul", [y, t], derivative), y], derivative));
    },
  },
  /** det A; its gradient is det(A) A⁻ᵀ. */
  det: withPartial(
    kernelEntry("det", 1, ofSquare(scalarResult), {
      value: ([a]) => m.fn("det", a!),
      derivatives: ([a]) => [m.op(m.fn("det", a!), " ", m.inverseTransposed(a!))],
    }),
    (b, instr) => b.apply("cofactor", instr.args),
  ),
  /** The cofactor matrix, det(A) A⁻ᵀ where A is invertible: the gradient of det, defined everywhere. */
  cofactor: {
    ...kernel(
      "cofactors",
      1,
      ofSquare(sameAsFirst),
      () => {
        throw new Error("internal: primitive 'cofactor' has no VJP rule (third derivatives of det)");
      },
      { value: ([a]) => m.op(m.fn("det", a!), " ", m.inverseTransposed(a!)) },
    ),
    // The runtime differentiates the adjugate directly, so singular matrices have a Hessian too.
    jvp: (b, instr, [t]) => t && b.apply("cofactorTangent", [instr.args[0]!, t]),
  },
  /** The derivative of the cofactor matrix along a direction: det's second derivative. */
  cofactorTangent: {
    ...kernel(
      "cofactorsDot",
      2,
      ofSquare(sameAsFirst),
      () => {
        throw new Error("internal: primitive 'cofactorTangent' has no VJP rule (third derivatives of det)");
      },
      { value: ([a, t]) => m.fn("cofactorTangent", a!, t!) },
    ),
    jvp: () => {
      throw new Error("internal: primitive 'cofactorTangent' has no JVP rule (third derivatives of det)");
    },
  },
  /** log det A (for det A > 0); its gradient is A⁻ᵀ. */
  logdet: withPartial(
    kernelEntry("logdet", 1, ofSquare(scalarResult), {
      value: ([a]) => m.fn("log det", a!),
      derivatives: ([a]) => [m.inverseTransposed(a!)],
    }),
    (b, instr) => inverseTransposed(b, instr.args[0]!),
  ),
};

/**
 * The entry of an instruction's operation, its rules typed for that instruction. The table
 * pairs each operation with its own entry; TypeScript cannot follow that pairing through a
 * union of instructions, hence the one cast.
 */
export function primitiveOf<K extends Op>(instr: Instr<K>): PrimitiveDef<K> {
  return primitives[instr.op as K] as unknown as PrimitiveDef<K>;
}

/** The shape of the argument for parameter `param` (its adjoint's, or that adjoint's tangent's). */
function shapeOfParam(
  args: readonly Shape[],
  attrs: { readonly params: readonly string[]; readonly param: string },
) {
  return args[attrs.params.indexOf(attrs.param)]!;
}

/**
 * The JVP of a call or a pullback: operation `op` (its pushforward, its pullback's tangent) on
 * the operands and every operand's tangent, zeros where there is none (one derivative function
 * serves every call); undefined when no operand has a tangent.
 */
function callTangent<K extends "callPushforward" | "callPullbackTangent">(
  b: Builder,
  instr: Instr,
  tangents: readonly (Value | undefined)[],
  op: K,
  attrs: AttrsOf<K>,
): Value | undefined {
  if (tangents.every((t) => t === undefined)) return undefined;
  const operands = instr.args.map((a, k) => tangents[k] ?? b.zeros(a.shape));
  return b.apply(op, [...instr.args, ...operands], attrs);
}

/** A derivative of a call, written as the callee's derivative function applied to the operands. */
function callDerivativeNotation<K extends CallOp>(what: string): Notation<K> {
  return { value: (args, attrs: CallAttrs) => m.fn(`${attrs.callee} ${what}`, ...args) };
}

/** X⁻ᵀ, logdet's gradient: NaN entries (not a throw) where X is singular and logdet is −∞. */
function inverseTransposed(b: Builder, x: Value): Value {
  return b.apply("transpose", [b.apply("inv", [x], { nanIfSingular: true })]);
}

/** The partial derivatives of y = x^p: p x^(p−1) (0 where p = 0) and x^p log x (0 at x = 0). */
function powPartials(b: Builder, instr: Instr): [Value, Value] {
  const [x, p] = instr.args as [Value, Value];
  // "0 where p = 0" (0^0 is 1 for every x) as a guarded product, not a branch: a
  // branch would also zero the derivative of dx with respect to p, which the
  // Hessian needs (∂²(x^p)/∂x∂p = 1/x at p = 0).
  const dx = b.apply("mulNoNan", [b.apply("pow", [x, b.sub(p, b.one())]), p], { keepGuard: true });
  const safeBase = b.where(b.apply("eq", [x, b.zero()]), b.one(), x);
  // x^p log x is 0 where x is 0 (or 1), even where x^p is infinite (p < 0).
  const dp = b.apply("mulNoNan", [instr.result, b.apply("log", [safeBase])], { keepGuard: true });
  return [dx, dp];
}

/** x / ‖x‖ (per column or row with an axis), and 0 where the norm is 0. */
function normDirection(b: Builder, instr: Instr<AlongAxisOp>): Value {
  const norm = spread(b, instr.args[0]!, instr.attrs, instr.result);
  return b.where(b.apply("eq", [norm, b.zero()]), b.zero(), b.div(instr.args[0]!, norm));
}

/** J v for softmax's symmetric Jacobian J = diag(s) − s sᵀ (per slice): s ⊙ (v − v·s). */
function softmaxProduct(b: Builder, instr: Instr<"softmax">, v: Value): Value {
  const s = instr.result;
  // v·s over each slice: all elements (a vector, or a whole matrix), or each column or row.
  const total = b.apply("sum", [b.mul(v, s)], alongOf(instr));
  return b.mul(s, b.sub(v, spread(b, s, instr.attrs, total)));
}

/** A position as a list: [i] in a vector, [i, j] in a matrix. */
function positionList(attrs: Position): number[] {
  return attrs.column === undefined ? [attrs.index] : [attrs.index, attrs.column];
}

/** The attributes naming a position: `index`, and `column` for a matrix. */
function positionOf(attrs: Position): Position {
  return attrs.column === undefined ? { index: attrs.index } : { index: attrs.index, column: attrs.column };
}

/** The axis an instruction works along, as attributes: none for a whole value. */
function alongOf<K extends Op>(instr: Instr<K>): AlongAxis {
  const { attrs } = instr as Instr;
  const axis = "axis" in attrs ? attrs.axis : undefined;
  return axis === undefined ? {} : { axis };
}

function minDim(a: Dim, b: Dim): Dim {
  return typeof a === "number" && typeof b === "number" ? Math.min(a, b) : a;
}

/**
 * A reduction: of all elements to a scalar (`helper`), or along `attrs.axis`
 * of a matrix to a vector (`helperAlong`).
 */
function reduction(label: string, notation: Notation<AlongAxisOp>): Entry<AlongAxisOp> {
  return {
    label,
    arity: 1,
    shape: ([x], attrs) => (attrs.axis === undefined ? [] : [x![attrs.axis === 0 ? 1 : 0]!]),
    notation,
  };
}

/**
 * A reduction written f(x) (of all elements) or f(X, axis=k), whose derivative over all elements
 * is the row vector `partial(x, y)ᵀ`.
 */
function reductionNotation(
  name: string,
  partial?: (x: Formula, y: Formula, axis: Formula[]) => Formula,
): Notation<AlongAxisOp> {
  const axisOf = (attrs: AlongAxis) => (attrs.axis === undefined ? [] : [m.symbol(`axis=${attrs.axis}`)]);
  return {
    value: ([x], attrs) => m.fn(name, x!, ...axisOf(attrs)),
    ...(partial === undefined
      ? {}
      : {
          derivatives: ([x], y, attrs) => [
            attrs.axis === undefined ? m.transposed(partial(x!, y, [])) : undefined,
          ],
          // Along an axis, the result and its adjoint spread back over the slices they came from.
          adjoints: ([x], g, y, attrs, [shape]) => {
            const { axis } = attrs;
            if (axis === undefined) return [m.withOnes(m.op(g, " ", partial(x!, y, [])), shape!)];
            const spread = (v: Formula) => m.spreadAlong(v, axis, shape!);
            return [m.withOnes(m.op(partial(x!, spread(y), axisOf(attrs)), "⊙", spread(g)), shape!)];
          },
        }),
  };
}

/**
 * A value computed over all elements of `x`, or along an axis, spread back over the elements it
 * came from; over all elements it stays a scalar, which element-wise operations broadcast.
 */
function spread(b: Builder, x: Value, along: AlongAxis, g: Value): Value {
  if (along.axis === undefined) return g;
  return b.apply("broadcast", [g], { shape: x.shape, axis: along.axis });
}
