import { ShapeError } from "./errors.js";
import { isMatrix, type Matrix } from "./matrix.js";

/** A value of one of the language's types: `real`, `real[n]` or `real[m, n]`. */
export type Value = number | Float64Array | Matrix;

/**
 * What `grad` may return: an array of gradients, or an object of them (a generated `lossGrad`'s
 * `grad`, declared as an interface or a type literal).
 */
export type Gradients<G> = readonly Value[] | { readonly [K in keyof G]: Value };

/** Options for `gradcheck`. */
export interface GradcheckOptions {
  /** Indices into `args` of the arguments to check, in the order `grad` returns them (default: all). */
  wrt?: number[];
  /** Relative step: each element x is perturbed by ±h·max(1, |x|) (default 1e-6). */
  h?: number;
  /** Largest relative error accepted by `ok` (default 1e-6). */
  tolerance?: number;
}

/** What `gradcheck` found. */
export interface GradcheckResult {
  /** The largest |analytic − numeric| / max(1, |analytic|, |numeric|) over all checked elements. */
  maxRelativeError: number;
  /** Whether `maxRelativeError` ≤ tolerance. */
  ok: boolean;
  /** Where the largest error occurred (`arg` indexes `args`, `index` the flattened element). */
  worst: { arg: number; index: number; analytic: number; numeric: number } | undefined;
}

/**
 * Compares an analytic gradient against central finite differences and reports the largest
 * relative error |a − n| / max(1, |a|, |n|). Every element of each argument named by `wrt` is
 * perturbed by ±h·max(1, |x|). `grad` may return an array or an object (its values are taken in
 * insertion order); either way the k-th gradient belongs to `args[wrt[k]]` and has its shape.
 * The caller's arrays are copied, never mutated. A NaN or infinite analytic or numeric value
 * counts as an infinite error.
 *
 * @example
 * import { gradcheck } from "gradc-runtime";
 * import { loss, lossGrad } from "./model.grad.js";
 *
 * const result = gradcheck(loss, (...a) => lossGrad(...a).grad, [w, b, X, y], { wrt: [0, 1] });
 * if (!result.ok) console.log(result.maxRelativeError, result.worst);
 */
export function gradcheck<A extends Value[], G extends Gradients<G>>(
  f: (...args: A) => number,
  grad: (...args: A) => G,
  args: [...A],
  options: GradcheckOptions = {},
): GradcheckResult {
  const wrt = options.wrt ?? args.map((_, i) => i);
  const h = options.h ?? 1e-6;
  const tolerance = options.tolerance ?? 1e-6;
  for (const p of wrt) {
    if (!Number.isInteger(p) || p < 0 || p >= args.length) {
      throw new RangeError(`gradcheck: wrt index ${p} is out of range for ${args.length} arguments`);
    }
  }

  const work = args.map(copyValue) as A;
  const returned = grad(...(args.map(copyValue) as A));
  const grads: readonly Value[] = Array.isArray(returned)
    ? returned
    : Object.values(returned as Record<string, Value>);
  if (grads.length !== wrt.length) {
    throw new ShapeError(
      `gradcheck: grad returned ${grads.length} gradients, but wrt names ${wrt.length} arguments` +
        (options.wrt === undefined ? " (pass options.wrt)" : ""),
    );
  }

  let maxRelativeError = 0;
  let worst: GradcheckResult["worst"];
  wrt.forEach((p, k) => {
    const analytic = flatten(grads[k]!, args[p]!, k, p);
    const arg = work[p]!;
    for (let e = 0; e < analytic.length; e++) {
      const x = typeof arg === "number" ? arg : elements(arg)[e]!;
      const step = h * Math.max(1, Math.abs(x));
      const plus = x + step;
      const minus = x - step;
      const fPlus = f(...withElement(work, p, e, plus));
      const fMinus = f(...withElement(work, p, e, minus));
      withElement(work, p, e, x);
      const numeric = (fPlus - fMinus) / (plus - minus);
      const a = analytic[e]!;
      let error = Math.abs(a - numeric) / Math.max(1, Math.abs(a), Math.abs(numeric));
      if (!Number.isFinite(error)) error = Infinity;
      if (worst === undefined || error > maxRelativeError) {
        maxRelativeError = error;
        worst = { arg: p, index: e, analytic: a, numeric };
      }
    }
  });
  return { maxRelativeError, ok: maxRelativeError <= tolerance, worst };
}

/** A deep copy of a value. */
function copyValue(v: Value): Value {
  if (typeof v === "number") return v;
  if (v instanceof Float64Array) return v.slice();
  return { rows: v.rows, cols: v.cols, data: v.data.slice() };
}

/** The elements of an array or matrix value. */
function elements(v: Float64Array | Matrix): Float64Array {
  return v instanceof Float64Array ? v : v.data;
}

/** Sets element `e` of `work[p]` to `x` (replacing a number in place) and returns `work`. */
function withElement<A extends Value[]>(work: A, p: number, e: number, x: number): A {
  const v = work[p]!;
  if (typeof v === "number") work[p] = x;
  else elements(v)[e] = x;
  return work;
}

/** The gradient `g` as a flat array after checking it has the shape of the argument `arg`. */
function flatten(g: Value, arg: Value, k: number, p: number): Float64Array {
  const where = `gradcheck: gradient ${k} (for argument ${p})`;
  if (typeof arg === "number") {
    if (typeof g !== "number") throw new ShapeError(`${where} must be a number`);
    return Float64Array.of(g);
  }
  if (arg instanceof Float64Array) {
    if (!(g instanceof Float64Array)) throw new ShapeError(`${where} must be a Float64Array`);
    if (g.length !== arg.length) {
      throw new ShapeError(`${where} has length ${g.length}, expected ${arg.length}`);
    }
    return g;
  }
  if (!isMatrix(g)) throw new ShapeError(`${where} must be a Matrix`);
  if (g.rows !== arg.rows || g.cols !== arg.cols) {
    throw new ShapeError(`${where} is ${g.rows}×${g.cols}, expected ${arg.rows}×${arg.cols}`);
  }
  return g.data;
}
