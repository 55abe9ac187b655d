// How each IR operation prints as TypeScript: the back end's table, keyed by the
// same operations as the math table (primitives.ts), which holds no code text.
// An element-wise operation prints as a formula for one element (the emitter
// loops it, and fuses chains of them); anything else as an expression over
// whole values, usually a call of a runtime kernel. A second back end
// (WebAssembly) would sit beside this table and read the same IR.

import { isZeroSafe, type AlongAxisOp, type CallOp, type Instr } from "./ir.js";
import { binary, call, conditional, negate, primary, type Expr } from "./ts-syntax.js";
import { notYet, type Op } from "./primitives.js";
import type { Dim, Shape } from "./shapes.js";

/** What printing needs from the emitter: imports and dimension expressions. */
export interface EmitContext {
  /** The local name of a runtime export, importing it on first use. */
  helper(name: string): string;
  /** A dimension as a TypeScript expression (a number literal or a bound name). */
  dim(d: Dim): string;
  /**
   * The buffer an instruction's result is written into (a workspace's), for kernels that take
   * one; undefined for a new array.
   */
  into(instr: Instr): string | undefined;
  /**
   * For a logsumexp: the array its kernel also fills with exp(x − logsumexp(x)) (a derivative
   * of the same body reads it), or undefined.
   */
  exponentialsOf(instr: Instr): string | undefined;
  /** The module function a call instruction calls: the callee, or its pullback or pushforward. */
  functionFor(instr: Instr): string;
  /**
   * A local holding `code`'s value, computed at its first use in the body and read after: the
   * adjoints a pullback returns for several parameters come from one call.
   */
  once(code: string, hint: string): string;
}

/** An operand as emitted code: its TypeScript expression and its shape. */
export interface Operand {
  readonly code: string;
  readonly shape: Shape;
}

/** An element-wise operation: a formula for one element. */
export interface ElementwisePrinter {
  readonly kind: "elementwise";
  scalar(args: readonly Expr[], ctx: EmitContext): Expr;
  /** For comparisons: the formula as a boolean, used directly as a condition. */
  readonly condition?: (args: readonly Expr[]) => Expr;
  /** Operands the formula takes as a boolean condition (`where`'s first). */
  readonly conditionOperands?: readonly number[];
}

/** An expression over whole values, usually a runtime kernel call. */
export interface ExpressionPrinter<K extends Op = Op> {
  readonly kind: "expression";
  readonly code: (args: readonly Operand[], instr: Instr<K>, ctx: EmitContext) => string;
}

export type OpPrinter<K extends Op = Op> = ElementwisePrinter | ExpressionPrinter<K>;

/** The number of elements of a shape, as TypeScript. */
export function sizeCode(shape: Shape, ctx: EmitContext): string {
  return shape.length === 0 ? "1" : shape.map((d) => ctx.dim(d)).join(" * ");
}

/** Numbers as TypeScript literals; non-finite constants by name. */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  if (Object.is(value, -0)) return "-0";
  // As prettier prints numbers: `1e21`, not `1e+21`.
  return String(value).replace("e+", "e");
}

// ---------------------------------------------------------------------------
// Helpers

const formula = (scalar: ElementwisePrinter["scalar"]): ElementwisePrinter => ({
  kind: "elementwise",
  scalar,
});

/** `Math.f(x, ...)`, or a runtime helper `f(x)`. */
const mathCall = (name: string): ElementwisePrinter => formula((args) => call(`Math.${name}`, args));
const helperCall = (name: string): ElementwisePrinter => formula((args, ctx) => call(ctx.helper(name), args));

const [zero, one] = [primary("0"), primary("1")];
/** `x === 0`: the test of a guarded product. */
const isZero = (x: Expr) => binary(x, "===", zero);

/** A comparison: a 0/1 mask, or as `where`'s condition a boolean. */
const comparison = (operator: "<" | "<=" | ">" | ">=" | "===" | "!=="): ElementwisePrinter => ({
  kind: "elementwise",
  scalar: ([a, b]) => conditional(binary(a!, operator, b!), one, zero),
  condition: ([a, b]) => binary(a!, operator, b!),
});

