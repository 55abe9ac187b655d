// The five problems `npm run bench` times, their sizes, and their data: every contender (the
// generated code, the hand-written baselines, the peers) computes the same loss and gradient
// on the same inputs. Matrices are row-major (`Matrix` from gradc's runtime).
//
// P1 least squares      mean((X w + b − y)²)                                   wrt w, b
// P2 logistic           mean(softplus(−y ⊙ (X w + b))), y ∈ {−1, 1}            wrt w, b
// P3 two-layer MLP      H = relu(X W1ᵀ + b1), out = H W2ᵀ + b2,
//                       mean((out − Y)²) over the N × c outputs                 wrt W1, b1, W2, b2
// P4 neuron             mean((y − max(0, X w + b))²)                           wrt w, b
// P5 softmax x-entropy  mean(logsumexp(X Wᵀ, axis=1) − sum(T ⊙ X Wᵀ, axis=1)),
//                       T one-hot                                               wrt W

import { matrix, type Matrix } from "../runtime/index.js";
import { random as uniformRandom } from "../test/support/numeric.js";

export interface Sizes {
  readonly name: "small" | "medium" | "large";
  /** Rows (samples). */
  readonly N: number;
  /** Features. */
  readonly d: number;
  /** Hidden units of the MLP. */
  readonly hidden: number;
  /** Outputs of the MLP, classes of the softmax. */
  readonly c: number;
}

export const sizes: readonly Sizes[] = [
  { name: "small", N: 32, d: 8, hidden: 16, c: 10 },
  { name: "medium", N: 256, d: 64, hidden: 64, c: 10 },
  { name: "large", N: 2048, d: 256, hidden: 256, c: 10 },
];

export interface LinearData {
  readonly w: Float64Array;
  readonly b: number;
  readonly X: Matrix;
  /** Targets for P1 and P4; labels in {−1, 1} for P2. */
  readonly y: Float64Array;
}

export interface MlpData {
  readonly W1: Matrix;
  readonly b1: Float64Array;
  readonly W2: Matrix;
  readonly b2: Float64Array;
  readonly X: Matrix;
  readonly Y: Matrix;
}

export interface SoftmaxData {
  readonly W: Matrix;
  readonly X: Matrix;
  /** One-hot rows. */
  readonly T: Matrix;
}

export interface ProblemData {
  readonly sizes: Sizes;
  readonly p1: LinearData;
  readonly p2: LinearData;
  readonly p3: MlpData;
  readonly p4: LinearData;
  readonly p5: SoftmaxData;
}

/** A small deterministic generator (the tests' mulberry32), uniform in [−0.5, 0.5). */
export function random(seed: number): () => number {
  const next = uniformRandom(seed);
  return () => next() - 0.5;
}

/** The inputs of every problem at one size (the same for every contender). */
export function problemData(s: Sizes, seed = 1): ProblemData {
  const rand = random(seed);
  const vector = (n: number, scale = 1) => Float64Array.from({ length: n }, () => scale * rand());
  const mat = (rows: number, cols: number, scale = 1) => matrix(rows, cols, vector(rows * cols, scale));
  const X = mat(s.N, s.d);
  const w = vector(s.d, 1 / Math.sqrt(s.d));
  const targets = vector(s.N);
  const labels = Float64Array.from({ length: s.N }, () => (rand() > 0 ? 1 : -1));
  const oneHot = matrix(s.N, s.c);
  for (let i = 0; i < s.N; i++) oneHot.data[i * s.c + Math.floor((rand() + 0.5) * s.c)] = 1;
  return {
    sizes: s,
    p1: { w, b: 0.1, X, y: targets },
    p2: { w, b: 0.1, X, y: labels },
    p3: {
      W1: mat(s.hidden, s.d, 2 / Math.sqrt(s.d)),
      b1: vector(s.hidden, 0.2),
      W2: mat(s.c, s.hidden, 2 / Math.sqrt(s.hidden)),
      b2: vector(s.c, 0.2),
      X,
      Y: mat(s.N, s.c),
    },
    p4: { w, b: 0.1, X, y: targets },
    p5: { W: mat(s.c, s.d, 2 / Math.sqrt(s.d)), X, T: oneHot },
  };
}
