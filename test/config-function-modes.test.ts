// Modes for single functions (`functionModes` in the API, `functions` in gradc.config): a
// Hessian for the scalar functions of a file only, without GC0302 for the others.

import { describe, expect, it } from "vitest";
import { check, compile } from "../compiler/index.js";

const source = [
  "fn loss(x: real, y: real) = x^2 * y",
  "fn pair(v: real[2]) -> real[2] = v * 2",
  "fn total(x: real, y: real) = loss(x, y) + 1",
  "",
].join("\n");

describe("functionModes", () => {
  it("gives one function its own modes; the others keep the file's, and no GC0302", async () => {
    const { code, diagnostics } = await compile(source, {
      modes: ["grad", "vjp"],
      functionModes: { loss: ["grad", "hessian"] },
    });
    expect(diagnostics).toEqual([]);
    expect(code).toContain("export function lossHessian(");
    expect(code).toContain("export function lossGrad(");
    expect(code).not.toContain("export function lossForward(");
    expect(code).toContain("export function pairForward(");
    expect(code).toContain("export function totalForward(");
    expect(code).not.toContain("export function totalHessian(");
  });

  it("without it, hessian for the whole file warns about the vector function", () => {
    const { diagnostics } = check(source, { modes: ["hessian"] });
    expect(diagnostics.map((d) => [d.code, d.severity, d.message])).toEqual([
      ["GC0302", "warning", "'pair' returns real[2]: Hessians are generated for functions that return real"],
    ]);
  });

  it("a name the file does not define, or a bad mode, is GC0301", async () => {
    const misspelt = await compile(source, { functionModes: { lose: ["hessian"] } });
    expect(misspelt.code).toBeUndefined();
    expect(misspelt.diagnostics.map((d) => [d.code, d.message])).toEqual([
      [
        "GC0301",
        "functionModes names 'lose', which is not a function of the file (it defines 'loss', 'pair', 'total')",
      ],
    ]);
    const badMode = check(source, { functionModes: { loss: ["hessain" as "hessian"] } });
    expect(badMode.diagnostics.map((d) => d.message)).toEqual([
      "unknown mode 'hessain' in functionModes.loss; modes are grad, vjp, jvp, jacobian, hessian",
    ]);
    const notObject = check(source, { functionModes: ["loss"] as never });
    expect(notObject.diagnostics.map((d) => d.message)).toEqual([
      "functionModes must be an object mapping function names to arrays of modes",
    ]);
  });
});
