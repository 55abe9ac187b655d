// Linear regression on real data: predict a car's fuel economy (miles per gallon)
// from its engine and body, with the gradient gradc generated from
// cars-regression.grad. Run it with `npx tsx examples/cars-regression.ts`.
//
// The steps are the ones of any regression project:
//   1. load the data (the "cars" table of the vega-datasets package) and drop
//      the rows with missing values;
//   2. split it into a training set and a test set (seeded, so reproducible);
//   3. standardize the features with the training set's means and deviations;
//   4. minimize the mean squared error by gradient descent with `lossGrad`;
//   5. measure the error (RMSE, in mpg) and R² on both sets.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { matrix, Workspace, type Matrix } from "gradc-runtime";
import { exactWeights, loss, lossGrad, predict } from "./cars-regression.grad.js";

// --- 1. The data ------------------------------------------------------------

/** One row of vega-datasets' cars.json (the UCI "Auto MPG" data, 406 cars from 1970–1982). */
interface Car {
  Name: string;
  Miles_per_Gallon: number | null;
  Cylinders: number;
  Displacement: number;
  Horsepower: number | null;
  Weight_in_lbs: number;
  Acceleration: number;
  Year: string; // "1970-01-01"
  Origin: "USA" | "Europe" | "Japan";
}

/** The features we predict from, in column order. */
export const featureNames = [
  "cylinders",
  "displacement",
  "horsepower",
  "weight",
  "acceleration",
  "model year",
  "made in Europe", // 0/1 indicators; a car made in the USA has both at 0
  "made in Japan",
] as const;

/** A design matrix (one row per car) and its targets. */
export interface Dataset {
  readonly X: Matrix;
  readonly y: Float64Array;
}

/**
 * The cars with complete records: 392 rows, features as in `featureNames`, target in mpg.
 *
 * vega-datasets' JavaScript entry point downloads the files from a CDN; the package also ships
 * them in its `data/` folder, which we read from disk instead (no network needed).
 */
export function loadCars(): Dataset {
  const entry = createRequire(import.meta.url).resolve("vega-datasets"); // .../build/index.js
  const file = join(dirname(entry), "..", "data", "cars.json");
  const cars = (JSON.parse(readFileSync(file, "utf8")) as Car[]).filter(
    (car) => car.Miles_per_Gallon !== null && car.Horsepower !== null,
  );
  const d = featureNames.length;
  const X = matrix(cars.length, d); // all zeros, row-major: X.data[i * d + j] is car i, feature j
  const y = new Float64Array(cars.length);
  cars.forEach((car, i) => {
    const row = [
      car.Cylinders,
      car.Displacement,
      car.Horsepower!,
      car.Weight_in_lbs,
      car.Acceleration,
      Number(car.Year.slice(0, 4)),
      car.Origin === "Europe" ? 1 : 0,
      car.Origin === "Japan" ? 1 : 0,
    ];
    X.data.set(row, i * d);
    y[i] = car.Miles_per_Gallon!;
  });
  return { X, y };
}

// --- 2. A reproducible train/test split ---------------------------------------

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

/** The rows `rows` of a dataset, in that order. */
function takeRows({ X, y }: Dataset, rows: number[]): Dataset {
  const part = matrix(rows.length, X.cols);
  rows.forEach((r, i) => part.data.set(X.data.subarray(r * X.cols, (r + 1) * X.cols), i * X.cols));
  return { X: part, y: Float64Array.from(rows, (r) => y[r]!) };
}

/** Shuffles the rows with a seeded Fisher–Yates shuffle and puts `testFraction` of them aside. */
export function split(data: Dataset, testFraction = 0.2, seed = 1): { train: Dataset; test: Dataset } {
  const random = mulberry32(seed);
  const order = Array.from({ length: data.X.rows }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const testSize = Math.round(testFraction * order.length);
  return { train: takeRows(data, order.slice(testSize)), test: takeRows(data, order.slice(0, testSize)) };
}

// --- 3. Standardization -------------------------------------------------------

/**
 * Rescales every column of the training set to mean 0 and standard deviation 1 (weights in lbs
 * and model years become comparable), and applies the same transformation to the test set.
 * Gradient descent converges far faster on standardized features. The statistics come from the
 * training set only, so nothing about the test set leaks into the model.
 */
export function standardize(train: Matrix, test: Matrix): { train: Matrix; test: Matrix } {
  const cols = train.cols;
  const mean = new Float64Array(cols);
  const std = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    // Column j of a row-major matrix: elements j, j + cols, j + 2·cols, ...
    const column = Array.from({ length: train.rows }, (_, i) => train.data[i * cols + j]!);
    mean[j] = column.reduce((s, x) => s + x, 0) / column.length;
    std[j] = Math.sqrt(column.reduce((s, x) => s + (x - mean[j]!) ** 2, 0) / column.length) || 1;
  }
  // Element e of the data is in column e % cols.
  const apply = (m: Matrix) =>
    matrix(
      m.rows,
      cols,
      m.data.map((x, e) => (x - mean[e % cols]!) / std[e % cols]!),
    );
  return { train: apply(train), test: apply(test) };
}

