// Builds IR instructions. Lowering and every derivative rule go through a
// Builder, so derivative rules are IR made of the same primitives as the
// program (and can themselves be differentiated and optimized).

import {
  displayName,
  expressionName,
  type Attrs,
  type AttrsOf,
  type Block,
  type Instr,
  type NameHint,
  type Origin,
  type Value,
} from "./ir.js";
import { primitives, type BlockSignature, type Op, type PrimitiveDef } from "./primitives.js";
import { broadcastShapes, shapesEqual, type Shape } from "./shapes.js";

/**
 * Makes a function's values, and is the one naming authority for them: each value's name hint
 * is kept here, where passes may refine it (an adjoint named once it is complete, a temporary
 * that folds into a named value taking its name); emission resolves hints to identifiers.
 */
export class ValueFactory {
  private next = 0;
  private readonly hints = new Map<number, NameHint>();
  /** The constants' values, for names of what derivative rules (other builders) compute from them. */
  readonly constants = new Map<number, number>();

  make(shape: Shape, hint: NameHint | string): Value {
    const value: Value = { id: this.next++, shape };
    this.hints.set(value.id, typeof hint === "string" ? expressionName(hint) : hint);
    return value;
  }

  hintOf(v: Value): NameHint {
    return this.hints.get(v.id) ?? expressionName("v");
  }

  /** The value's name as printed (`dz`, `x_dot`); emission makes it unique in its scope. */
  readonly nameOf = (v: Value): string => displayName(this.hintOf(v));

  /** Whether the value carries a name the user bound (kept, never inlined). */
  isSourceNamed(v: Value): boolean {
    return this.hintOf(v).origin === "source";
  }

  /** The one place a value's name changes after it is made. */
  rename(v: Value, hint: NameHint): void {
    this.hints.set(v.id, hint);
  }
}

/** `apply`'s attributes (optional where the operation needs none) and result name. */
type AttrsAndName<K extends Op> =
  {} extends AttrsOf<K>
    ? [attrs?: AttrsOf<K>, name?: NameHint | string]
    : [attrs: AttrsOf<K>, name?: NameHint | string];

export class Builder {
  readonly body: Instr[] = [];
  origin: Origin | undefined;
  /** The instruction that defined each value this builder made. */
  private readonly producers = new Map<number, Instr>();
  readonly values: ValueFactory;

  constructor(values: ValueFactory) {
    this.values = values;
  }

  /** Appends `op` applied to `args` (with its attributes, where it takes any) and returns its result. */
  apply<K extends Op>(op: K, args: readonly Value[], ...[attrs, name]: AttrsAndName<K>): Value {
    return this.append(op, args, [], attrs, name);
  }

  /** Appends `op` applied to `args` with the blocks it owns (a loop and its body). */
  applyWithBlocks<K extends Op>(
    op: K,
    args: readonly Value[],
    blocks: readonly Block[],
    ...[attrs, name]: AttrsAndName<K>
  ): Value {
    return this.append(op, args, blocks, attrs, name);
  }

  /**
   * A block with parameters of `paramShapes` and the results `build` returns, its body written
   * by `build` into a builder of its own that shares this one's values and origin.
   */
  block(
    paramShapes: readonly Shape[],
    build: (b: Builder, params: readonly Value[]) => readonly Value[],
    paramNames: readonly (NameHint | string)[] = [],
  ): Block {
    const params = paramShapes.map((shape, k) => this.values.make(shape, paramNames[k] ?? "p"));
    const inner = new Builder(this.values);
    inner.origin = this.origin;
    const results = build(inner, params);
    return { params, body: inner.body, results };
  }

  private append<K extends Op>(
    op: K,
    args: readonly Value[],
    blocks: readonly Block[],
    given: AttrsOf<K> | undefined,
    name: NameHint | string | undefined,
  ): Value {
    const def: PrimitiveDef<K> = primitives[op];
    const attrs = (given ?? {}) as AttrsOf<K>;
    if (def.arity !== "variadic" && def.arity !== args.length) {
      throw new Error(`internal: primitive '${op}' takes ${def.arity} operands, got ${args.length}`);
    }
    const ranks = def.operandRanks;
    if (ranks !== undefined && !args.every((a, k) => ranks[k]!.includes(a.shape.length))) {
      const given = args.map((a) => a.shape.length).join(", ");
      throw new Error(`internal: primitive '${op}' cannot take operands of ranks ${given}`);
    }
    const shapes = args.map((a) => a.shape);
    const problem = blockMismatch(def.blocks?.(shapes) ?? [], blocks);
    if (problem !== undefined) throw new Error(`internal: primitive '${op}': ${problem}`);
    const result = this.values.make(def.shape(shapes, attrs), name ?? this.nameFor(op, args, attrs));
    // `op` and `attrs` belong together by `apply`'s signature; a generic K cannot show it.
    const fields = { result, op, args, attrs, origin: this.origin };
    const instr = (blocks.length === 0 ? fields : { ...fields, blocks }) as unknown as Instr;
    this.body.push(instr);
    this.producers.set(result.id, instr);
    return result;
  }

