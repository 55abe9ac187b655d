/**
 * Thrown when a value has the wrong kind or shape: a generated function's argument check failed,
 * a matrix was built from ragged rows, or a kernel received operands that do not fit together.
 * The message names the parameter and the dimension, e.g. `"x has length 4, but d = 3"`.
 */
export class ShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ShapeError";
  }
}

/**
 * Thrown when a matrix that must be invertible is singular (LU finds a pivot that is exactly 0 or
 * not finite), e.g. `"inv: the matrix is singular"`.
 */
export class SingularMatrixError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SingularMatrixError";
  }
}