/** The trailing `true` of a kernel call in derivative code (zero-safe products, NaN for singular). */
function derivativeFlag(instr: Instr): string[] {
  const attrs = instr.attrs;
  const flagged = isZeroSafe(instr) || ("nanIfSingular" in attrs && attrs.nanIfSingular === true);
  return flagged ? ["true"] : [];
}

/** A kernel call over whole values: `helper(a, b)`. */
const kernel = (helper: string): ExpressionPrinter => ({
  kind: "expression",
  code: (args, instr, ctx) =>
    `${ctx.helper(helper)}(${[...args.map((a) => a.code), ...derivativeFlag(instr)].join(", ")})`,
});

/**
 * A product kernel, `helper(a, b[, zeroSafe[, into]])`: it writes into the result's buffer
 * when it has one (then the zero-safe flag is written out, `false` or `true`).
 */
const product = (helper: string, args: readonly Operand[], instr: Instr, ctx: EmitContext): string => {
  const into = ctx.into(instr);
  const flag = derivativeFlag(instr);
  const trailing = into === undefined ? flag : [flag[0] ?? "false", into];
  return `${ctx.helper(helper)}(${[...args.map((a) => a.code), ...trailing].join(", ")})`;
};
const productKernel = (helper: string): ExpressionPrinter => ({
  kind: "expression",
  code: (args, instr, ctx) => product(helper, args, instr, ctx),
});

/** A call of a module function: `f(x, y)`. */
function callOf<K extends CallOp>(): ExpressionPrinter<K> {
  return {
    kind: "expression",
    code: (args, instr, ctx) => `${ctx.functionFor(instr as Instr)}(${args.map((a) => a.code).join(", ")})`,
  };
}

/** `p.x`, where `p` holds the record one call of a pullback returns for all its parameters. */
function fieldOfCall<K extends "callPullback" | "callPullbackTangent">(): ExpressionPrinter<K> {
  return {
    kind: "expression",
    code: (args, instr, ctx) => {
      const code = `${ctx.functionFor(instr as Instr)}(${args.map((a) => a.code).join(", ")})`;
      const record = ctx.once(
        code,
        `${instr.attrs.callee}_adjoints${instr.op === "callPullback" ? "" : "_dot"}`,
      );
      return `${record}.${instr.attrs.param}`;
    },
  };
}

function flatData(operand: Operand): string {
  return operand.shape.length === 2 ? `${operand.code}.data` : operand.code;
}

/**
 * A reduction: of all elements (`helper` on the data), or along an axis (`helperAlong`, which
 * writes into the result's buffer when it has one and `writesInto`).
 */
const reduction = (helper: string, writesInto = false): ExpressionPrinter<AlongAxisOp> => ({
  kind: "expression",
  code: ([x], instr, ctx) => {
    if (instr.attrs.axis === undefined) return `${ctx.helper(helper)}(${flatData(x!)})`;
    const into = writesInto ? ctx.into(instr) : undefined;
    const args = [x!.code, String(instr.attrs.axis), ...(into === undefined ? [] : [into])];
    return `${ctx.helper(`${helper}Along`)}(${args.join(", ")})`;
  },
});

/**
 * A kernel producing a value shaped like its operands: `helper(x, ...)`, or
 * `helperAlong(A, ..., axis)`; over all elements of a matrix, the kernel runs on the data.
 */
const along = (helper: string): ExpressionPrinter<AlongAxisOp> => ({
  kind: "expression",
  code: (args, instr, ctx) => {
    const codes = args.map((a) => a.code);
    if (instr.attrs.axis !== undefined)
      return `${ctx.helper(`${helper}Along`)}(${[...codes, instr.attrs.axis].join(", ")})`;
    if (args[0]!.shape.length < 2) return `${ctx.helper(helper)}(${codes.join(", ")})`;
    const [rows, cols] = args[0]!.shape.map((d) => ctx.dim(d));
    const data = codes.map((c) => `${c}.data`).join(", ");
    return `${ctx.helper("matrix")}(${rows}, ${cols}, ${ctx.helper(helper)}(${data}))`;
  },
});

