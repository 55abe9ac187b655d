// The optimizer: constant folding, algebraic identities, common-subexpression
// elimination and dead-code elimination, over a body and the blocks it holds.
//
// NaN semantics are kept: `x * 0` is not folded to 0 (NaN * 0 is NaN), but
// `mulNoNan(d, 0)` is, since that primitive is defined to be 0 there.

import { Builder, temporaryHint, type ValueFactory } from "./builder.js";
import {
  expressionName,
  isZeroSafe,
  readsOf,
  type Attrs,
  type Block,
  type Instr,
  type NameHint,
  type Value,
} from "./ir.js";
import { primitives, type Op } from "./primitives.js";
import { broadcastShapes, shapesEqual, type Shape } from "./shapes.js";

export interface Program {
  readonly body: readonly Instr[];
  readonly outputs: readonly Value[];
}

/**
 * Simplifies and deduplicates, then drops what no output needs. Outputs may be replaced.
 * `maybeZero` lists the program's inputs that may hold zeros standing for "no
 * dependence": the seed of a backward pass, the directions of a forward pass.
 */
export function optimize(program: Program, values: ValueFactory, maybeZero: readonly Value[] = []): Program {
  // Guards are relaxed between two rounds: folding first sees through constant
  // adjoints, and the second round simplifies the plain products that remain.
  const simplified = simplify(relaxGuards(simplify(program, values), maybeZero), values);
  const body = eliminateDeadCode(simplified.body, simplified.outputs);
  renameTemporaries(body, values);
  return { body, outputs: simplified.outputs };
}

/** Every operation's label: a temporary named only after its operation. */
const labels = new Set(Object.values(primitives).map((p) => p.label));

/**
 * Temporaries named after an operation (`scaled`) or after operands that folding has since
 * replaced (`x_pow_three_minus_1`, now x²) take the name of what they compute now.
 */
function renameTemporaries(body: readonly Instr[], values: ValueFactory): void {
  const producers = new Map(body.map((instr) => [instr.result.id, instr]));
  for (const instr of body) {
    const hint = values.hintOf(instr.result);
    const named = !labels.has(hint.base) && hint.compound !== true;
    if (hint.origin !== "expression" || hint.derivatives.length > 0 || hint.share === true || named) continue;
    const renamed = temporaryHint(instr.op, instr.args, values, (v) => producers.get(v.id), instr.attrs);
    if (typeof renamed !== "string") values.rename(instr.result, renamed);
  }
}

function simplify(program: Program, values: ValueFactory): Program {
  let b = new Builder(values);
  const replaced = new Map<number, Value>();
  const constants = new Map<number, number>();
  /** Instructions emitted so far that are in scope, by operation and operands (CSE). */
  let seen = new Map<string, Value>();
  const negationOf = new Map<number, Value>();
  const broadcastSource = new Map<number, Value>();
  /** The instruction that computes each value emitted so far. */
  const producers = new Map<number, Instr>();
  const uses = useCounts(program.body, program.outputs);
  const resolve = (v: Value) => replaced.get(v.id) ?? v;

  /** Emits an instruction unless an identical one exists (CSE). */
  const emit = (op: Op, args: readonly Value[], attrs: Attrs, template?: Instr, name?: NameHint): Value => {
    const key = `${op}(${args.map((a) => a.id).join(",")})${JSON.stringify(attrs)}`;
    const existing = seen.get(key);
    if (existing !== undefined) return existing;
    if (template !== undefined) b.origin = template.origin;
    const result = template === undefined ? b.apply(op, args, attrs, name) : reuse(b, template, args);
    seen.set(key, result);
    producers.set(result.id, b.body[b.body.length - 1]!);
    if (op === "const" && "value" in attrs) constants.set(result.id, attrs.value);
    if (op === "neg") negationOf.set(result.id, args[0]!);
    if (op === "broadcast" && args[0]!.shape.length === 0) broadcastSource.set(result.id, args[0]!);
    return result;
  };

  /** A block simplified in a scope of its own: it reuses what is around it, not the reverse. */
  const simplifyBlock = (block: Block): Block => {
    const [outerBuilder, outerSeen] = [b, seen];
    b = new Builder(values);
    seen = new Map(seen);
    simplifyBody(block.body);
    const simplified = { params: block.params, body: b.body, results: block.results.map(resolve) };
    [b, seen] = [outerBuilder, outerSeen];
    return simplified;
  };

  const simplifyBody = (body: readonly Instr[]) => {
    for (const instr of body) {
      if (instr.blocks !== undefined) {
        const blocks = instr.blocks.map(simplifyBlock);
        b.body.push({ ...instr, args: instr.args.map(resolve), blocks });
      } else simplifyInstr(instr);
    }
  };

  /** The instruction being simplified, which the fold tools below rewrite. */
  let current: Instr | undefined;
  const tools: FoldTools = {
    constant: (value) => emit("const", [], { value }),
    zeros: (shape) => {
      const zero = emit("const", [], { value: 0 });
      b.origin = current!.origin;
      return shape.length === 0
        ? zero
        : emit("broadcast", [zero], { shape }, undefined, expressionName("zeros"));
    },
    negationOf: (v) => negationOf.get(v.id),
    producerOf: (v) => producers.get(v.id),
    scalarOf: (v) => broadcastSource.get(v.id),
    usedOnce: (v) => uses.get(v.id) === 1,
    apply: (op, operands, attrs = {}) => {
      b.origin = current!.origin;
      // A rewritten instruction still holds what the original held, so it keeps its name.
      return emit(op, operands, attrs, undefined, {
        ...values.hintOf(current!.result),
        origin: "expression",
      });
    },
    part: (op, operands, attrs = {}) => {
      b.origin = current!.origin;
      return emit(op, operands, attrs);
    },
  };

  const simplifyInstr = (instr: Instr) => {
    const args = unbroadcast(instr, instr.args.map(resolve), broadcastSource);
    current = instr;
    const folded = fold(instr, args, constants, tools);
    const result = folded ?? emit(instr.op, args, instr.attrs, instr);
    if (result !== instr.result) {
      // Keep the more readable name when a temporary folds into a named value.
      if (values.isSourceNamed(instr.result) && !values.isSourceNamed(result) && !constants.has(result.id)) {
        values.rename(result, values.hintOf(instr.result));
      }
      replaced.set(instr.result.id, result);
    }
  };

  simplifyBody(program.body);
  return { body: b.body, outputs: program.outputs.map(resolve) };
}

