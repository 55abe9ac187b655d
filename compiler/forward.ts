// Forward mode: walks the IR in order and applies each primitive's JVP rule to
// the tangents of its operands. Applied to a gradient program (primal and
// backward pass), it gives Hessian–vector products: forward over reverse.

import { Builder, type ValueFactory } from "./builder.js";
import { derivativeName, derivedOrigins, paramNamed, type Instr, type IRFunction, type Value } from "./ir.js";
import { notYet, primitiveOf, primitives } from "./primitives.js";
import { shapesEqual } from "./shapes.js";

export interface ForwardResult {
  /** The tangent instructions; they read the body's values and the seeds. */
  readonly body: readonly Instr[];
  /** The tangent of a value of the body, or undefined where it is zero. */
  tangentOf(value: Value): Value | undefined;
}

/** Pushes the tangents `seeds` (value id → its tangent) through `body`. */
export function forward(
  body: readonly Instr[],
  seeds: ReadonlyMap<number, Value>,
  values: ValueFactory,
): ForwardResult {
  const b = new Builder(values);
  const tangents = new Map(seeds);
  const tangentOrigin = derivedOrigins("tangent");
  const seedIds = new Set([...seeds.values()].map((v) => v.id));
  const bodyIds = new Set(body.map((i) => i.result.id));

  for (const instr of body) {
    // A block reads values its owner's operands do not list; the rules of blocks come with loops.
    if (instr.blocks !== undefined) notYet("forward mode", instr.op);
    const argTangents = instr.args.map((a) => tangents.get(a.id));
    if (argTangents.every((t) => t === undefined)) continue;
    const rule = primitiveOf(instr).jvp;
    if (rule === "none") continue;
    b.origin = tangentOrigin(instr.origin);
    const tangent = rule(b, instr, argTangents);
    if (tangent === undefined) continue;
    // Name a new tangent after its value: `z_dot` for z (ż).
    if (!seedIds.has(tangent.id) && !bodyIds.has(tangent.id) && !values.isSourceNamed(tangent)) {
      values.rename(tangent, derivativeName(values.hintOf(instr.result), "tangent"));
    }
    tangents.set(instr.result.id, tangent);
  }
  return { body: b.body, tangentOf: (v) => tangents.get(v.id) };
}

/**
 * True when `result` (one of `fn`'s) depends on parameter `name` only through element-wise
 * operations on values shaped like the parameter and the result: then the
 * Jacobian is diagonal (the paper's element-wise diagonal condition).
 */
export function elementwiseFrom(fn: IRFunction, name: string, result: Value): boolean {
  const param = paramNamed(fn, name);
  if (param.shape.length === 0 || !shapesEqual(param.shape, result.shape)) return false;
  const dependent = new Set([param.id]);
  for (const instr of fn.body) {
    const touched = instr.args.filter((a) => dependent.has(a.id));
    if (touched.length === 0) continue;
    if (primitives[instr.op].jvp === "none") continue;
    const elementwise = primitives[instr.op].elementwise === true;
    if (!elementwise || !touched.every((a) => shapesEqual(a.shape, param.shape))) return false;
    if (!shapesEqual(instr.result.shape, param.shape)) return false;
    dependent.add(instr.result.id);
  }
  return dependent.has(result.id);
}