/** The mask of the first extreme element, of all elements or of each column or row. */
const mask = (arg: "argmax" | "argmin"): ExpressionPrinter<AlongAxisOp> => ({
  kind: "expression",
  code: ([x], instr, ctx) => {
    if (instr.attrs.axis !== undefined)
      return `${ctx.helper(`${arg}MaskAlong`)}(${x!.code}, ${instr.attrs.axis})`;
    const data = flatData(x!);
    const oneHot = `${ctx.helper("oneHot")}(${data}.length, ${ctx.helper(arg)}(${data}), 1)`;
    if (x!.shape.length < 2) return oneHot;
    const [rows, cols] = x!.shape.map((d) => ctx.dim(d));
    return `${ctx.helper("matrix")}(${rows}, ${cols}, ${oneHot})`;
  },
});

// ---------------------------------------------------------------------------
// The table

export const printers: { readonly [K in Op]: OpPrinter<K> } = {
  const: { kind: "expression", code: (_args, instr) => formatNumber(instr.attrs.value) },
  dim: { kind: "expression", code: (_args, instr, ctx) => ctx.dim(instr.attrs.dim) },

  add: formula(([a, b]) => binary(a!, "+", b!)),
  sub: formula(([a, b]) => binary(a!, "-", b!)),
  mul: formula(([a, b]) => binary(a!, "*", b!)),
  div: formula(([a, b]) => binary(a!, "/", b!)),
  neg: formula(([a]) => negate(a!)),
  pow: formula(([a, b]) => binary(a!, "**", b!)),
  atan2: mathCall("atan2"),
  hypot: mathCall("hypot"),
  mulNoNan: formula(([d, g]) => conditional(isZero(g!), zero, binary(d!, "*", g!))),
  mulNoNanBoth: formula(([a, c]) =>
    conditional(binary(isZero(a!), "||", isZero(c!)), zero, binary(a!, "*", c!)),
  ),
  divNoNan: formula(([g, y]) => conditional(isZero(g!), zero, binary(g!, "/", y!))),

  exp: mathCall("exp"),
  log: mathCall("log"),
  sqrt: mathCall("sqrt"),
  sin: mathCall("sin"),
  cos: mathCall("cos"),
  tan: mathCall("tan"),
  asin: mathCall("asin"),
  acos: mathCall("acos"),
  atan: mathCall("atan"),
  sinh: mathCall("sinh"),
  cosh: mathCall("cosh"),
  tanh: mathCall("tanh"),
  sech2: helperCall("sech2"),
  sigmoid: helperCall("sigmoid"),
  softplus: helperCall("softplus"),
  relu: formula(([x]) => call("Math.max", [x!, zero])),
  abs: mathCall("abs"),
  sign: mathCall("sign"),
  log1p: mathCall("log1p"),
  expm1: mathCall("expm1"),

  max: mathCall("max"),
  min: mathCall("min"),
  where: { kind: "elementwise", scalar: ([c, a, b]) => conditional(c!, a!, b!), conditionOperands: [0] },
  lt: comparison("<"),
  le: comparison("<="),
  gt: comparison(">"),
  ge: comparison(">="),
  eq: comparison("==="),
  ne: comparison("!=="),

  broadcast: {
    kind: "expression",
    code: ([x], instr, ctx) => {
      const [rows, cols] = instr.result.shape.map((d) => ctx.dim(d));
      if (x!.shape.length === 1) {
        return instr.attrs.axis === 1
          ? `${ctx.helper("tileColumns")}(${x!.code}, ${cols})`
          : `${ctx.helper("tileRows")}(${x!.code}, ${rows})`;
      }
      if (cols !== undefined) return `${ctx.helper("fillMatrix")}(${rows}, ${cols}, ${x!.code})`;
      return `${ctx.helper("fill")}(${rows}, ${x!.code})`;
    },
  },
  pack: {
    kind: "expression",
    code: (args, instr, ctx) => {
      const values = `Float64Array.of(${args.map((a) => a.code).join(", ")})`;
      const [rows, cols] = instr.result.shape;
      return cols === undefined ? values : `${ctx.helper("matrix")}(${rows}, ${cols}, ${values})`;
    },
  },
  index: {
    kind: "expression",
    code: ([x], instr, ctx) => {
      const { index, column } = instr.attrs;
      if (column === undefined) return `${x!.code}[${index}]!`;
      const cols = ctx.dim(x!.shape[1]!);
      return `${x!.code}.data[${index} * ${cols} + ${column}]!`;
    },
  },
  oneHot: {
    kind: "expression",
    code: ([x], instr, ctx) => {
      const { index, column } = instr.attrs;
      const [rows, cols] = instr.result.shape.map((d) => ctx.dim(d));
      if (column === undefined) return `${ctx.helper("oneHot")}(${rows}, ${index}, ${x!.code})`;
      return `${ctx.helper("oneHotMatrix")}(${rows}, ${cols}, ${index}, ${column}, ${x!.code})`;
    },
  },

  sum: reduction("sum", true),
  prod: reduction("prod"),
  prodExcept: along("prodExcept"),
  prodExceptTangent: along("prodExceptTangent"),
  norm2: reduction("norm2"),
  maxReduce: reduction("max"),
  minReduce: reduction("min"),
  argmaxMask: mask("argmax"),
  argminMask: mask("argmin"),
  logsumexp: {
    kind: "expression",
    code: ([x], instr, ctx) => {
      const exponentials = ctx.exponentialsOf(instr);
      if (instr.attrs.axis === undefined) {
        const args = [
          flatData(x!),
          ...(exponentials === undefined ? [] : [flatData({ code: exponentials, shape: x!.shape })]),
        ];
        return `${ctx.helper("logsumexp")}(${args.join(", ")})`;
      }
      const into = ctx.into(instr);
      const args = [x!.code, String(instr.attrs.axis)];
      if (into !== undefined || exponentials !== undefined) args.push(into ?? "undefined");
      if (exponentials !== undefined) args.push(exponentials);
      return `${ctx.helper("logsumexpAlong")}(${args.join(", ")})`;
    },
  },
  softmax: along("softmax"),

  call: callOf(),
  callPushforward: callOf(),
  // One call gives every parameter's adjoint (or its tangent): each instruction reads its own.
  callPullback: fieldOfCall(),
  callPullbackTangent: fieldOfCall(),

  // A loop prints as statements, which this back end does not write yet.
  loop: { kind: "expression", code: () => notYet("the TypeScript back end", "loop") },
  dot: kernel("dot"),
  matmul: {
    kind: "expression",
    code: ([a, b], instr, ctx) => {
      const { transA, transB } = instr.attrs;
      if (transA === true && transB === true) {
        const transposed = { code: `${ctx.helper("transpose")}(${a!.code})`, shape: a!.shape };
        return product("matmulTransB", [transposed, b!], instr, ctx);
      }
      const kernelName = transA === true ? "matmulTransA" : transB === true ? "matmulTransB" : "matmul";
      return product(kernelName, [a!, b!], instr, ctx);
    },
  },
  matvec: productKernel("matvec"),
  vecmat: productKernel("vecmat"),
  outer: productKernel("outer"),
  transpose: kernel("transpose"),
  eye: {
    kind: "expression",
    code: (_args, instr, ctx) => `${ctx.helper("eye")}(${ctx.dim(instr.result.shape[0]!)})`,
  },
  diag: {
    kind: "expression",
    code: ([v], instr, ctx) => {
      const [rows, cols] = instr.result.shape.map((d) => ctx.dim(d));
      return `${ctx.helper("diagMatrix")}(${v!.code}, ${rows}, ${cols})`;
    },
  },
  diagonal: kernel("diagonal"),
  inv: kernel("inv"),
  det: kernel("det"),
  logdet: kernel("logdet"),
  cofactor: kernel("cofactor"),
  cofactorTangent: kernel("cofactorTangent"),
};

/** The printer of an instruction's operation, typed for it (one cast, as for `primitiveOf`). */
export function printerOf<K extends Op>(instr: Instr<K>): OpPrinter<K> {
  return printers[instr.op as K] as unknown as OpPrinter<K>;
}
