// Shapes of values: [] is a scalar, [n] a vector, [m, n] a matrix. A dimension is
// a positive integer or the name of a symbolic dimension bound by the arguments.

export type Dim = number | string;
export type Shape = readonly Dim[];

export function shapesEqual(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** `real`, `real[n]`, `real[m, n]`: shapes are printed the way users write types. */
export function formatShape(shape: Shape): string {
  return shape.length === 0 ? "real" : `real[${shape.join(", ")}]`;
}

/**
 * The shape of an element-wise operation on operands of these shapes, or
 * undefined if they do not broadcast. A scalar broadcasts against anything; a
 * vector real[n] broadcasts over the rows of a matrix real[m, n] (as NumPy).
 */
export function broadcastShapes(a: Shape, b: Shape): Shape | undefined {
  if (shapesEqual(a, b)) return a;
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  if (a.length === 1 && b.length === 2 && a[0] === b[1]) return b;
  if (b.length === 1 && a.length === 2 && b[0] === a[1]) return a;
  return undefined;
}
