// Reverse mode: walks the IR backwards and applies each primitive's VJP rule to
// the adjoint of its result (the paper's steps 2 and 3). A value used by
// several instructions receives one contribution per use, and they are summed:
// the total-derivative rule. The backward pass is IR built from the same
// primitives, so it can be optimized and differentiated again.

import { Builder, type ValueFactory } from "./builder.js";
import {
  derivativeName,
  derivedOrigins,
  displayName,
  paramNamed,
  type Instr,
  type IRFunction,
  type Value,
} from "./ir.js";
import { notYet, primitiveOf, primitives } from "./primitives.js";

export interface ReverseResult {
  /** The backward instructions; they read primal values and the seed. */
  readonly body: readonly Instr[];
  /** The adjoint of each `wrt` parameter, in the order asked for. */
  readonly gradients: readonly {
    readonly name: string;
    readonly value: Value;
  }[];
}

/**
 * The vector–Jacobian product of `fn`'s outputs with `seeds` (one per output, shaped like it:
 * the cotangent of a tuple result), with respect to the named parameters.
 */
export function reverse(
  fn: IRFunction,
  wrt: readonly string[],
  seeds: readonly Value[],
  values: ValueFactory,
): ReverseResult {
  if (seeds.length !== fn.outputs.length) {
    throw new Error(`internal: ${seeds.length} seeds for the ${fn.outputs.length} outputs of '${fn.name}'`);
  }
  // A block reads values its owner's operands do not list; the rules of blocks come with loops.
  for (const instr of fn.body) if (instr.blocks !== undefined) notYet("reverse mode", instr.op);
  const wrtParams = wrt.map((name) => paramNamed(fn, name));
  const active = activeValues(fn, new Set(wrtParams.map((p) => p.id)));
  const b = new Builder(values);
  const adjoints = new Map<number, Value>();
  const primalIds = new Set([...fn.params.map((p) => p.id), ...fn.body.map((i) => i.result.id)]);

  /**
   * Each value's shares of its adjoint, with the instruction each comes from (the
   * total-derivative rule); undefined for an output's seed.
   */
  const shares = new Map<number, { value: Value; use: Instr | undefined }[]>();
  const accumulate = (target: Value, contribution: Value, use: Instr | undefined) => {
    const existing = adjoints.get(target.id);
    adjoints.set(target.id, existing === undefined ? contribution : b.add(existing, contribution));
    const list = shares.get(target.id);
    if (list === undefined) shares.set(target.id, [{ value: contribution, use }]);
    else list.push({ value: contribution, use });
  };
  /**
   * What a use is called in a share's name: the value it computes when the user (or a called
   * function) named it, else the called function it is inside, else its statement's name.
   */
  const useOf = (instr: Instr | undefined): string => {
    if (instr === undefined) return fn.name;
    const hint = values.hintOf(instr.result);
    if (hint.origin !== "expression") return displayName(hint);
    const via = instr.origin?.inlined?.via;
    if (via !== undefined && via.length > 0) return via[via.length - 1]!.callee;
    return /^(\w+)\s*=/.exec(instr.origin?.text ?? "")?.[1] ?? fn.name;
  };
  /**
   * Once a value's adjoint is complete, name it after the value: `dz` for `z`. An adjoint
   * passed through unchanged (as by `add`) keeps the first, outermost name, unless a name the
   * user bound (a parameter's) comes later: `dx`, not `d_x_plus_y`.
   */
  const named = new Map<number, number>();
  const rank = (target: Value) => ({ source: 2, callee: 1, expression: 0 })[values.hintOf(target).origin];
  const seedIds = new Set(seeds.map((s) => s.id));
  const nameAdjoint = (target: Value) => {
    const adjoint = adjoints.get(target.id);
    if (
      adjoint === undefined ||
      seedIds.has(adjoint.id) ||
      primalIds.has(adjoint.id) ||
      (named.get(adjoint.id) ?? -1) >= rank(target)
    )
      return;
    const hint = values.hintOf(target);
    const renaming = named.has(adjoint.id);
    values.rename(adjoint, derivativeName(hint, "adjoint"));
    named.set(adjoint.id, rank(target));
    if (renaming) return;
    // A total of several shares shows its parts: dw2 = dw2_penalty + dw2_predict.
    const parts = shares.get(target.id) ?? [];
    if (parts.length < 2) return;
    for (const { value, use } of parts) {
      if (seedIds.has(value.id) || primalIds.has(value.id) || named.has(value.id)) continue;
      const share = derivativeName({ ...hint, base: `${hint.base}_${useOf(use)}` }, "adjoint");
      values.rename(value, value.shape.length === 0 ? { ...share, share: true } : share);
      named.set(value.id, -1);
    }
  };

  const backwardOrigin = derivedOrigins("backward");

  // Each output starts with its seed; an output returned twice (or a parameter) sums them.
  fn.outputs.forEach(({ value }, k) => {
    if (active.has(value.id)) accumulate(value, seeds[k]!, undefined);
  });
  for (let i = fn.body.length - 1; i >= 0; i--) {
    const instr = fn.body[i]!;
    const adjoint = adjoints.get(instr.result.id);
    if (adjoint === undefined) continue;
    nameAdjoint(instr.result);
    const rule = primitiveOf(instr).vjp;
    if (rule === "none") continue;
    b.origin = backwardOrigin(instr.origin);
    const contributions = rule(
      b,
      instr,
      adjoint,
      instr.args.map((arg) => active.has(arg.id)),
    );
    instr.args.forEach((arg, k) => {
      const contribution = contributions[k];
      if (contribution !== undefined && active.has(arg.id)) accumulate(arg, contribution, instr);
    });
  }

  b.origin = undefined;
  const gradients = wrtParams.map((param, k) => {
    nameAdjoint(param);
    const adjoint =
      adjoints.get(param.id) ?? b.zeros(param.shape, derivativeName(values.hintOf(param), "adjoint"));
    return { name: wrt[k]!, value: adjoint };
  });
  return { body: b.body, gradients };
}

/** Values that depend on one of the given parameters (activity analysis). */
function activeValues(fn: IRFunction, sources: ReadonlySet<number>): Set<number> {
  const active = new Set(sources);
  for (const instr of fn.body) {
    if (primitives[instr.op].vjp === "none") continue;
    if (instr.args.some((a) => active.has(a.id))) active.add(instr.result.id);
  }
  return active;
}
