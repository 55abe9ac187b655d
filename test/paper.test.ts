// Every worked example of Parr & Howard that fits scalars and vectors
// (examples/paper.grad), checked against the paper's closed forms.

import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { load, type GeneratedModule } from "./support/load.js";
import { random, randomVector, uniform } from "./support/numeric.js";

let m: GeneratedModule;
beforeAll(async () => {
  const source = readFileSync(new URL("../examples/paper.grad", import.meta.url), "utf8");
  m = await load(source, { filename: "paper.grad" });
});

const points = [-1.7, -0.3, 0.4, 1.3, 2.5];
const close = (a: number, b: number) => expect(a).toBeCloseTo(b, 10);
const closeAll = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) expect(a[i]!).toBeCloseTo(b[i]!, 10);
};

/** The Jacobian of a vector-valued function, one reverse sweep per output with a unit seed. */
function jacobianByRows(forward: (...a: unknown[]) => any, backward: (...a: unknown[]) => any, args: unknown[], param: string): number[][] {
  const { value, tape } = forward(...args);
  const outputs = (value as Float64Array).length;
  return Array.from({ length: outputs }, (_, i) => {
    const seed = new Float64Array(outputs);
    seed[i] = 1;
    const row = backward(tape, seed)[param];
    return typeof row === "number" ? [row] : Array.from(row as Float64Array);
  });
}

const diag = (v: ArrayLike<number>) =>
  Array.from({ length: v.length }, (_, i) => Array.from({ length: v.length }, (_, j) => (i === j ? v[i]! : 0)));

describe("scalar derivative rules", () => {
  it.each(points)("d/dx 3x = 3, x³ → 3x², x² + 3x → 2x + 3, 9(x + x²) → 9 + 18x at x = %d", (x) => {
    close(m.times3Grad!(x).grad.x, 3);
    close(m.cubeGrad!(x).grad.x, 3 * x ** 2);
    close(m.quadraticGrad!(x).grad.x, 2 * x + 3);
    close(m.nineTimesGrad!(x).grad.x, 9 + 18 * x);
    close(m.nineTimes!(x), 9 * (x + x ** 2));
  });
  it.each(points)("d/dx ln(x²) = 2/x at x = %d", (x) => {
    close(m.logSquare!(x), Math.log(x * x));
    close(m.logSquareGrad!(x).grad.x, 2 / x);
  });
});

describe("partial derivatives and gradients", () => {
  const pairs = [[1, 2], [-0.5, 1.5], [2, -1], [0.3, 0.7]] as const;
  it.each(pairs)("∇f = [6yx, 3x²] for f = 3x²y at (%d, %d)", (x, y) => {
    const { value, grad } = m.fGrad!(x, y);
    close(value, 3 * x * x * y);
    close(grad.x, 6 * y * x);
    close(grad.y, 3 * x * x);
  });
  it.each(pairs)("∇g = [2, 8y⁷] for g = 2x + y⁸ at (%d, %d)", (x, y) => {
    const { value, grad } = m.gGrad!(x, y);
    close(value, 2 * x + y ** 8);
    close(grad.x, 2);
    close(grad.y, 8 * y ** 7);
  });
  it.each(pairs)("the Jacobian of [f, g] is [[6yx, 3x²], [2, 8y⁷]] at (%d, %d)", (x, y) => {
    const v = Float64Array.of(x, y);
    closeAll(m.fg!(v), [3 * x * x * y, 2 * x + y ** 8]);
    const J = jacobianByRows(m.fgForward, m.fgBackward, [v], "v");
    closeAll(J[0]!, [6 * y * x, 3 * x * x]);
    closeAll(J[1]!, [2, 8 * y ** 7]);
  });
});

describe("the single-variable chain rule", () => {
  it.each(points)("d/dx sin(x²) = 2x cos(x²) at x = %d", (x) => {
    close(m.sinSquare!(x), Math.sin(x * x));
    close(m.sinSquareGrad!(x).grad.x, 2 * x * Math.cos(x * x));
  });
  it.each([0.3, 0.8, 1.1, -0.6])("d/dx ln(sin(x³)²) = 6x² cos(x³)/sin(x³) at x = %d", (x) => {
    close(m.logSinCube!(x), Math.log(Math.sin(x ** 3) ** 2));
    close(m.logSinCubeGrad!(x).grad.x, (6 * x * x * Math.cos(x ** 3)) / Math.sin(x ** 3));
  });
});

