// The language's built-in functions and reserved words, as the checker sees them.
// How each built-in is computed and differentiated lives in primitives.ts.

export const keywords = ["fn", "return", "wrt", "real", "pi"] as const;

/** Element-wise functions of one argument. */
export const unaryElementwise = [
  "exp",
  "log",
  "sqrt",
  "sin",
  "cos",
  "tan",
  "asin",
  "acos",
  "atan",
  "sinh",
  "cosh",
  "tanh",
  "sigmoid",
  "softplus",
  "relu",
  "abs",
  "sign",
  "log1p",
  "expm1",
] as const;
export type UnaryElementwiseName = (typeof unaryElementwise)[number];

/** Reductions of a vector or matrix to a scalar, or along an axis. */
export const reductions = ["sum", "mean", "prod", "norm1", "norm2", "max", "min", "logsumexp"] as const;
export type ReductionName = (typeof reductions)[number];

export const otherBuiltins = [
  "pow",
  "where",
  "dot",
  "outer",
  "transpose",
  "trace",
  "diag",
  "diagonal",
  "softmax",
  "inv",
  "det",
  "logdet",
  "zeros",
  "ones",
  "eye",
] as const;

export const builtinNames: ReadonlySet<string> = new Set<string>([
  ...unaryElementwise,
  ...reductions,
  ...otherBuiltins,
]);

export function isUnaryElementwise(name: string): name is UnaryElementwiseName {
  return (unaryElementwise as readonly string[]).includes(name);
}

export function isReduction(name: string): name is ReductionName {
  return (reductions as readonly string[]).includes(name);
}

/** Words that may not name a function, parameter, variable or dimension. */
export function reservedReason(name: string): string | undefined {
  if ((keywords as readonly string[]).includes(name)) return "a keyword";
  if (builtinNames.has(name)) return "a built-in function";
  // As a key of the generated gradient objects it would set their prototype instead.
  if (name === "__proto__") return "special in JavaScript objects";
  return undefined;
}

/** How many positional arguments each built-in takes: [min, max]. */
export function builtinArity(name: string): readonly [number, number] | undefined {
  if (isUnaryElementwise(name) || isReduction(name))
    return name === "max" || name === "min" ? [1, 2] : [1, 1];
  switch (name) {
    case "pow":
    case "dot":
    case "outer":
      return [2, 2];
    case "where":
      return [3, 3];
    case "zeros":
    case "ones":
      return [1, 2];
    case "transpose":
    case "trace":
    case "diag":
    case "diagonal":
    case "softmax":
    case "inv":
    case "det":
    case "logdet":
    case "eye":
      return [1, 1];
  }
  return undefined;
}
