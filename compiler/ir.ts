// The intermediate representation: a function in A-normal form. Every
// instruction applies one primitive to values and defines one new value (SSA),
// which keeps its shape, a readable name and the source it came from.
//
// Grammar (what printIR and printProgram print; `gradc compile --emit-ir` shows it):
//
//   function := "fn" NAME "(" (value ":" shape),* ")" "{" instr* "return" (NAME "=" value),* "}"
//   program  := "program" NAME "(" (value ":" shape),* ")" "{" instr* "return" value,* "}"
//   instr    := value ":" shape "=" OP ("[" attr,* "]")? value*    ("#" LINE ":" SOURCE)?
//               block*
//   block    := "block" "(" (value ":" shape),* ")" "{" instr* "yield" value,* "}"
//   value    := "%" NAME "." ID
//
// Constants and dimension names are instructions too (`const`, `dim`), so every
// operand is a value and passes need no special cases for literals. An
// instruction may own blocks (a loop owns its body): nested instructions that
// read the values around them, bound to the block's parameters on each run.

import type { Span } from "./ast.js";
import type { Op } from "./primitives.js";
import { formatShape, type Shape } from "./shapes.js";

/** Where an instruction came from: the source statement, for comments and diagnostics. */
export interface Origin {
  readonly span: Span;
  /** One line of source text describing the statement, e.g. `z = X @ w + b`. */
  readonly text: string;
  readonly line: number;
  /** True for the backward pass's instructions for this statement. */
  readonly backward?: boolean;
  /** True for forward-mode (tangent) instructions for this statement. */
  readonly tangent?: boolean;
  /**
   * For an instruction of an inlined function: the statement of that function it comes from
   * (the fields above name the calling statement, which scheduling keeps together).
   */
  readonly inlined?: InlinedOrigin;
}

/** A statement of an inlined function, and the calls it was reached through. */
export interface InlinedOrigin {
  /** The calls, outermost first: each the calling statement's line and the function called there. */
  readonly via: readonly { readonly line: number; readonly callee: string }[];
  readonly line: number;
  readonly text: string;
}

/** Where a statement of an inlined function is: `line 25 → predict, line 16`. */
export function inlinedPlace(inlined: InlinedOrigin): string {
  return `${inlined.via.map((call) => `line ${call.line} → ${call.callee}, `).join("")}line ${inlined.line}`;
}

/** A value of the IR: immutable. Its name is a hint the naming authority (ValueFactory) keeps. */
export interface Value {
  readonly id: number;
  readonly shape: Shape;
}

export type Derivative = "adjoint" | "tangent";

/**
 * What a value should be called, resolved to an identifier only at emission (and in the IR
 * printer): a base name, the derivatives taken of it, and where the name comes from.
 */
export interface NameHint {
  /** The name the value is known by: a source name (`z`), or what computes it (`exp_x`, `sum`). */
  readonly base: string;
  /** Derivatives of the base, innermost first: `dz` is [adjoint] of z, `dz_dot` [adjoint, tangent]. */
  readonly derivatives: readonly Derivative[];
  /**
   * `source`: a name the user bound in the function being compiled (or a parameter, seed or
   * direction): kept in generated code, and the value is never inlined into another formula.
   * `callee`: a name bound in a function it calls (inlined): kept as a hint only.
   * `expression`: a description of the computation.
   */
  readonly origin: "source" | "callee" | "expression";
  /**
   * One share of a total derivative (`dw2_penalty` of `dw2 = dw2_penalty + dw2_predict`): a
   * scalar share keeps a statement of its own, so the sum shows its parts.
   */
  readonly share?: true;
  /** The base names an expression of several values (`x_plus_y`): its adjoint is `d_x_plus_y`. */
  readonly compound?: true;
}

/** A hint's identifier: `z`, `dz` (adjoint), `z_dot` (tangent), `dz_dot` (tangent of the adjoint). */
export function displayName(hint: NameHint): string {
  return hint.derivatives.reduce(
    (name, d) => (d === "adjoint" ? `d${hint.compound === true ? "_" : ""}${name}` : `${name}_dot`),
    hint.base,
  );
}

/** Hints: a source name, a callee's name, a description of an expression. */
export const sourceName = (base: string, derivatives: readonly Derivative[] = []): NameHint => ({
  base,
  derivatives,
  origin: "source",
});
export const expressionName = (base: string): NameHint => ({ base, derivatives: [], origin: "expression" });

/** The hint for a derivative of a value with `hint`: `dz` for z's adjoint, `z_dot` for its tangent. */
export function derivativeName(hint: NameHint, derivative: Derivative): NameHint {
  const derived = { base: hint.base, derivatives: [...hint.derivatives, derivative] };
  return { ...derived, origin: "expression", ...(hint.compound === true ? { compound: true } : {}) };
}

/** Resolves values to their names for printing. */
export type Names = (v: Value) => string;

/** Along which axis a matrix is reduced (0: one result per column, 1: per row) or spread back. */
export type Axis = 0 | 1;

/** A position: in a vector (`index`), or in a matrix (`index` is the row, `column` the column). */
export interface Position {
  readonly index: number;
  readonly column?: number;
}

