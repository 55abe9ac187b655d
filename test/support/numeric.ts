// Central finite differences and seeded random inputs, independent of the
// runtime's gradcheck, for checking generated derivatives.

export type Value = number | Float64Array;

/** A small deterministic generator (mulberry32), so failures reproduce. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function uniform(rand: () => number, lo: number, hi: number): number {
  return lo + (hi - lo) * rand();
}

export function randomVector(rand: () => number, n: number, lo = -2, hi = 2): Float64Array {
  return Float64Array.from({ length: n }, () => uniform(rand, lo, hi));
}

function copy(v: Value): Value {
  return typeof v === "number" ? v : Float64Array.from(v);
}

/** Flattens a value to a list of numbers. */
export function flat(v: Value): number[] {
  return typeof v === "number" ? [v] : Array.from(v);
}

/**
 * The derivative of `f` (scalar or vector valued, flattened) with respect to
 * every element of argument `arg`, by central differences: one column per
 * element, as a list of columns.
 */
export function numericJacobianColumns(
  f: (...args: Value[]) => Value,
  args: Value[],
  arg: number,
  h = 1e-6,
): number[][] {
  const columns: number[][] = [];
  const base = args[arg]!;
  const size = typeof base === "number" ? 1 : base.length;
  for (let k = 0; k < size; k++) {
    const at = (delta: number) => {
      const shifted = args.map(copy);
      const target = shifted[arg]!;
      const step = h * Math.max(1, Math.abs(typeof target === "number" ? target : target[k]!));
      if (typeof target === "number") shifted[arg] = target + delta * step;
      else target[k] = target[k]! + delta * step;
      return { value: flat(f(...shifted)), step };
    };
    const plus = at(1);
    const minus = at(-1);
    columns.push(plus.value.map((p, i) => (p - minus.value[i]!) / (2 * plus.step)));
  }
  return columns;
}

/** The gradient of a scalar function with respect to argument `arg`, flattened. */
export function numericGradient(
  f: (...args: Value[]) => number,
  args: Value[],
  arg: number,
  h = 1e-6,
): number[] {
  return numericJacobianColumns(f, args, arg, h).map((column) => column[0]!);
}

/** Largest relative error |a - b| / max(1, |a|, |b|) over paired entries. */
export function maxRelativeError(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const err = Math.abs(x - y) / Math.max(1, Math.abs(x), Math.abs(y));
    worst = Math.max(worst, Number.isNaN(err) ? Infinity : err);
  }
  return worst;
}
