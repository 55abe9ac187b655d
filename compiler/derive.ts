// Builds the straight-line programs behind each generated export of a
// function: the value, the gradient (forward and backward fused, seed 1), and
// the forward/backward pair with the tape between them.

import type { ValueFactory } from "./builder.js";
import type { CheckedFunction } from "./check.js";
import type { Instr, Value } from "./ir.js";
import type { LoweredFunction } from "./lower.js";
import { eliminateDeadCode, optimize, type Program } from "./optimize.js";
import { reverse } from "./reverse.js";

export interface GradientProgram {
  readonly program: Program;
  readonly value: Value;
  readonly gradients: readonly {
    readonly name: string;
    readonly value: Value;
  }[];
}

export interface SplitPrograms {
  readonly forward: Program;
  readonly backward: Program;
  readonly value: Value;
  readonly seed: Value;
  readonly gradients: readonly {
    readonly name: string;
    readonly value: Value;
  }[];
  /** Parameters and forward values the backward pass reads, in definition order. */
  readonly tape: readonly Value[];
}

export interface DerivedFunction {
  readonly checked: CheckedFunction;
  readonly lowered: LoweredFunction;
  readonly value: Program;
  /** Only for functions with a scalar result. */
  readonly grad: GradientProgram | undefined;
  readonly split: SplitPrograms;
}

export function deriveFunction(checked: CheckedFunction, lowered: LoweredFunction): DerivedFunction {
  const { ir, values } = lowered;
  const result = ir.outputs[0]!.value;
  const value = optimize({ body: ir.body, outputs: [result] }, values);
  const grad = checked.resultShape.length === 0 ? gradient(lowered, checked.wrt, values) : undefined;
  return {
    checked,
    lowered,
    value,
    grad,
    split: split(lowered, checked.wrt, values),
  };
}

function joint(lowered: LoweredFunction, wrt: readonly string[], seed: Value, seedInstrs: readonly Instr[]) {
  const { ir, values } = lowered;
  const backward = reverse(ir, wrt, seed, values);
  const outputs = [ir.outputs[0]!.value, ...backward.gradients.map((g) => g.value)];
  const program = optimize({ body: [...seedInstrs, ...ir.body, ...backward.body], outputs }, values);
  const [value, ...grads] = program.outputs as [Value, ...Value[]];
  const gradients = backward.gradients.map((g, i) => ({
    name: g.name,
    value: grads[i]!,
  }));
  return { program, value, gradients };
}

function gradient(lowered: LoweredFunction, wrt: readonly string[], values: ValueFactory): GradientProgram {
  const seedInstr: Instr = {
    result: values.make([], "seed"),
    op: "const",
    args: [],
    attrs: { value: 1 },
    origin: undefined,
  };
  return joint(lowered, wrt, seedInstr.result, [seedInstr]);
}

function split(lowered: LoweredFunction, wrt: readonly string[], values: ValueFactory): SplitPrograms {
  const result = lowered.ir.outputs[0]!.value;
  const seed = values.make(result.shape, "seed", true);
  const { program, value, gradients } = joint(lowered, wrt, seed, []);
  // The forward pass computes just what the value needs; the rest waits for the seed.
  const forwardBody = eliminateDeadCode(program.body, [value]);
  const inForward = new Set(forwardBody);
  const backwardBody = program.body.filter((instr) => !inForward.has(instr));
  const forwardIds = new Set([...lowered.ir.params, ...forwardBody.map((i) => i.result)].map((v) => v.id));
  const inlined = new Set(
    forwardBody.filter((i) => i.op === "const" || i.op === "dim").map((i) => i.result.id),
  );
  const needed = new Set<number>();
  for (const instr of backwardBody) for (const arg of instr.args) needed.add(arg.id);
  for (const g of gradients) needed.add(g.value.id);
  const tape = [...lowered.ir.params, ...forwardBody.map((i) => i.result)].filter(
    (v) => needed.has(v.id) && forwardIds.has(v.id) && !inlined.has(v.id),
  );
  // Constants the backward pass shares with the forward pass are re-emitted inline.
  const sharedLeaves = forwardBody.filter(
    (i) => (i.op === "const" || i.op === "dim") && needed.has(i.result.id),
  );
  return {
    forward: { body: forwardBody, outputs: [value] },
    backward: {
      body: [...sharedLeaves, ...backwardBody],
      outputs: gradients.map((g) => g.value),
    },
    value,
    seed,
    gradients,
    tape,
  };
}
