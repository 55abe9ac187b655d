// The middle end takes functions of any number of results (the language's tuple results build
// on it): reverse mode takes one seed per result, forward mode gives one tangent per result,
// and the forward/backward split carries them all. Checked numerically on the polar
// coordinates of (x, y) — r = hypot(x, y), θ = atan2(y, x) — by interpreting the programs.

import { describe, expect, it } from "vitest";
import { analyze } from "../compiler/compile.js";
import { deriveFunction } from "../compiler/derive.js";
import type { Instr, Value } from "../compiler/ir.js";
import type { LoweredFunction } from "../compiler/lower.js";
import { primitiveOf } from "../compiler/primitives.js";

/** Runs a straight-line program of scalars: each instruction by its primitive's `evaluate`. */
function run(
  body: readonly Instr[],
  inputs: ReadonlyMap<Value, number>,
  outputs: readonly Value[],
): number[] {
  const env = new Map([...inputs].map(([v, x]) => [v.id, x]));
  for (const instr of body) {
    const value =
      instr.op === "const"
        ? instr.attrs.value
        : primitiveOf(instr).evaluate!(...instr.args.map((a) => env.get(a.id)!));
    env.set(instr.result.id, value);
  }
  return outputs.map((o) => env.get(o.id)!);
}

/** The polar function, lowered as one result r + θ and then given the two results (r, θ). */
function polar() {
  const source =
    "fn polar(x: real, y: real) -> real {\n  r = hypot(x, y)\n  theta = atan2(y, x)\n  return r + theta\n}";
  const { functions } = analyze(source, "polar.grad", ["vjp", "jvp"]);
  const { checked, lowered } = functions[0]!;
  const resultOf = (op: string) => lowered.ir.body.find((i) => i.op === op)!.result;
  const outputs = [
    { name: "r", value: resultOf("hypot") },
    { name: "theta", value: resultOf("atan2") },
  ];
  const twoResults: LoweredFunction = { ...lowered, ir: { ...lowered.ir, outputs } };
  return deriveFunction(checked, twoResults, new Set(["vjp", "jvp"]));
}

describe("functions of several results", () => {
  const fn = polar();
  const [x, y] = [3, -4];
  const r = Math.hypot(x, y);
  // ∇r = (x, y) / r and ∇θ = (−y, x) / r².
  const gradR = [x / r, y / r];
  const gradTheta = [-y / (r * r), x / (r * r)];
  const params = fn.lowered.ir.params;
  const inputs = new Map([
    [params[0]!, x],
    [params[1]!, y],
  ]);

  it("computes every result", () => {
    expect(run(fn.value.body, inputs, fn.value.outputs)).toEqual([5, Math.atan2(y, x)]);
  });

  it("pulls one seed per result back through the split forward and backward passes", () => {
    const split = fn.split!;
    expect(split.seeds.map((s) => fn.lowered.values.nameOf(s))).toEqual(["seed0", "seed1"]);
    const forward = run(split.forward.body, inputs, [...split.values, ...split.tape]);
    expect(forward.slice(0, 2)).toEqual([5, Math.atan2(y, x)]);
    const [s0, s1] = [0.5, -2];
    const backwardInputs = new Map<Value, number>([
      [split.seeds[0]!, s0],
      [split.seeds[1]!, s1],
      ...split.tape.map((v, k) => [v, forward[2 + k]!] as [Value, number]),
    ]);
    const grads = run(split.backward.body, backwardInputs, split.backward.outputs);
    // The VJP of the tuple: s0 ∇r + s1 ∇θ.
    grads.forEach((g, k) => expect(g).toBeCloseTo(s0 * gradR[k]! + s1 * gradTheta[k]!, 12));
  });

  it("pushes one direction forward to one tangent per result", () => {
    const jvp = fn.jvp!;
    const [dx, dy] = [0.25, 1.5];
    const withDirections = new Map([
      ...inputs,
      [jvp.directions[0]!.value, dx],
      [jvp.directions[1]!.value, dy],
    ]);
    const out = run(jvp.program.body, withDirections, jvp.program.outputs);
    expect(jvp.values).toHaveLength(2);
    expect(jvp.tangents).toHaveLength(2);
    const at = (v: Value) => out[jvp.program.outputs.indexOf(v)]!;
    expect(at(jvp.tangents[0]!)).toBeCloseTo(gradR[0]! * dx + gradR[1]! * dy, 12);
    expect(at(jvp.tangents[1]!)).toBeCloseTo(gradTheta[0]! * dx + gradTheta[1]! * dy, 12);
  });
});