  /** `instr`'s operation, with its attributes, applied to other operands (as a tangent rule does). */
  like<K extends Op>(instr: Instr<K>, args: readonly Value[], extra: Attrs = {}): Value {
    const { op, attrs } = instr as Instr;
    return this.apply(op, args, { ...attrs, ...extra } as Attrs);
  }

  private nameFor(op: Op, args: readonly Value[], attrs: Attrs): NameHint | string {
    return temporaryHint(op, args, this.values, (v) => this.producers.get(v.id), attrs);
  }

  /** The instruction of this builder that defined `v`, if any. */
  producerOf(v: Value): Instr | undefined {
    return this.producers.get(v.id);
  }

  constant(value: number): Value {
    const c = this.apply("const", [], { value }, "c");
    this.values.constants.set(c.id, value);
    return c;
  }

  // Shorthands that keep derivative rules one line each.
  add = (a: Value, b: Value) => this.apply("add", [a, b]);
  sub = (a: Value, b: Value) => this.apply("sub", [a, b]);
  mul = (a: Value, b: Value) => this.apply("mul", [a, b]);
  div = (a: Value, b: Value) => this.apply("div", [a, b]);
  neg = (a: Value) => this.apply("neg", [a]);
  /**
   * `derivative * adjoint` (or tangent), but 0 where either is 0 even if the other is not
   * finite: a zero adjoint or tangent, or a derivative that is exactly 0 by construction,
   * stands for "no dependence". The optimizer keeps each guard only where that operand may
   * be such a zero (see relaxGuards).
   */
  scale = (derivative: Value, adjoint: Value) => this.apply("mulNoNanBoth", [derivative, adjoint]);
  /** `adjoint / divisor`, but 0 where the adjoint is 0. */
  scaleDiv = (adjoint: Value, divisor: Value) => this.apply("divNoNan", [adjoint, divisor]);
  where = (cond: Value, a: Value, b: Value) => this.apply("where", [cond, a, b]);
  zero = () => this.constant(0);
  /** Zeros of `shape`: the constant 0, filled out when the shape is not a scalar's. */
  zeros(shape: Shape, name?: NameHint | string): Value {
    const zero = this.zero();
    return shape.length === 0 ? zero : this.apply("broadcast", [zero], { shape }, name ?? "zeros");
  }
  one = () => this.constant(1);

  /** The sum of the defined tangents, each brought to `shape`; undefined when none is. */
  sumTangents(parts: readonly (Value | undefined)[], shape: Shape): Value | undefined {
    const present = parts.filter((p): p is Value => p !== undefined).map((p) => this.fitTo(p, shape));
    return present.length === 0 ? undefined : present.reduce((acc, p) => this.add(acc, p));
  }

  /**
   * Brings an adjoint to the shape of the operand it belongs to: sums over the
   * axes along which the operand was broadcast, or broadcasts a scalar up.
   */
  fitTo(adjoint: Value, shape: Shape): Value {
    if (shapesEqual(adjoint.shape, shape)) return adjoint;
    if (shape.length === 0) return this.apply("sum", [adjoint]);
    if (adjoint.shape.length === 0) return this.apply("broadcast", [adjoint], { shape });
    if (shape.length === 1 && adjoint.shape.length === 2) return this.apply("sum", [adjoint], { axis: 0 });
    if (broadcastShapes(adjoint.shape, shape) !== undefined)
      return this.apply("broadcast", [adjoint], { shape });
    throw new Error(`internal: cannot fit an adjoint of shape [${adjoint.shape}] to [${shape}]`);
  }
}

/** How `blocks` differ from what an operation declares (a loop's body), or undefined. */
export function blockMismatch(
  expected: readonly BlockSignature[],
  blocks: readonly Block[],
): string | undefined {
  if (expected.length !== blocks.length) return `owns ${expected.length} blocks, given ${blocks.length}`;
  const fits = (values: readonly Value[], shapes: readonly Shape[]) =>
    values.length === shapes.length && values.every((v, k) => shapesEqual(v.shape, shapes[k]!));
  const wrong = blocks.findIndex(
    (block, k) => !fits(block.params, expected[k]!.params) || !fits(block.results, expected[k]!.results),
  );
  if (wrong < 0) return undefined;
  const show = (shapes: readonly Shape[]) => shapes.map((s) => `[${s.join(", ")}]`).join(" ");
  const { params, results } = expected[wrong]!;
  return `block ${wrong} should take ${show(params)} and yield ${show(results)}`;
}

