// The scheduling stage: which values are inlined into their consumer's
// formula, which element-wise computations share a loop, where blocks begin —
// decided on the IR alone.

import { describe, expect, it } from "vitest";
import { analyze } from "../compiler/compile.js";
import type { Instr, Names } from "../compiler/ir.js";
import { primitives, type Op } from "../compiler/primitives.js";
import { printers } from "../compiler/print-ops.js";
import { schedule, type RowMember, type Step } from "../compiler/schedule.js";
import { primary } from "../compiler/ts-syntax.js";

let names: Names = (v) => `v${v.id}`;

function valueSchedule(source: string) {
  const { functions, sink } = analyze(source, "s.grad");
  expect(sink.diagnostics).toEqual([]);
  const { value, lowered } = functions[functions.length - 1]!;
  names = lowered.values.nameOf;
  return schedule(value.body, value.outputs, (v) => lowered.values.isSourceNamed(v));
}

/** Steps as short strings: `block 2`, `stmt u`, `loop[n] store:u sumChain:s`. */
function describe_(steps: readonly Step[]): string[] {
  return steps.map((s) => {
    if (s.kind === "block") return `block ${s.origin.line}`;
    if (s.kind === "statement") return `stmt ${names(s.instr.result)}`;
    if (s.kind === "rows") {
      const member = (m: RowMember) =>
        m.kind === "block"
          ? `block ${m.origin.line}`
          : m.kind === "element"
            ? `${m.member.kind}:${names(m.member.instr.result)}`
            : `${m.kind}:${names(m.instr.result)}`;
      return `rows[${s.rows}] ${s.members.map(member).join(" ")}`;
    }
    return `loop[${s.shape.join(",")}] ${s.members.map((m) => `${m.kind}:${names(m.instr.result)}`).join(" ")}`;
  });
}

const name = (i: Instr) => names(i.result);

describe("schedule", () => {
  it("inlines an element-wise chain into one loop, and a sum of it into that loop", () => {
    const s = valueSchedule("fn f(x: real[n], y: real[n]) = sum(exp(x) * y + 1)");
    expect(describe_(s.steps)).toEqual(["block 1", "loop[n] sumChain:value"]);
    // exp(x), exp(x) * y and + 1 are written into the sum's formula.
    expect([...s.inlined.values()].map(name)).toEqual(["exp_x", "exp_x_times_y", "exp_x_times_y_plus_1"]);
  });

  it("gives a value used twice a statement (or loop member) of its own", () => {
    const s = valueSchedule("fn f(x: real[n]) -> real[n] {\n  u = exp(x)\n  return u * u\n}");
    expect(describe_(s.steps)).toEqual(["block 2", "loop[n] store:u", "block 3", "loop[n] store:value"]);
    expect(s.inlined.size).toBe(0);
  });

  it("lets loops over the same elements share one, but not read a sum still being accumulated", () => {
    const s = valueSchedule(
      "fn f(x: real[n]) -> real {\n  a = sum(x^2)\n  b = sum(x * a)\n  c = sum(exp(x)) + sum(x^3)\n  return a + b + c\n}",
    );
    const loops = s.steps.filter((st) => st.kind === "loop");
    // b reads a: a new loop; the two sums of line 4 share one.
    expect(describe_(loops)).toEqual([
      "loop[n] sumChain:a",
      "loop[n] sumChain:b",
      "loop[n] sumChain:sum_exp_x sumChain:sum_x_cubed",
    ]);
  });

  it("lets a sum of an array join the loop that produces the array", () => {
    // exp(x) and its sum are each used twice (CSE), so both are kept; the sum accumulates in
    // the loop that stores exp(x).
    const s = valueSchedule("fn f(x: real[n]) = sum(exp(x)) * sum(exp(x)) + exp(x)[0]");
    expect(describe_(s.steps)).toEqual(["block 1", "loop[n] store:exp_x sumArray:sum_exp_x", "stmt value"]);
  });

  /** The schedule of the gradient program of the first function of `source`. */
  function gradSchedule(source: string) {
    const { functions, sink } = analyze(source, "s.grad");
    expect(sink.diagnostics).toEqual([]);
    const { grad, lowered } = functions[0]!;
    names = lowered.values.nameOf;
    return schedule(grad!.program.body, grad!.program.outputs, (v) => lowered.values.isSourceNamed(v));
  }

  it("reads a vector filled out along an axis element by element, filling no array", () => {
    // The derivative of a row sum spreads each row's adjoint w_i over the row's columns.
    const s = gradSchedule("fn f(Z: real[m, n], w: real[m]) = sum(w * sum(Z^2, axis=1))");
    const broadcasts = [...s.inlined.values()].filter((i) => i.op === "broadcast");
    expect(broadcasts.length).toBeGreaterThan(0);
    for (const step of s.steps) if (step.kind === "statement") expect(step.instr.op).not.toBe("broadcast");
  });

  it("takes logsumexp's exponentials once: its kernel also writes the softmax its derivative reads", () => {
    for (const source of [
      "fn f(Z: real[m, n], T: real[m, n]) = mean(logsumexp(Z, axis=1) - sum(T * Z, axis=1))",
      "fn f(Z: real[m, n]) = sum(logsumexp(Z, axis=0)^2)",
      "fn f(x: real[n]) = logsumexp(x) * sum(x)",
    ]) {
      const s = gradSchedule(source);
      expect([...s.exponentials.keys()].length, source).toBe(1);
      const [lse, exponentials] = [...s.exponentials][0]!;
      expect(exponentials.op).toBe("exp");
      // Neither exp(x − lse) nor x − lse is computed on its own, nor written into a formula.
      const computed = [
        ...s.steps.flatMap((step) =>
          step.kind === "statement"
            ? [step.instr]
            : step.kind === "loop"
              ? step.members.map((m) => m.instr)
              : [],
        ),
        ...s.inlined.values(),
      ].map((i) => i.result.id);
      expect(computed).not.toContain(exponentials.result.id);
      expect(computed).not.toContain(exponentials.args[0]!.id);
      expect(computed).toContain(lse);
    }
  });

  it("leaves constants and dimensions to be printed where they are used", () => {
    const s = valueSchedule("fn f(x: real[n]) = sum(x) / n + 2");
    expect([...s.leaves.values()].map((i) => i.op).sort()).toEqual(["const", "dim"]);
  });

  it("does not inline into an operand a guarded product reads twice", () => {
    // The guard of g === 0 ? 0 : d * g would compute an inlined g twice.
    for (const op of Object.keys(primitives) as Op[]) {
      const printer = printers[op];
      if (printer.kind !== "elementwise") continue;
      const arity = primitives[op].arity as number;
      const marker = "\u0000";
      for (let k = 0; k < arity; k++) {
        const formula = printer.scalar(
          Array.from({ length: arity }, (_, j) => primary(j === k ? marker : "x")),
          {
            helper: (h) => h,
            dim: (d) => String(d),
            into: () => undefined,
            exponentialsOf: () => undefined,
            functionFor: () => "f",
            once: (code) => code,
          },
        ).text;
        const reads = formula.split(marker).length - 1;
        const guarded = primitives[op].guarded?.includes(k) === true;
        expect(reads, `${op} reads operand ${k}`).toBe(guarded ? 2 : 1);
      }
    }
  });
});
