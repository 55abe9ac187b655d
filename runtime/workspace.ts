import type { Matrix } from "./matrix.js";

/**
 * Buffers that generated functions reuse from one call to the next, so that a training loop
 * allocates few arrays or none. Pass one as the last argument of `f` or `fGrad` and the arrays
 * they return may be the workspace's own: valid until the next call of that function given it,
 * which overwrites them. Without one, generated functions still keep their internal
 * temporaries in a workspace of their own, and return new arrays.
 *
 * Each buffer sits in a numbered slot; a slot asked for with another size gets a new buffer,
 * so one workspace serves any sizes (reallocating when they change).
 */
export class Workspace {
  private readonly vectors: (Float64Array | undefined)[] = [];
  private readonly matrices: (Matrix | undefined)[] = [];
  private readonly parts: (Workspace | undefined)[] = [];

  /**
   * The workspace generated function number `k` of a module keeps its arrays in, within this
   * one: each function has its own, so one workspace serves all the functions of a module
   * (calling `loss` and `lossGrad` in turn reallocates nothing).
   */
  part(k: number): Workspace {
    return (this.parts[k] ??= new Workspace());
  }

  /** The vector in `slot`, of length `n`; its entries are whatever the last call left. */
  vector(slot: number, n: number): Float64Array {
    const v = this.vectors[slot];
    if (v !== undefined && v.length === n) return v;
    return (this.vectors[slot] = new Float64Array(n));
  }

  /** The rows × cols matrix in `slot`; its entries are whatever the last call left. */
  matrix(slot: number, rows: number, cols: number): Matrix {
    const m = this.matrices[slot];
    if (m !== undefined && m.rows === rows && m.cols === cols) return m;
    return (this.matrices[slot] = { rows, cols, data: new Float64Array(rows * cols) });
  }
}