describe("the total-derivative rule", () => {
  it.each(points)("y = x + x²: dy/dx = 1 + 2x at x = %d", (x) => {
    close(m.totalGrad!(x).grad.x, 1 + 2 * x);
    // Through forward/backward as well: the adjoint of x sums both of its uses.
    const { value, tape } = m.totalForward!(x);
    close(value, x + x * x);
    close(m.totalBackward!(tape, 1).x, 1 + 2 * x);
    close(m.totalBackward!(tape, 2.5).x, 2.5 * (1 + 2 * x));
  });
  it.each(points)("d/dx sin(x + x²) = cos(x + x²)(1 + 2x), d/dx x·x² = 3x² at x = %d", (x) => {
    close(m.sinTotalGrad!(x).grad.x, Math.cos(x + x * x) * (1 + 2 * x));
    close(m.productGrad!(x).grad.x, 3 * x * x);
  });
});

describe("the vector chain rule", () => {
  it.each(points)("y = [ln(x²), sin(3x)]: ∂y/∂x = [2/x, 3 cos(3x)]ᵀ at x = %d", (x) => {
    closeAll(m.vectorChain!(x), [Math.log(x * x), Math.sin(3 * x)]);
    const J = jacobianByRows(m.vectorChainForward, m.vectorChainBackward, [x], "x");
    expect(J.map((row) => row[0]!)).toHaveLength(2);
    close(J[0]![0]!, 2 / x);
    close(J[1]![0]!, 3 * Math.cos(3 * x));
  });
});

describe("element-wise binary operators have diagonal Jacobians", () => {
  const rand = random(7);
  const n = 4;
  const w = randomVector(rand, n);
  const x = randomVector(rand, n, 0.5, 2);
  const identity = diag(new Float64Array(n).fill(1));
  const minusIdentity = diag(new Float64Array(n).fill(-1));
  const expectMatrix = (a: number[][], b: number[][]) => a.forEach((row, i) => closeAll(row, b[i]!));

  it("w + x: ∂/∂w = I, ∂/∂x = I", () => {
    expectMatrix(jacobianByRows(m.vaddForward, m.vaddBackward, [w, x], "w"), identity);
    expectMatrix(jacobianByRows(m.vaddForward, m.vaddBackward, [w, x], "x"), identity);
  });
  it("w − x: ∂/∂w = I, ∂/∂x = −I", () => {
    expectMatrix(jacobianByRows(m.vsubForward, m.vsubBackward, [w, x], "w"), identity);
    expectMatrix(jacobianByRows(m.vsubForward, m.vsubBackward, [w, x], "x"), minusIdentity);
  });
  it("w ⊙ x: ∂/∂w = diag(x), ∂/∂x = diag(w)", () => {
    expectMatrix(jacobianByRows(m.vmulForward, m.vmulBackward, [w, x], "w"), diag(x));
    expectMatrix(jacobianByRows(m.vmulForward, m.vmulBackward, [w, x], "x"), diag(w));
  });
  it("w ⊘ x: ∂/∂w = diag(1/x), ∂/∂x = diag(−w/x²)", () => {
    expectMatrix(jacobianByRows(m.vdivForward, m.vdivBackward, [w, x], "w"), diag(x.map((xi) => 1 / xi)));
    expectMatrix(
      jacobianByRows(m.vdivForward, m.vdivBackward, [w, x], "x"),
      diag(x.map((xi, i) => -w[i]! / (xi * xi))),
    );
  });
});

describe("scalar expansion", () => {
  const rand = random(11);
  const x = randomVector(rand, 5);
  const z = uniform(rand, -2, 2);
  it("x + z: ∂/∂x = I, ∂/∂z = 1⃗", () => {
    const J = jacobianByRows(m.addScalarForward, m.addScalarBackward, [x, z], "x");
    J.forEach((row, i) => closeAll(row, diag(new Float64Array(5).fill(1))[i]!));
    const dz = jacobianByRows(m.addScalarForward, m.addScalarBackward, [x, z], "z");
    closeAll(dz.map((row) => row[0]!), new Float64Array(5).fill(1));
  });
  it("x z: ∂/∂x = I z, ∂/∂z = x", () => {
    const J = jacobianByRows(m.mulScalarForward, m.mulScalarBackward, [x, z], "x");
    J.forEach((row, i) => closeAll(row, diag(new Float64Array(5).fill(z))[i]!));
    const dz = jacobianByRows(m.mulScalarForward, m.mulScalarBackward, [x, z], "z");
    closeAll(dz.map((row) => row[0]!), x);
  });
});