/** Reductions, and operations per column or row: of all elements, or along `axis` of a matrix. */
export interface AlongAxis {
  readonly axis?: Axis;
}

/**
 * `mulNoNan`, `divNoNan`: `keepGuard` says the guard is part of the math (as in pow's
 * p·x^(p−1), 0 where p = 0), not only a guard on an adjoint, so the optimizer never drops it.
 */
export interface GuardAttrs {
  readonly keepGuard?: boolean;
}

/**
 * Products (`matmul`, `matvec`, `vecmat`, `outer`): `zeroSafe` marks derivative code, where a
 * zero factor contributes 0 even against an infinite or NaN one, as `mulNoNan` does element-wise.
 */
export interface ProductAttrs {
  readonly zeroSafe?: boolean;
}

/** Whether an instruction is a product of derivative code (`zeroSafe`). */
export function isZeroSafe(instr: Instr): boolean {
  return "zeroSafe" in instr.attrs && instr.attrs.zeroSafe === true;
}

/** Operations of a whole value, or of each column or row of a matrix. */
export type AlongAxisOp =
  | "sum"
  | "prod"
  | "prodExcept"
  | "prodExceptTangent"
  | "norm2"
  | "maxReduce"
  | "minReduce"
  | "argmaxMask"
  | "argminMask"
  | "logsumexp"
  | "softmax";

/** The attributes of each operation that has any; every other operation takes none. */
export interface OpAttrs extends Record<AlongAxisOp, AlongAxis> {
  /** The number. */
  const: { readonly value: number };
  /** The dimension's name: its size as a real number. */
  dim: { readonly dim: string };
  /** The shape to produce; a vector becomes the rows (axis 0) or the columns (axis 1) of a matrix. */
  broadcast: { readonly shape: Shape; readonly axis?: Axis };
  /** A matrix literal's shape (row-major operands); a vector's when absent. */
  pack: { readonly shape?: Shape };
  index: Position;
  /** The position, and the shape of the zeros around it. */
  oneHot: Position & { readonly shape: Shape };
  eye: { readonly shape: Shape };
  diag: { readonly shape: Shape };
  mulNoNan: GuardAttrs;
  divNoNan: GuardAttrs;
  /** A B, or with the transpose of the first (`transA`) or second (`transB`) operand. */
  matmul: ProductAttrs & { readonly transA?: boolean; readonly transB?: boolean };
  matvec: ProductAttrs;
  vecmat: ProductAttrs;
  outer: ProductAttrs;
  /**
   * `nanIfSingular` (logdet's gradient X⁻ᵀ): a singular matrix gives NaN entries instead of
   * throwing, so a branch `where` did not take cannot make a derivative throw.
   */
  inv: { readonly nanIfSingular?: boolean };
  /** A call of an earlier function of the module, generated as a call rather than inlined. */
  call: CallAttrs;
  /**
   * The adjoint of parameter `param` of a call, for the adjoint of its result (the last
   * operand, after the call's arguments). One pullback of the callee computes the adjoints
   * of all the parameters in `wrt`, so the instructions of one call share it.
   */
  callPullback: CallAttrs & { readonly param: string; readonly wrt: readonly string[] };
  /**
   * The tangent of a call's result: operands are the call's arguments, then their tangents
   * (zeros for an argument that has none: one pushforward serves every call).
   */
  callPushforward: CallAttrs;
  /**
   * The tangent of a `callPullback`'s result (forward over reverse): operands are the call's
   * arguments, the adjoint of its result, the arguments' tangents and the adjoint's tangent.
   */
  callPullbackTangent: CallAttrs & { readonly param: string; readonly wrt: readonly string[] };
}

/**
 * A call of function `callee` (an earlier function of the module) with parameters `params`,
 * whose result has `shape` in the caller's dimensions.
 */
export interface CallAttrs {
  readonly callee: string;
  readonly params: readonly string[];
  readonly shape: Shape;
}

/** Operations that call a function of the module (or one of its derivatives). */
export type CallOp = "call" | "callPullback" | "callPushforward" | "callPullbackTangent";

export function isCall(instr: Instr): instr is Instr<CallOp> {
  return (
    instr.op === "call" ||
    instr.op === "callPullback" ||
    instr.op === "callPushforward" ||
    instr.op === "callPullbackTangent"
  );
}

/** No attributes. */
export type NoAttrs = { readonly [key: string]: never };

/** The attributes operation `K` takes. */
export type AttrsOf<K extends Op> = K extends keyof OpAttrs ? OpAttrs[K] : NoAttrs;

/** Any operation's attributes (for passes that copy them without reading them). */
export type Attrs = AttrsOf<Op>;

interface InstrOf<K extends Op> {
  readonly result: Value;
  readonly op: K;
  readonly args: readonly Value[];
  readonly attrs: AttrsOf<K>;
  readonly origin: Origin | undefined;
  /** The nested blocks it runs (a loop's body); only operations whose entry declares blocks. */
  readonly blocks?: readonly Block[];
}

