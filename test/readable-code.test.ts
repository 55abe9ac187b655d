// Generated code that reads like the derivation: checked on the examples' generated files
// (test/examples.test.ts keeps them up to date with the compiler), so these are the lines a
// reader of examples/*.grad.ts sees.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const generated = (name: string) => readFileSync(join(root, "examples", `${name}.grad.ts`), "utf8");

/** The body of the generated function `name`. */
function functionText(code: string, name: string): string {
  const start = code.indexOf(`export function ${name}(`);
  expect(start, name).toBeGreaterThanOrEqual(0);
  return code.slice(start, code.indexOf("\n}\n", start) + 2);
}

/** The lines of `text`, trimmed. */
const lines = (text: string) => text.split("\n").map((l) => l.trim());

describe("generated code reads like the derivation", () => {
  const mlp = generated("mlp");
  const lossGrad = functionText(mlp, "lossGrad");
  const lossBackward = functionText(mlp, "lossBackward");
  const fgBackward = functionText(generated("paper"), "fgBackward");

  it("names temporaries after what they compute, never after an operation or a helper", () => {
    for (const text of [lossGrad, lossBackward, fgBackward]) {
      const declared = [...text.matchAll(/(?:const|let) (\w+) =/g)].map((m) => m[1]!);
      for (const label of [
        "dsum",
        "scaled",
        "scaled_2",
        "product_2",
        "product_3",
        "dadd",
        "dadd_2",
        "mul",
        "mul_2",
      ]) {
        expect(declared).not.toContain(label);
      }
    }
    expect(lossGrad).toContain("let sum_residual_sq = 0;");
    // The tape's fields say what they hold: 3x² (∂f/∂y) and 2x.
    expect(generated("paper")).toMatch(
      /export interface FgTape \{\n {2}readonly y: number;\n {2}readonly x_sq_times_3: number;\n {2}readonly x_times_2: number;\n\}/,
    );
  });

  it("shows a total derivative as the sum of its shares, one per use", () => {
    expect(lossGrad).toMatch(/dw2\[i\] = dw2_penalty\[i\]! \+ dw2_predict\[i\]!;/);
    expect(lossGrad).toMatch(/dW1\.data\[i\] = dW1_penalty\.data\[i\]! \+ dW1_predict\.data\[i\]!;/);
    // Scalars keep a statement per share: dy = dy_g + dy_f (f and g are the functions called).
    expect(lines(fgBackward)).toEqual(
      expect.arrayContaining(["const dy = dy_g + dy_f;", "const dx = dx_g + dx_f;"]),
    );
  });

  it("comments an inlined function's work with its own lines", () => {
    expect(lines(lossGrad)).toContain("// line 25 → predict, line 16: H = tanh(X @ W1 + b1)");
    expect(lines(fgBackward)).toEqual(
      expect.arrayContaining(["//   → g, line 18: 2 * x + y^8", "//   → f, line 17: 3 * x^2 * y"]),
    );
  });

  it("writes each backward statement's chain-rule step above its code", () => {
    const steps = lines(lossBackward);
    const at = steps.indexOf("//   → predict, line 16: H = tanh(X @ W1 + b1)");
    expect(steps.slice(at + 1, at + 3)).toEqual([
      "//     db1 = sum((1 − H²) ⊙ dH, axis=0)",
      "//     dW1 += Xᵀ ((1 − H²) ⊙ dH)",
    ]);
    // += where the value is read elsewhere too: W1 also in the penalty.
    expect(steps).toEqual(
      expect.arrayContaining([
        "// backward through line 26: penalty = lambda * (sum(W1^2) + sum(w2^2))",
        "//   dw2 += 2 lambda dpenalty w2",
        "//   dW1 += 2 lambda dpenalty W1",
        "//     dH = dpredict w2ᵀ",
      ]),
    );
    expect(lines(fgBackward)).toEqual(expect.arrayContaining(["//     dx += 6 x y df", "//   dv += dx e₀"]));
  });

  it("tests a guard shared by a whole loop once, outside it", () => {
    const neuron = readFileSync(join(root, "test/golden/neuron.grad.ts"), "utf8");
    expect(neuron).toContain("if (dz !== 0) for (let i = 0; i < n; i++) dw[i] = x[i]! * dz;");
    expect(neuron).not.toMatch(/dw\[i\] = dz === 0 \? 0/);
  });

  it("leaves no comment without code under it and no double blank line", () => {
    for (const name of ["mlp", "paper", "least-squares", "cars-regression", "iris-softmax"]) {
      const code = generated(name);
      expect(code, name).not.toMatch(/\n\n\n/);
      // A block comment followed directly by a blank line and another comment: an empty block.
      expect(code, name).not.toMatch(/\n {2}\/\/ (?:backward through )?line [^\n]*\n\n {2}\/\/ /);
    }
  });
});