/**
 * `mulNoNan`/`divNoNan` guard adjoints and tangents that may be zero because a
 * selection dropped a branch, or because the seed or direction the caller
 * passed has zeros (as a Jacobian's unit sweeps do). Where neither reaches the
 * guarded operand, the guard can never matter, and plain `mul`/`div` are used.
 */
export function relaxGuards(program: Program, maybeZero: readonly Value[] = []): Program {
  const masked = mayHoldZeros(program.body, maybeZero);
  const relaxBody = (body: readonly Instr[]): Instr[] =>
    body.map((instr) =>
      instr.blocks === undefined
        ? relaxInstr(instr)
        : withBlocks(instr, (block) => ({ ...block, body: relaxBody(block.body) })),
    );
  const relaxInstr = (instr: Instr): Instr => {
    if (instr.op === "mulNoNanBoth") {
      // Keep the guard on each operand that may be zero; none left is a plain product.
      const [a, b] = instr.args as [Value, Value];
      const [ma, mb] = [masked.has(a.id), masked.has(b.id)];
      if (ma && mb) return instr;
      if (!ma && !mb) return relaxed(instr, "mul");
      return relaxed(instr, "mulNoNan", mb ? [a, b] : [b, a]);
    }
    const adjoint =
      instr.op === "mulNoNan" ? instr.args[1]! : instr.op === "divNoNan" ? instr.args[0]! : undefined;
    if (adjoint === undefined || masked.has(adjoint.id) || keepsGuard(instr)) return instr;
    return relaxed(instr, instr.op === "mulNoNan" ? "mul" : "div");
  };
  return { body: relaxBody(program.body), outputs: program.outputs };
}

/**
 * The values of `body` that may hold zeros standing for "no dependence": those `maybeZero`
 * lists, the results of masking and selecting operations and of guards that are part of the
 * math, what blocks bind and yield, and whatever is computed from them.
 */
export function mayHoldZeros(body: readonly Instr[], maybeZero: readonly Value[] = []): Set<number> {
  const masked = new Set<number>(maybeZero.map((v) => v.id));
  const mark = (instrs: readonly Instr[]) => {
    for (const instr of instrs) {
      if (instr.blocks !== undefined) {
        // A block's parameters (a loop's carried value) and its owner's result may hold zeros.
        masked.add(instr.result.id);
        for (const block of instr.blocks) {
          block.params.forEach((p) => masked.add(p.id));
          mark(block.body);
        }
        continue;
      }
      const zeroing = primitives[instr.op].masks === true || keepsGuard(instr);
      if (zeroing || instr.args.some((a) => masked.has(a.id))) masked.add(instr.result.id);
    }
  };
  mark(body);
  return masked;
}