/**
 * Names for temporaries: what they hold, from their operands' names — `y_minus_a`,
 * `x_times_b`, `x_sq`, `tanh_z`, `sum_residual_sq` — or, where that would not be short, what
 * the operation is (`sum`).
 */
function temporaryName(
  op: Op,
  args: readonly Value[],
  values: ValueFactory,
  producerOf: (v: Value) => Instr | undefined,
  attrs: Attrs = {} as Attrs,
): string {
  const label = primitives[op].label;
  // A literal of many entries is one.
  if (op === "pack" && args.length > 2) return "literal";
  if (args.length === 0 || args.length > 2) return label;
  const named: string[] = [];
  // A product's transposed operand is named so: B Aᵀ is `B_at_At`.
  const transposed = [(attrs as { transA?: boolean }).transA, (attrs as { transB?: boolean }).transB];
  for (const [k, a] of args.entries()) {
    const name = operandName(a, values, producerOf);
    if (name === undefined) return label;
    named.push(op === "matmul" && transposed[k] === true ? `${name}t` : name);
  }
  const [first, second] = named as [string, string | undefined];
  const constant = (name: string | undefined) => name !== undefined && /^\d+$/.test(name);
  let name: string;
  if (op === "pow" && constant(second)) {
    name = second === "2" ? `${first}_sq` : second === "3" ? `${first}_cubed` : `${first}_pow_${second}`;
  } else if (second !== undefined && infixLabels[op] !== undefined) {
    // Arithmetic reads as it is written: `y_minus_a`, `x_times_b`; a constant term or factor
    // last where the operation commutes (`x_sq_times_3`, `x_plus_1`), else in words (`one_minus_x`).
    const commutes = ["add", "mul", "mulNoNan", "mulNoNanBoth", "eq", "ne"].includes(op);
    const [a, b] = commutes && constant(first) ? [second, first] : [first, second];
    name = `${constant(a) ? numberWord(a) : a}_${infixLabels[op]}_${b}`;
  } else {
    name = [label, ...named.map((n) => (constant(n) ? numberWord(n) : n))].join("_");
  }
  return name.length <= 28 ? name : label;
}

/**
 * A temporary's name hint (`temporaryName`): a name built of several (`x_plus_y`) is compound,
 * so its adjoint reads `d_x_plus_y`, not `dx_plus_y`; where none fits, the operation's label.
 */
export function temporaryHint(
  op: Op,
  args: readonly Value[],
  values: ValueFactory,
  producerOf: (v: Value) => Instr | undefined,
  attrs?: Attrs,
): NameHint | string {
  const name = temporaryName(op, args, values, producerOf, attrs);
  return name === primitives[op].label ? name : { ...expressionName(name), compound: true };
}

/** An operand's name in a temporary's name: a short name, or a small integer constant. */
function operandName(
  a: Value,
  values: ValueFactory,
  producerOf: (v: Value) => Instr | undefined,
): string | undefined {
  const producer = producerOf(a);
  if (producer?.op === "dim") return (producer.attrs as { dim: string }).dim;
  const value =
    producer?.op === "const" ? (producer.attrs as { value: number }).value : values.constants.get(a.id);
  if (value !== undefined)
    return Number.isInteger(value) && value >= 0 && value < 100 ? String(value) : undefined;
  const hint = values.hintOf(a);
  const name = displayName(hint);
  // A name the user (or a called function) bound, its derivatives (dz, x_dot), or a
  // temporary's descriptive name.
  const descriptive = hint.origin !== "expression" || hint.derivatives.length > 0 || name.includes("_");
  return descriptive && name.length <= 20 ? name : undefined;
}

/** A small number at the start of a name, where digits cannot be: `one_minus_x`. */
function numberWord(digits: string): string {
  const words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];
  return words[Number(digits)] ?? `n${digits}`;
}

const infixLabels: Partial<Record<Op, string>> = {
  add: "plus",
  sub: "minus",
  mul: "times",
  div: "over",
  pow: "pow",
  matmul: "at",
  matvec: "at",
  vecmat: "at",
  mulNoNan: "times",
  mulNoNanBoth: "times",
  divNoNan: "over",
  lt: "lt",
  le: "le",
  gt: "gt",
  ge: "ge",
  eq: "eq",
  ne: "ne",
};
