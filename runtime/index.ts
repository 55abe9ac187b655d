/**
 * gradc's runtime: the `Matrix` type and its constructors, `ShapeError`, the argument checks and
 * numeric kernels called by generated code, and `gradcheck` for testing gradients.
 * Dependency-free, side-effect free, plain named exports.
 */
export { type Matrix, vec, mat, matrix, isMatrix } from "./matrix.js";
export { ShapeError, SingularMatrixError } from "./errors.js";
export { Workspace } from "./workspace.js";
export { checkScalar, checkDirection, checkVector, checkMatrix, checkWorkspace } from "./checks.js";
export {
  sigmoid,
  softplus,
  sech2,
  relu,
  sign,
  sum,
  prod,
  prodExcept,
  prodExceptTangent,
  norm2,
  max,
  min,
  argmax,
  argmin,
  logsumexp,
  softmax,
  dot,
  fill,
  oneHot,
  fillMatrix,
  tileRows,
  tileColumns,
  sumColumns,
  sumRows,
  matmul,
  matvec,
  matvecRow,
  vecmat,
  repairVecmat,
  transpose,
  outer,
  matmulTransA,
  matmulTransB,
} from "./kernels.js";
export {
  maxAlong,
  minAlong,
  argmaxMaskAlong,
  argminMaskAlong,
  sumAlong,
  prodAlong,
  prodExceptAlong,
  prodExceptTangentAlong,
  norm2Along,
  logsumexpAlong,
  softmaxAlong,
  tileAlong,
} from "./along.js";
export {
  type LuDecomposition,
  diagonal,
  diagMatrix,
  eye,
  oneHotMatrix,
  lu,
  det,
  logdet,
  inv,
  cofactor,
  cofactorTangent,
} from "./linalg.js";
export {
  type Value,
  type Gradients,
  type GradcheckOptions,
  type GradcheckResult,
  gradcheck,
} from "./gradcheck.js";
export { type Tensor, unit, flatten, setRow, setColumn } from "./sweeps.js";