describe("vector sum reduction and the dot product", () => {
  const rand = random(13);
  const x = randomVector(rand, 6);
  const w = randomVector(rand, 6);
  const z = uniform(rand, -2, 2);
  it("y = sum(x): ∇ₓ y = 1⃗ᵀ", () => {
    const { value, grad } = m.total1Grad!(x);
    close(value, x.reduce((a, b) => a + b, 0));
    closeAll(grad.x, new Float64Array(6).fill(1));
  });
  it("y = sum(x z): ∇ₓ y = [z, …, z], ∂y/∂z = sum(x)", () => {
    const { grad } = m.sumScaledGrad!(x, z);
    closeAll(grad.x, new Float64Array(6).fill(z));
    close(grad.z, x.reduce((a, b) => a + b, 0));
  });
  it("y = w · x: ∂y/∂w = xᵀ, ∂y/∂x = wᵀ", () => {
    const { value, grad } = m.dotProductGrad!(w, x);
    close(value, w.reduce((acc, wi, i) => acc + wi * x[i]!, 0));
    closeAll(grad.w, x);
    closeAll(grad.x, w);
  });
});

describe("the gradient of neuron activation max(0, w · x + b)", () => {
  const rand = random(17);
  it.each(Array.from({ length: 8 }, (_, k) => k))("sample %d: ∂/∂w = xᵀ and ∂/∂b = 1 if z > 0, else 0⃗ᵀ and 0", () => {
    const n = 5;
    const w = randomVector(rand, n);
    const x = randomVector(rand, n);
    const b = uniform(rand, -1, 1);
    const z = w.reduce((acc, wi, i) => acc + wi * x[i]!, 0) + b;
    const { value, grad } = m.activationGrad!(w, b, x);
    close(value, Math.max(0, z));
    expect(Object.keys(grad)).toEqual(["w", "b"]);
    closeAll(grad.w, z > 0 ? x : new Float64Array(n));
    expect(grad.b).toBe(z > 0 ? 1 : 0);
  });
  it("at z = 0 exactly, the derivative is 0 (max(0, z) gives ties to the constant)", () => {
    const w = Float64Array.of(1, 0);
    const x = Float64Array.of(2, 5);
    const { value, grad } = m.activationGrad!(w, -2, x);
    expect(value).toBe(0);
    expect(Array.from(grad.w)).toEqual([0, 0]);
    expect(grad.b).toBe(0);
  });
});

describe("the gradient of the neural network loss function", () => {
  const rand = random(23);
  it.each([0, 1, 2, 3])("batch %d: ∂C/∂w = 2/N Σ eᵢ xᵢᵀ and ∂C/∂b = 2/N Σ eᵢ over the active samples", () => {
    const N = 12;
    const d = 3;
    const X = { rows: N, cols: d, data: randomVector(rand, N * d) };
    const w = randomVector(rand, d);
    const b = uniform(rand, -0.5, 0.5);
    const y = randomVector(rand, N);
    const dw = new Float64Array(d);
    let db = 0;
    let C = 0;
    for (let i = 0; i < N; i++) {
      const xi = X.data.subarray(i * d, (i + 1) * d);
      const z = xi.reduce((acc, v, k) => acc + v * w[k]!, 0) + b;
      C += (y[i]! - Math.max(0, z)) ** 2 / N;
      if (z <= 0) continue;
      const e = z - y[i]!;
      xi.forEach((v, k) => (dw[k] = dw[k]! + ((2 / N) * e * v)));
      db += (2 / N) * e;
    }
    const { value, grad } = m.lossGrad!(w, b, X, y);
    close(value, C);
    closeAll(grad.w, dw);
    close(grad.b, db);
  });
});

describe("[x², x³] · [[1, 2], [3, 4]] · [x², x³]", () => {
  it.each(points)("d/dx = 4x³ + 25x⁴ + 24x⁵ at x = %d", (x) => {
    close(m.quadraticForm!(x), x ** 4 + 5 * x ** 5 + 4 * x ** 6);
    close(m.quadraticFormGrad!(x).grad.x, 4 * x ** 3 + 25 * x ** 4 + 24 * x ** 5);
  });
});
