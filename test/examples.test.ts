// The examples users run: their generated modules are committed and current,
// and the least-squares training script converges to the exact solution.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { compileOrThrow } from "./support/load.js";
import { exactFit, fit, makeData } from "../examples/least-squares.js";
import { f, fBackward, fForward, fGrad } from "../examples/paper.grad.js";

const root = fileURLToPath(new URL("..", import.meta.url));

describe("examples", () => {
  const sources = ["examples", "bench"].flatMap((dir) =>
    readdirSync(join(root, dir))
      .filter((name) => name.endsWith(".grad"))
      .map((name) => `${dir}/${name}`),
  );

  it.each(sources)("%s.ts is up to date (run `npm run examples`)", async (path) => {
    const source = readFileSync(join(root, path), "utf8");
    // The benchmark (its own package, bench/package.json) also times Hessians, and imports the
    // runtime's sources.
    const bench = path.startsWith("bench/")
      ? { modes: ["grad", "vjp", "hessian"] as const, runtimeImport: "../runtime/index.js" }
      : {};
    const expected = await compileOrThrow(source, { format: true, filename: path, ...bench });
    expect(readFileSync(join(root, `${path}.ts`), "utf8")).toBe(expected);
  });

  it("paper.grad.ts gives f(x, y) = 3x²y and its gradient [6yx, 3x²] to a TypeScript program", () => {
    expect(f(2, 3)).toBe(36);
    expect(fGrad(2, 3)).toEqual({ value: 36, grad: { x: 36, y: 12 } });
    const { value, tape } = fForward(2, 3);
    expect(value).toBe(36);
    expect(fBackward(tape, 1)).toEqual({ x: 36, y: 12 });
    expect(fBackward(tape, 0.5)).toEqual({ x: 18, y: 6 });
  });

  it("least squares: gradient descent cuts the loss 1000-fold and reaches the exact solution", () => {
    const { t, y } = makeData(200);
    const result = fit(t, y, 2000, 0.05);
    const first = result.losses[0]!;
    const last = result.losses[result.losses.length - 1]!;
    expect(last).toBeLessThan(first / 1000);
    const [a, b, c] = exactFit(t, y);
    expect(result.a).toBeCloseTo(a, 4);
    expect(result.b).toBeCloseTo(b, 4);
    expect(result.c).toBeCloseTo(c, 4);
  });
});
