// The IR verifier: checks that a program is well formed — every operand is an
// input or defined before its use (a block sees the values around it, and
// nothing outside a block sees what it defines), every value is defined once,
// every block has the parameters and results its owner declares, every
// instruction has its primitive's arity, and every result has the shape the
// primitive's shape rule gives for its operands. Passes call `verifyStage`
// after they run; it does nothing unless verification is switched on (the
// test suite switches it on, so every pass is checked on every program the
// tests compile).

import { printInstr, printValue, type Instr, type Names, type Value } from "./ir.js";
import { blockMismatch } from "./builder.js";
import { primitiveOf } from "./primitives.js";
import { shapesEqual } from "./shapes.js";

/** Switched on by the tests (test/support/verify-ir.ts). */
export const verification = { enabled: false };

/** The problems of a program; empty when it is well formed. */
export function verifyProgram(
  inputs: readonly Value[],
  body: readonly Instr[],
  outputs: readonly Value[],
  names: Names = (v) => `v${v.id}`,
): string[] {
  const problems: string[] = [];
  const everDefined = new Set<number>();
  /** Checks `body` where `visible` holds the values in scope; returns the scope after it. */
  const verifyBody = (body: readonly Instr[], visible: Set<number>): Set<number> => {
    const define = (v: Value, scope: Set<number>, where: string) => {
      if (everDefined.has(v.id)) problems.push(`${printValue(v, names)} is defined twice ${where}`);
      everDefined.add(v.id);
      scope.add(v.id);
    };
    for (const instr of body) {
      const def = primitiveOf(instr);
      const where = `in \`${printInstr(instr, names)}\``;
      for (const arg of instr.args) {
        if (!visible.has(arg.id))
          problems.push(`${printValue(arg, names)} is used before it is defined ${where}`);
      }
      if (def.arity !== "variadic" && def.arity !== instr.args.length) {
        problems.push(`'${instr.op}' takes ${def.arity} operands, has ${instr.args.length} ${where}`);
      }
      const shapes = instr.args.map((a) => a.shape);
      const blocks = instr.blocks ?? [];
      const mismatch = blockMismatch(def.blocks?.(shapes) ?? [], blocks);
      if (mismatch !== undefined) problems.push(`'${instr.op}' ${mismatch} ${where}`);
      for (const block of blocks) {
        // A block sees the values around it; what it defines stays inside.
        const inner = new Set(visible);
        block.params.forEach((p) => define(p, inner, `as a parameter of a block ${where}`));
        const scope = verifyBody(block.body, inner);
        for (const r of block.results) {
          if (!scope.has(r.id))
            problems.push(`the block result ${printValue(r, names)} is not in scope ${where}`);
        }
      }
      define(instr.result, visible, where);
      try {
        const shape = def.shape(shapes, instr.attrs);
        if (!shapesEqual(shape, instr.result.shape)) {
          problems.push(`the result should have shape [${shape.join(", ")}] ${where}`);
        }
      } catch (error) {
        problems.push(`${(error as Error).message} ${where}`);
      }
    }
    return visible;
  };
  inputs.forEach((v) => everDefined.add(v.id));
  const scope = verifyBody(body, new Set(inputs.map((v) => v.id)));
  for (const out of outputs) {
    if (!scope.has(out.id)) problems.push(`the output ${printValue(out, names)} is never defined`);
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