/** A guard that is part of the math, not only a guard on an adjoint (see `GuardAttrs`). */
function keepsGuard(instr: Instr): boolean {
  return (instr.op === "mulNoNan" || instr.op === "divNoNan") && instr.attrs.keepGuard === true;
}

/** `instr` as a product or quotient with fewer guards. */
function relaxed(instr: Instr, op: "mul" | "div" | "mulNoNan", args = instr.args): Instr {
  return { result: instr.result, op, args, attrs: {}, origin: instr.origin };
}

/**
 * Element-wise operations broadcast scalars themselves, so a scalar filled
 * out to a vector (as sum's adjoint is) can be passed as the scalar, when
 * another operand still gives the result its shape.
 */
function unbroadcast(instr: Instr, args: Value[], broadcastSource: ReadonlyMap<number, Value>): Value[] {
  if (primitives[instr.op].elementwise !== true) return args;
  const result = [...args];
  for (let i = 0; i < result.length; i++) {
    const scalar = broadcastSource.get(result[i]!.id);
    if (scalar === undefined) continue;
    const candidate = result.map((a, k) => (k === i ? scalar : a));
    const shape = candidate.reduce<Shape | undefined>(
      (acc, a) => (acc === undefined ? undefined : broadcastShapes(acc, a.shape)),
      [],
    );
    if (shape !== undefined && shapesEqual(shape, instr.result.shape)) result[i] = scalar;
  }
  return result;
}

/** Re-emits an instruction with new operands, keeping its result value when nothing changed. */
function reuse(b: Builder, instr: Instr, args: readonly Value[]): Value {
  if (args.every((a, i) => a === instr.args[i])) {
    b.body.push(instr);
    return instr.result;
  }
  return b.apply(instr.op, args, instr.attrs, b.values.hintOf(instr.result));
}

interface FoldTools {
  constant(value: number): Value;
  /** Zeros of `shape`: the constant 0, filled out for a vector or matrix. */
  zeros(shape: Shape): Value;
  /** x when v = neg(x). */
  negationOf(v: Value): Value | undefined;
  /** The instruction that computes v, when it is in the body. */
  producerOf(v: Value): Instr | undefined;
  /** s when v is the scalar s filled out to a vector or matrix. */
  scalarOf(v: Value): Value | undefined;
  /** Whether the original program reads v once (so rewriting its one consumer frees it). */
  usedOnce(v: Value): boolean;
  apply(op: Op, args: readonly Value[], attrs?: Attrs): Value;
  /** A part of the rewritten instruction's value, named for what it computes. */
  part(op: Op, args: readonly Value[], attrs?: Attrs): Value;
}

