import { describe, expect, it } from "vitest";
import { load } from "./support/load.js";

describe("smoke", () => {
  it("f(x, y) = 3x^2y", async () => {
    const m = await load("fn f(x: real, y: real) = 3 * x^2 * y");
    expect(m.f!(2, 3)).toBe(36);
    expect(m.fGrad!(2, 3)).toEqual({ value: 36, grad: { x: 36, y: 12 } });
  });
});
