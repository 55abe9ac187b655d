// Workspaces: `f` and `fGrad` keep their temporaries in buffers reused between calls, and
// given the caller's Workspace they return its arrays. Checked on the benchmark's two-layer
// perceptron and softmax cross-entropy (every product kernel, transposed operands, fused loops)
// against the code compiled without workspaces (the same math with fresh arrays), at sizes
// around the kernels' blocks of 4, with sizes changing between calls.

import { describe, expect, it } from "vitest";
import { matrix, Workspace, type Matrix } from "../runtime/index.js";
import { load, type GeneratedModule } from "./support/load.js";

const source = `
fn mlp(W1: real[h, d], b1: real[h], W2: real[c, h], b2: real[c], X: real[N, d], Y: real[N, c]) -> real {
  H = relu(X @ W1' + b1)
  out = H @ W2' + b2
  return mean((out - Y)^2)
}
fn predict(W: real[c, d], x: real[d]) = softmax(W @ x)
fn crossEntropy(W: real[c, d], X: real[N, d], T: real[N, c]) -> real wrt W {
  Z = X @ W'
  return mean(logsumexp(Z, axis=1) - sum(T * Z, axis=1))
}
`;

function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a * 1103515245 + 12345) % 2147483648;
    return a / 2147483648 - 0.5;
  };
}
const rand = random(7);
const vector = (n: number) => Float64Array.from({ length: n }, rand);
const mat = (rows: number, cols: number) => matrix(rows, cols, vector(rows * cols));

/** Every number of a gradient result, flattened. */
function numbers(result: { value: number; grad: Record<string, number | Float64Array | Matrix> }): number[] {
  const entries = Object.values(result.grad).flatMap((g) =>
    typeof g === "number" ? [g] : Array.from(g instanceof Float64Array ? g : g.data),
  );
  return [result.value, ...entries];
}

describe("workspaces", async () => {
  const m: GeneratedModule = await load(source, { modes: ["grad", "vjp"] });
  const sizes = [1, 3, 4, 5, 7, 9, 3];

  it("give the results of fresh arrays, call after call, as the sizes change", () => {
    const workspace = new Workspace();
    for (const N of sizes) {
      const [d, h, c] = [N + 2, N + 1, 3];
      const args = [mat(h, d), vector(h), mat(c, h), vector(c), mat(N, d), mat(N, c)];
      // The forward and backward passes compute the same math with new arrays.
      const { value, tape } = m.mlpForward(...args);
      const reference = [value, ...numbers({ value, grad: m.mlpBackward(tape, 1) }).slice(1)];
      expect(numbers(m.mlpGrad(...args))).toEqual(reference);
      expect(numbers(m.mlpGrad(...args, workspace))).toEqual(reference);
      expect(m.mlp(...args)).toBe(value);
      expect(m.mlp(...args, workspace)).toBe(value);
    }
  });

  it("return new arrays without one, and the workspace's own with one", () => {
    const args = [mat(5, 4), mat(7, 4), mat(7, 5)];
    const [first, second] = [m.crossEntropyGrad(...args), m.crossEntropyGrad(...args)];
    expect(first.grad.W).not.toBe(second.grad.W);
    expect(first.grad.W.data).not.toBe(second.grad.W.data);
    const workspace = new Workspace();
    const [a, b] = [m.crossEntropyGrad(...args, workspace), m.crossEntropyGrad(...args, workspace)];
    expect(a.grad.W).toBe(b.grad.W);
    expect(Array.from(b.grad.W.data)).toEqual(Array.from(first.grad.W.data));
    // A second workspace holds results of its own.
    expect(m.crossEntropyGrad(...args, new Workspace()).grad.W).not.toBe(a.grad.W);
  });

  it("serve every function of a module: a value call neither reallocates nor overwrites a gradient", () => {
    const args = [mat(5, 4), vector(5), mat(3, 5), vector(3), mat(6, 4), mat(6, 3)];
    const workspace = new Workspace();
    const first = m.mlpGrad(...args, workspace);
    const kept = Array.from(first.grad.W1.data);
    const value = m.mlp(...args, workspace);
    expect(Array.from(first.grad.W1.data)).toEqual(kept);
    const second = m.mlpGrad(...args, workspace);
    expect(second.grad.W1).toBe(first.grad.W1);
    expect(m.mlp(...args, workspace)).toBe(value);
    // Each function has its own part of the workspace; another source function, another part.
    expect(workspace.part(0)).not.toBe(workspace.part(1));
    expect(workspace.part(1).matrix(0, 1, 1)).toBe(workspace.part(1).matrix(0, 1, 1));
  });

  it("serve value functions too", () => {
    const [W, x] = [mat(3, 4), vector(4)];
    const workspace = new Workspace();
    const p = Array.from(m.predict(W, x, workspace));
    expect(Array.from(m.predict(W, x, workspace))).toEqual(p);
    expect(Array.from(m.predict(W, x))).toEqual(p);
    // A function of a number result keeps only its temporaries there.
    const args = [mat(2, 3), vector(2), mat(3, 2), vector(3), mat(5, 3), mat(5, 3)];
    expect(m.mlp(...args, workspace)).toBe(m.mlp(...args));
  });

  it("are checked: anything else is a ShapeError naming the parameter", () => {
    const args = [mat(5, 4), mat(7, 4), mat(7, 5)];
    expect(() => m.crossEntropyGrad(...args, 1)).toThrow(expect.objectContaining({ name: "ShapeError" }));
    expect(() => m.crossEntropyGrad(...args, {})).toThrow("workspace must be a Workspace, got Object");
  });
});