/** A simpler value equal to the instruction's result, or undefined to keep it. */
function fold(
  instr: Instr,
  args: readonly Value[],
  constants: ReadonlyMap<number, number>,
  t: FoldTools,
): Value | undefined {
  const def = primitives[instr.op];
  const c = args.map((a) => constants.get(a.id));
  const shape = instr.result.shape;
  const same = (v: Value) => (shapesEqual(v.shape, shape) ? v : undefined);
  const isConst = (i: number, value: number) => c[i] !== undefined && Object.is(c[i], value);

  if (
    def.evaluate !== undefined &&
    args.length > 0 &&
    c.every((x) => x !== undefined) &&
    shape.length === 0
  ) {
    return t.constant(def.evaluate(...(c as number[])));
  }
  // Zeros in, zeros out: a zero adjoint or tangent (a derivative through x^0, a folded guard)
  // folds away instead of meeting an infinite or NaN partial in a product that lost its guard.
  const zero = (k: number) => {
    const filled = t.scalarOf(args[k]!);
    return c[k] === 0 || (filled !== undefined && constants.get(filled.id) === 0);
  };
  if (def.linear === true && instr.op !== "broadcast" && args.length > 0 && args.every((_, k) => zero(k))) {
    return t.zeros(shape);
  }
  if (isZeroSafe(instr) && args.some((_, k) => zero(k))) {
    return t.zeros(shape);
  }
  const folded = foldTransposes(instr, args, t) ?? foldFilledScalars(instr, args, t);
  if (folded !== undefined) return folded;
  const [x, y] = args as [Value, Value];
  switch (instr.op) {
    case "add":
      if (isConst(1, 0)) return same(x);
      if (isConst(0, 0)) return same(y);
      break;
    case "sub":
      if (isConst(1, 0)) return same(x);
      if (isConst(0, 0) && same(y)) return t.apply("neg", [y]);
      break;
    case "mul":
      if (isConst(1, 1)) return same(x);
      if (isConst(0, 1)) return same(y);
      if (isConst(1, -1) && same(x)) return t.apply("neg", [x]);
      if (isConst(0, -1) && same(y)) return t.apply("neg", [y]);
      break;
    case "div":
      if (isConst(1, 1)) return same(x);
      break;
    case "divNoNan":
      if (isConst(1, 1)) return same(x);
      if (zero(0)) return t.zeros(shape);
      // Guarding a zero adjoint only matters when the divisor may be 0 or not finite.
      if (c[1] !== undefined && c[1] !== 0 && Number.isFinite(c[1])) return t.apply("div", [x, y]);
      if (c[0] !== undefined && c[0] !== 0) return t.apply("div", [x, y]);
      break;
    case "mulNoNanBoth":
      if (isConst(1, 1)) return same(x);
      if (isConst(0, 1)) return same(y);
      if (zero(0) || zero(1)) return t.zeros(shape);
      // A finite nonzero constant is never such a zero: only the other operand needs its guard.
      if (c[0] !== undefined && c[0] !== 0 && Number.isFinite(c[0])) return t.apply("mulNoNan", [x, y]);
      if (c[1] !== undefined && c[1] !== 0 && Number.isFinite(c[1])) return t.apply("mulNoNan", [y, x]);
      break;
    case "mulNoNan":
      if (isConst(1, 1)) return same(x);
      if (isConst(0, 1)) return same(y);
      if (zero(0) || zero(1)) return t.zeros(shape);
      // With a finite derivative or a nonzero adjoint, the guard never changes the product.
      if (c[0] !== undefined && Number.isFinite(c[0])) return t.apply("mul", [x, y]);
      // A constant factor reads first: `2 * x`.
      if (c[1] !== undefined && c[1] !== 0) return t.apply("mul", [y, x]);
      break;
    case "pow":
      if (isConst(1, 1)) return same(x);
      break;
    case "neg": {
      const inner = t.negationOf(x);
      if (inner !== undefined) return same(inner);
      break;
    }
    case "sum": {
      // sum(a − b) with b = sum(x, axis=k) read only here: sum(a) − sum(x), no row sums kept
      // (softmax cross-entropy's sum(T ⊙ Z, axis=1) becomes one accumulated loop).
      const difference = t.producerOf(x);
      if (instr.attrs.axis !== undefined || difference === undefined || !t.usedOnce(x)) break;
      if (difference.op !== "sub" && difference.op !== "add") break;
      const alongOnce = (v: Value): Instr | undefined => {
        const p = t.producerOf(v);
        return p?.op === "sum" && p.attrs.axis !== undefined && t.usedOnce(v) ? p : undefined;
      };
      const whole = (v: Value): Value => t.part("sum", [alongOnce(v)?.args[0] ?? v]);
      const [a, b] = difference.args as [Value, Value];
      if (!shapesEqual(a.shape, b.shape) || (alongOnce(a) === undefined && alongOnce(b) === undefined)) break;
      return t.apply(difference.op, [whole(a), whole(b)]);
    }
    case "where": {
      if (args[1] === args[2]) return same(args[1]!);
      // A constant condition picks its branch (filled out to the result's shape).
      if (c[0] === undefined) break;
      const chosen = c[0] !== 0 ? args[1]! : args[2]!;
      return same(chosen) ?? t.apply("broadcast", [chosen], { shape });
    }
  }
  return undefined;
}

/**
 * Transposes folded into the products that read them, as the kernels take either operand
 * transposed: A Bᵀ is one product, never a transposed copy of B then a product.
 * (Aᵀ)ᵀ = A; (A B)ᵀ = Bᵀ Aᵀ when A B is used only there; (Aᵀ)x = xᵀA and xᵀ(Aᵀ) = A x.
 */
