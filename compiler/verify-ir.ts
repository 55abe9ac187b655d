// The IR verifier: checks that a program is well formed — every operand is an
// input or defined before its use, every value is defined once, every
// instruction has its primitive's arity, and every result has the shape the
// primitive's shape rule gives for its operands. Passes call `verifyStage`
// after they run; it does nothing unless verification is switched on (the
// test suite switches it on, so every pass is checked on every program the
// tests compile).

import { printInstr, printValue, type Instr, type Names, type Value } from "./ir.js";
import { primitiveOf } from "./primitives.js";
import { shapesEqual } from "./shapes.js";

/** Switched on by the tests (test/support/verify-ir.ts). */
export const verification = { enabled: false };

/** The problems of a straight-line program; empty when it is well formed. */
export function verifyProgram(
  inputs: readonly Value[],
  body: readonly Instr[],
  outputs: readonly Value[],
  names: Names = (v) => `v${v.id}`,
): string[] {
  const problems: string[] = [];
  const defined = new Set(inputs.map((v) => v.id));
  for (const instr of body) {
    const def = primitiveOf(instr);
    const where = `in \`${printInstr(instr, names)}\``;
    for (const arg of instr.args) {
      if (!defined.has(arg.id))
        problems.push(`${printValue(arg, names)} is used before it is defined ${where}`);
    }
    if (def.arity !== "variadic" && def.arity !== instr.args.length) {
      problems.push(`'${instr.op}' takes ${def.arity} operands, has ${instr.args.length} ${where}`);
    }
    if (defined.has(instr.result.id))
      problems.push(`${printValue(instr.result, names)} is defined twice ${where}`);
    defined.add(instr.result.id);
    try {
      const shape = def.shape(
        instr.args.map((a) => a.shape),
        instr.attrs,
      );
      if (!shapesEqual(shape, instr.result.shape)) {
        problems.push(`the result should have shape [${shape.join(", ")}] ${where}`);
      }
    } catch (error) {
      problems.push(`${(error as Error).message} ${where}`);
    }
  }
  for (const out of outputs) {
    if (!defined.has(out.id)) problems.push(`the output ${printValue(out, names)} is never defined`);
  }
  return problems;
}

/** Checks a program after `stage` when verification is on; throws (an internal error) on a problem. */
export function verifyStage(
  stage: string,
  inputs: readonly Value[],
  body: readonly Instr[],
  outputs: readonly Value[],
  names?: Names,
): void {
  if (!verification.enabled) return;
  const problems = verifyProgram(inputs, body, outputs, names);
  if (problems.length > 0) {
    throw new Error(`internal: the IR after ${stage} is malformed:\n  ${problems.join("\n  ")}`);
  }
}