/**
 * A nested region, run by the instruction that owns it (a loop runs its body once per
 * iteration). The owner binds its parameters on each run and receives its results. Its
 * instructions may read any value defined before the owner (lexical scope); nothing outside
 * the block reads a value defined in it.
 */
export interface Block {
  readonly params: readonly Value[];
  readonly body: readonly Instr[];
  readonly results: readonly Value[];
}

/** The values a block reads from around it: used inside it (at any depth), defined outside it. */
export function freeValuesOf(block: Block): Value[] {
  const inside = new Set(block.params.map((p) => p.id));
  const free = new Map<number, Value>();
  const read = (v: Value) => {
    if (!inside.has(v.id)) free.set(v.id, v);
  };
  for (const instr of block.body) {
    instr.args.forEach(read);
    for (const nested of instr.blocks ?? []) freeValuesOf(nested).forEach(read);
    inside.add(instr.result.id);
  }
  block.results.forEach(read);
  return [...free.values()];
}

/** Every value an instruction reads: its operands, then what its blocks read from around them. */
export function readsOf(instr: Instr): Value[] {
  const blocks = instr.blocks ?? [];
  return blocks.length === 0 ? [...instr.args] : [...instr.args, ...blocks.flatMap(freeValuesOf)];
}

/** An instruction of operation `K` (of any operation by default: a union tagged by `op`). */
export type Instr<K extends Op = Op> = { [P in K]: InstrOf<P> }[K];

export interface IRFunction {
  readonly name: string;
  readonly params: readonly Value[];
  /** The parameters' source names, in order. */
  readonly paramNames: readonly string[];
  readonly body: readonly Instr[];
  readonly outputs: readonly { readonly name: string; readonly value: Value }[];
}

export function printValue(v: Value, names: Names): string {
  return `%${names(v)}.${v.id}`;
}

function printAttrs(attrs: Attrs): string {
  const parts = Object.entries(attrs as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(",")}]` : String(v)}`);
  return parts.length === 0 ? "" : `[${parts.join(", ")}]`;
}

export function printInstr(instr: Instr, names: Names): string {
  const args = instr.args.map((a) => printValue(a, names)).join(" ");
  const rhs = [instr.op + printAttrs(instr.attrs), args].filter((s) => s !== "").join(" ");
  const origin = instr.origin === undefined ? "" : `    # ${instr.origin.line}: ${instr.origin.text}`;
  return `${printValue(instr.result, names)}: ${formatShape(instr.result.shape)} = ${rhs}${origin}`;
}

/** An instruction as printed lines: itself, then each of its blocks, indented. */
function instrLines(instr: Instr, names: Names): string[] {
  const lines = [printInstr(instr, names)];
  for (const block of instr.blocks ?? []) {
    lines.push(`  block(${printParams(block.params, names)}) {`);
    for (const inner of block.body) lines.push(...instrLines(inner, names).map((l) => `    ${l}`));
    lines.push(`    yield ${block.results.map((r) => printValue(r, names)).join(", ")}`, "  }");
  }
  return lines;
}

function printParams(params: readonly Value[], names: Names): string {
  return params.map((p) => `${printValue(p, names)}: ${formatShape(p.shape)}`).join(", ");
}

/** A body's lines, indented one level. */
function bodyLines(body: readonly Instr[], names: Names): string[] {
  return body.flatMap((instr) => instrLines(instr, names)).map((l) => `  ${l}`);
}

export function printIR(fn: IRFunction, names: Names): string {
  const lines = [`fn ${fn.name}(${printParams(fn.params, names)}) {`, ...bodyLines(fn.body, names)];
  const outputs = fn.outputs.map((o) => `${o.name} = ${printValue(o.value, names)}`).join(", ");
  lines.push(`  return ${outputs}`, "}");
  return lines.join("\n");
}

/**
 * A straight-line program derived from a function (its value, gradient, forward and backward
 * passes, tangents): `program NAME(inputs) { instructions; return outputs }`.
 */
export function printProgram(
  name: string,
  inputs: readonly Value[],
  body: readonly Instr[],
  outputs: readonly Value[],
  names: Names,
): string {
  const lines = [`program ${name}(${printParams(inputs, names)}) {`, ...bodyLines(body, names)];
  lines.push(`  return ${outputs.map((o) => printValue(o, names)).join(", ")}`, "}");
  return lines.join("\n");
}

/** The parameter of `fn` named `name`. */
export function paramNamed(fn: IRFunction, name: string): Value {
  const k = fn.paramNames.indexOf(name);
  if (k < 0) throw new Error(`internal: '${fn.name}' has no parameter '${name}'`);
  return fn.params[k]!;
}

/**
 * Origins derived for a pass (`backward` or `tangent`): one object per source
 * origin, so instructions of one statement still share an origin.
 */
export function derivedOrigins(
  flag: "backward" | "tangent",
): (origin: Origin | undefined) => Origin | undefined {
  const derived = new Map<Origin, Origin>();
  return (origin) => {
    if (origin === undefined) return undefined;
    let result = derived.get(origin);
    if (result === undefined) derived.set(origin, (result = { ...origin, [flag]: true }));
    return result;
  };
}