function foldTransposes(instr: Instr, args: readonly Value[], t: FoldTools): Value | undefined {
  /** v's operand when v = transpose(operand). */
  const untransposed = (v: Value) => {
    const producer = t.producerOf(v);
    return producer?.op === "transpose" ? producer.args[0]! : undefined;
  };
  switch (instr.op) {
    case "transpose": {
      const inner = t.producerOf(args[0]!);
      if (inner?.op === "transpose") return inner.args[0]!;
      if (inner?.op === "outer" && t.usedOnce(inner.result)) {
        return t.apply("outer", [inner.args[1]!, inner.args[0]!], inner.attrs);
      }
      if (inner?.op !== "matmul" || !t.usedOnce(inner.result)) return undefined;
      const { transA = false, transB = false } = inner.attrs;
      return t.apply("matmul", [inner.args[1]!, inner.args[0]!], {
        ...productFlags(!transB, !transA),
        ...zeroSafeOf(inner),
      });
    }
    case "matmul": {
      const [a, b] = [untransposed(args[0]!), untransposed(args[1]!)];
      if (a === undefined && b === undefined) return undefined;
      const { transA = false, transB = false } = instr.attrs;
      return t.apply("matmul", [a ?? args[0]!, b ?? args[1]!], {
        ...productFlags(a === undefined ? transA : !transA, b === undefined ? transB : !transB),
        ...zeroSafeOf(instr),
      });
    }
    case "matvec": {
      const a = untransposed(args[0]!);
      return a && t.apply("vecmat", [args[1]!, a], zeroSafeOf(instr));
    }
    case "vecmat": {
      const a = untransposed(args[1]!);
      return a && t.apply("matvec", [a, args[0]!], zeroSafeOf(instr));
    }
  }
  return undefined;
}

/**
 * Scalars filled out stay scalars as long as they can: a filled scalar filled out again is one
 * fill, and an element-wise operation of filled scalars is the scalar operation, filled out
 * (its consumers then read the scalar: the adjoint of a mean is 1/N, not an array of 1/N).
 */
function foldFilledScalars(instr: Instr, args: readonly Value[], t: FoldTools): Value | undefined {
  const shape = instr.result.shape;
  if (shape.length === 0) return undefined;
  if (instr.op === "broadcast") {
    const scalar = t.scalarOf(args[0]!);
    return scalar && t.apply("broadcast", [scalar], { shape });
  }
  if (primitives[instr.op].elementwise !== true || args.length === 0) return undefined;
  if (!args.every((a) => a.shape.length === 0 || t.scalarOf(a) !== undefined)) return undefined;
  const scalars = args.map((a) => (a.shape.length === 0 ? a : t.scalarOf(a)!));
  const scalar = t.part(instr.op, scalars, instr.attrs);
  return t.apply("broadcast", [scalar], { shape });
}

/** A product's zero-safe flag, written only when set. */
function zeroSafeOf(instr: Instr): { zeroSafe?: true } {
  return isZeroSafe(instr) ? { zeroSafe: true } : {};
}

/** A product's transpose flags, written only when set (so equal products print alike). */
function productFlags(transA: boolean, transB: boolean) {
  return { ...(transA ? { transA } : {}), ...(transB ? { transB } : {}) };
}

/** How many times each value is read, blocks and outputs included. */
function useCounts(body: readonly Instr[], outputs: readonly Value[]): Map<number, number> {
  const uses = new Map<number, number>();
  for (const v of outputs) uses.set(v.id, (uses.get(v.id) ?? 0) + 1);
  const count = (instrs: readonly Instr[]) => {
    for (const instr of instrs) {
      for (const arg of instr.args) uses.set(arg.id, (uses.get(arg.id) ?? 0) + 1);
      for (const block of instr.blocks ?? []) {
        count(block.body);
        for (const r of block.results) uses.set(r.id, (uses.get(r.id) ?? 0) + 1);
      }
    }
  };
  count(body);
  return uses;
}

/** Keeps the instructions that some output needs, in order, in blocks too. */
export function eliminateDeadCode(body: readonly Instr[], outputs: readonly Value[]): Instr[] {
  const live = new Set(outputs.map((v) => v.id));
  const kept: Instr[] = [];
  for (let i = body.length - 1; i >= 0; i--) {
    const instr = body[i]!;
    if (!live.has(instr.result.id)) continue;
    const pruned = withBlocks(instr, (block) => ({
      ...block,
      body: eliminateDeadCode(block.body, block.results),
    }));
    kept.push(pruned);
    for (const v of readsOf(pruned)) live.add(v.id);
  }
  return kept.reverse();
}

/** `instr` with each of its blocks transformed (itself when it owns none). */
function withBlocks(instr: Instr, transform: (block: Block) => Block): Instr {
  return instr.blocks === undefined ? instr : { ...instr, blocks: instr.blocks.map(transform) };
}