/** The training and test sets, split and standardized, ready for the model. */
export function prepareData(seed = 1): { train: Dataset; test: Dataset } {
  const { train, test } = split(loadCars(), 0.2, seed);
  const X = standardize(train.X, test.X);
  return { train: { X: X.train, y: train.y }, test: { X: X.test, y: test.y } };
}

// --- 4. Training ---------------------------------------------------------------

/** How well predictions match a dataset. */
export interface Metrics {
  /** Root mean squared error, in miles per gallon. */
  readonly rmse: number;
  /** Coefficient of determination: 1 − (squared error) / (variance of y); 1 is a perfect fit. */
  readonly r2: number;
}

/** Evaluates the model `predict(w, b, X)` (generated from cars-regression.grad) on a dataset. */
export function evaluate(w: Float64Array, b: number, { X, y }: Dataset): Metrics {
  const prediction = predict(w, b, X);
  const meanY = y.reduce((s, v) => s + v, 0) / y.length;
  let squaredError = 0;
  let variance = 0;
  for (let i = 0; i < y.length; i++) {
    squaredError += (prediction[i]! - y[i]!) ** 2;
    variance += (y[i]! - meanY) ** 2;
  }
  return { rmse: Math.sqrt(squaredError / y.length), r2: 1 - squaredError / variance };
}

export interface TrainOptions {
  /** Gradient-descent steps (default 2000). */
  steps?: number;
  /** Step size (default 0.1). */
  learningRate?: number;
  /** Seed of the train/test split (default 1). */
  seed?: number;
}

export interface TrainResult {
  /** Weights, one per standardized feature, and the intercept. */
  readonly w: Float64Array;
  readonly b: number;
  /** The training loss (mean squared error, mpg²) before each step and after the last. */
  readonly losses: number[];
  readonly train: Metrics;
  readonly test: Metrics;
  /** The exact least-squares weights (from the normal equations) and intercept, for comparison. */
  readonly exact: { readonly w: Float64Array; readonly b: number };
}

/** Fits the linear model by plain gradient descent, starting from w = 0, b = 0. */
export function train(options: TrainOptions = {}): TrainResult {
  const { steps = 2000, learningRate = 0.1, seed = 1 } = options;
  const data = prepareData(seed);
  const { X, y } = data.train;

  const w = new Float64Array(X.cols);
  let b = 0;
  const losses: number[] = [];
  // The gradient's arrays live in the workspace, reused every step: no allocation per step.
  const workspace = new Workspace();
  for (let step = 0; step < steps; step++) {
    // One call gives the loss and its gradient: grad.w is a Float64Array like w, grad.b a number.
    const { value, grad } = lossGrad(w, b, X, y, workspace);
    losses.push(value);
    for (let j = 0; j < w.length; j++) w[j]! -= learningRate * grad.w[j]!;
    b -= learningRate * grad.b;
  }
  losses.push(loss(w, b, X, y));

  const meanY = y.reduce((s, v) => s + v, 0) / y.length;
  return {
    w,
    b,
    losses,
    train: evaluate(w, b, data.train),
    test: evaluate(w, b, data.test),
    exact: { w: exactWeights(X, y), b: meanY },
  };
}

// --- 5. Report -----------------------------------------------------------------

function main(): void {
  const steps = 2000;
  const started = performance.now();
  const result = train({ steps });
  const seconds = (performance.now() - started) / 1000;

  console.log("step   training loss (MSE, mpg²)");
  for (const step of [0, 5, 10, 25, 50, 100, 500, steps]) {
    console.log(`${String(step).padStart(4)}   ${result.losses[step]!.toFixed(4)}`);
  }

  console.log("\nweights, in mpg per standard deviation of each feature:");
  console.log("feature          gradient descent     exact");
  const row = (name: string, fitted: number, exact: number) =>
    console.log(`${name.padEnd(16)} ${fitted.toFixed(3).padStart(16)} ${exact.toFixed(3).padStart(9)}`);
  featureNames.forEach((name, j) => row(name, result.w[j]!, result.exact.w[j]!));
  row("intercept", result.b, result.exact.b);
  const gap = Math.max(...result.w.map((wj, j) => Math.abs(wj - result.exact.w[j]!)));
  console.log(`largest |weight − exact|: ${gap.toExponential(1)}`);

  const { train: tr, test: te } = result;
  console.log(`\ntrain: RMSE ${tr.rmse.toFixed(2)} mpg, R² ${tr.r2.toFixed(3)}`);
  console.log(`test:  RMSE ${te.rmse.toFixed(2)} mpg, R² ${te.r2.toFixed(3)}`);
  console.log(`(${steps} steps in ${seconds.toFixed(2)} s)`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main();
