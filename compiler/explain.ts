// `gradc explain`: the derivation of a function's gradient the way Parr & Howard teach it —
// (1) intermediate variables, one operation each; (2) each one's local derivative; (3) the
// chain rule in reverse, each variable's adjoint summed over its uses; (4) the result,
// substituted back and simplified. It reads the same IR the compiler differentiates (calls
// inlined), and each primitive's notation (primitives.ts, `notation`), so the steps shown are
// the steps the generated code takes.

import type { CheckedFunction } from "./check.js";
import { front, internalError, wholeFile } from "./compile.js";
import { printDerivations, type ExplainFormat } from "./explain-print.js";
import { codes, DiagnosticSink, type Diagnostic } from "./diagnostics.js";
import { displayName, type Instr, type Value } from "./ir.js";
import { lowerFunction } from "./lower.js";
import * as m from "./notation.js";
import type { Formula } from "./notation.js";
import { primitiveOf } from "./primitives.js";
import type { Shape } from "./shapes.js";
import { kindOf, simplify, type Kind } from "./simplify.js";

/** An intermediate variable: `u₁ = X w`, one operation of the function. */
export interface Variable {
  readonly name: string;
  readonly shape: Shape;
  readonly definition: Formula;
  /** The source line it comes from (1-based) and that line's statement. */
  readonly line: number | undefined;
  readonly source: string | undefined;
}

/** A local derivative ∂v/∂x: a Jacobian in numerator layout, or where none is written, v's differential. */
export interface LocalDerivative {
  readonly of: string;
  readonly wrt: string;
  readonly jacobian?: Formula;
  /** d v = … in terms of d x, for products of matrices (whose Jacobians are not matrices). */
  readonly differential?: Formula;
}

/** A chain-rule step: x̄ = Σ over the uses of x of each use's share. */
export interface AdjointStep {
  /** The value whose adjoint this is (its adjoint is printed x̄). */
  readonly of: string;
  readonly shape: Shape;
  /** One share per use, in the order of the uses: (∂v/∂x)ᵀ v̄. */
  readonly terms: readonly { readonly use: string; readonly share: Formula }[];
}

/** The result: ∂f/∂p, substituted back and simplified, shaped like p. */
export interface ExplainedResult {
  readonly wrt: string;
  readonly shape: Shape;
  readonly formula: Formula;
}

export interface Derivation {
  readonly function: string;
  /** The function's parameters, its result's name and its result's shape. */
  readonly params: readonly { readonly name: string; readonly shape: Shape }[];
  readonly result: string;
  readonly resultShape: Shape;
  /** The adjoint the backward pass starts from: 1 for a scalar result, a direction otherwise. */
  readonly seed: Formula;
  readonly variables: readonly Variable[];
  readonly locals: readonly LocalDerivative[];
  readonly adjoints: readonly AdjointStep[];
  readonly results: readonly ExplainedResult[];
  /** The user's variables the results still name (z, a), each defined in the parameters and earlier ones. */
  readonly where: readonly { readonly name: string; readonly definition: Formula }[];
}

/** The adjoint of the value named `name`: printed `dz` in text (as in generated code), z̄ in LaTeX. */
export const adjointOf = (name: string): Formula => m.symbol(`${name}\u0304`);

/**
 * The derivations of `fn` (every function when absent) with respect to `wrt` (the function's
 * `wrt` parameters when absent), or diagnostics naming what does not exist.
 */
export function deriveExplanations(
  source: string,
  filename: string,
  selection: { readonly fn?: string; readonly wrt?: string } = {},
): { derivations: Derivation[]; diagnostics: Diagnostic[] } {
  const { sink, checked } = front(source, filename);
  if (checked === undefined) return { derivations: [], diagnostics: sink.diagnostics };
  const byName = new Map(checked.functions.map((f) => [f.name, f]));
  let chosen = checked.functions;
  if (selection.fn !== undefined) {
    const fn = byName.get(selection.fn);
    if (fn === undefined) {
      const names = checked.functions.map((f) => `'${f.name}'`).join(", ");
      return optionError(
        filename,
        sink,
        `there is no function '${selection.fn}' to explain; the file defines ${names}`,
      );
    }
    chosen = [fn];
  }
  if (selection.wrt !== undefined) {
    const missing = chosen.filter((f) => !f.params.some((p) => p.name === selection.wrt));
    if (missing.length > 0) {
      const fn = missing[0]!;
      const params = fn.params.map((p) => `'${p.name}'`).join(", ");
      return optionError(
        filename,
        sink,
        `'${fn.name}' has no parameter '${selection.wrt}'; its parameters are ${params || "none"}`,
      );
    }
  }
  const derivations = chosen.map((fn) =>
    deriveExplanation(fn, byName, source, selection.wrt === undefined ? fn.wrt : [selection.wrt]),
  );
  return { derivations, diagnostics: sink.diagnostics };
}

function optionError(filename: string, sink: DiagnosticSink, message: string) {
  const options = new DiagnosticSink(filename);
  options.error(codes.badOption, message, wholeFile);
  return { derivations: [], diagnostics: [...sink.diagnostics, ...options.diagnostics] };
}

/** One function's derivation with respect to the parameters `wrt`. */
function deriveExplanation(
  fn: CheckedFunction,
  callees: ReadonlyMap<string, CheckedFunction>,
  source: string,
  wrt: readonly string[],
): Derivation {
  // Every call inlined: the derivation shows the callee's operations where they happen.
  const { ir, values } = lowerFunction(fn, callees, source);
  const output = ir.outputs[0]!.value;
  const active = activeValues(
    ir.body,
    ir.params.filter((_, k) => wrt.includes(ir.paramNames[k]!)),
    output,
  );

  // Names: parameters and the user's names kept; the result named after the function; the
  // rest u₁, u₂, … in order.
  const kinds = new Map<string, Kind>();
  const formulas = new Map<number, Formula>();
  const names = new Map<number, string>();
  const taken = new Set<string>();
  const name = (v: Value, wanted: string) => {
    names.set(v.id, wanted);
    taken.add(wanted);
    kinds.set(wanted, kindOfShape(v.shape));
    formulas.set(v.id, m.symbol(wanted));
  };
  ir.params.forEach((p, k) => name(p, ir.paramNames[k]!));
  for (const d of fn.dims) taken.add(d);
  const kindOfName = (n: string) =>
    kinds.get(n) ?? (n.endsWith("\u0304") ? kinds.get(n.slice(0, -1)) : undefined);
  const tidy: Tidy = Object.assign((f: Formula) => simplify(f, kindOfName), {
    kind: (f: Formula) => kindOf(f, kindOfName),
  });
  let counter = 0;
  const fresh = () => {
    let candidate: string;
    do candidate = `u${subscriptOf(++counter)}`;
    while (taken.has(candidate));
    return candidate;
  };

  const variables: Variable[] = [];
  const instrs: Instr[] = [];
  for (const instr of ir.body) {
    if ((instr.blocks ?? []).length > 0) throw new Error(`internal: explain does not show loops yet`);
    const args = instr.args.map((a) => formulas.get(a.id)!);
    const definition = asColumn(valueFormula(instr, args), instr.result.shape, tidy);
    if (!active.has(instr.result.id)) {
      formulas.set(instr.result.id, definition);
      continue;
    }
    const hint = values.hintOf(instr.result);
    const wanted =
      instr.result === output && hint.origin !== "source"
        ? fn.name
        : hint.origin === "source" && !taken.has(displayName(hint))
          ? displayName(hint)
          : fresh();
    name(instr.result, wanted);
    instrs.push(instr);
    variables.push({
      name: wanted,
      shape: instr.result.shape,
      definition,
      // An inlined function's operation shows its own line.
      line: instr.origin?.inlined?.line ?? instr.origin?.line,
      source: instr.origin?.inlined?.text ?? instr.origin?.text,
    });
  }
  if (!names.has(output.id)) {
    // The result does not depend on the parameters (or is one): no operation to show for it.
    if (!active.has(output.id)) formulas.set(output.id, formulas.get(output.id)!);
  }

  const locals: LocalDerivative[] = [];
  for (const instr of instrs) {
    const of = names.get(instr.result.id)!;
    instr.args.forEach((arg, k) => {
      if (!active.has(arg.id)) return;
      const local = localDerivative(instr, k, formulasOf(instr, formulas), tidy);
      locals.push({ of, wrt: names.get(arg.id)!, ...local });
    });
  }

  // The chain rule, from the result back: each use of a value adds its share to the value's
  // adjoint; a value used twice sums two shares (the total-derivative rule).
  const seed = output.shape.length === 0 ? m.num(1) : adjointOf(names.get(output.id) ?? fn.name);
  const shares = new Map<number, { use: string; share: Formula }[]>();
  for (const instr of [...instrs].reverse()) {
    const use = names.get(instr.result.id)!;
    const adjoint = adjointOf(use);
    instr.args.forEach((arg, k) => {
      if (!active.has(arg.id)) return;
      const share = adjointShare(instr, k, formulasOf(instr, formulas), adjoint, tidy);
      const list = shares.get(arg.id) ?? [];
      list.unshift({ use, share });
      shares.set(arg.id, list);
    });
  }
  const adjoints: AdjointStep[] = [];
  const outputName = names.get(output.id);
  if (outputName !== undefined)
    adjoints.push({ of: outputName, shape: output.shape, terms: [{ use: "", share: seed }] });
  for (const instr of [...instrs].reverse()) {
    const terms = shares.get(instr.result.id);
    if (instr.result === output || terms === undefined) continue;
    adjoints.push({ of: names.get(instr.result.id)!, shape: instr.result.shape, terms });
  }
  ir.params.forEach((p, k) => {
    const terms = shares.get(p.id);
    if (terms !== undefined && wrt.includes(ir.paramNames[k]!)) {
      adjoints.push({ of: ir.paramNames[k]!, shape: p.shape, terms });
    }
  });

  // Step 4: substitute each adjoint's sum into the ones that read it, then the intermediates
  // the compiler introduced (u₁, …) by their definitions; the user's names stay, as the
  // paper's derivations keep z and a.
  const totals = new Map<string, Formula>();
  if (outputName !== undefined) totals.set(outputName, seed);
  const keep = new Set([
    ...ir.paramNames,
    ...variables.filter((v) => isUserName(v.name, fn.name)).map((v) => v.name),
  ]);
  const definitions = new Map(variables.map((v) => [v.name, v.definition]));
  const substitute = (f: Formula): Formula =>
    m.mapSymbols(f, (s) => {
      if (s.name.endsWith("\u0304")) {
        const total = totals.get(s.name.slice(0, -1));
        if (total === undefined) return m.num(0);
        // A vector result's adjoint is the direction the backward pass is given: it stays.
        return total === seed ? total : substitute(total);
      }
      if (!keep.has(s.name) && definitions.has(s.name)) return substitute(definitions.get(s.name)!);
      return s;
    });
  for (const step of adjoints) {
    if (step.of === outputName) continue;
    const sum = step.terms.map((t) => t.share).reduce((a, b) => m.op(a, "+", b));
    totals.set(step.of, tidy(asColumn(substitute(sum), step.shape, tidy)));
  }
  const results = wrt.map((p) => {
    const param = ir.params[ir.paramNames.indexOf(p)]!;
    return { wrt: p, shape: param.shape, formula: totals.get(p) ?? zerosOf(param.shape) };
  });

  // The user's variables the results name, defined back to the parameters and each other.
  const named = new Set<string>();
  const collect = (f: Formula) =>
    m.mapSymbols(f, (s) => {
      named.add(s.name);
      return s;
    });
  const defined = variables.map((v) => ({ name: v.name, definition: tidy(substitute(v.definition)) }));
  results.forEach((r) => collect(r.formula));
  for (const v of [...defined].reverse()) if (named.has(v.name) && keep.has(v.name)) collect(v.definition);
  const where = defined.filter((v) => named.has(v.name) && keep.has(v.name));

  return {
    function: fn.name,
    params: ir.params.map((p, k) => ({ name: ir.paramNames[k]!, shape: p.shape })),
    result: outputName ?? fn.name,
    resultShape: output.shape,
    seed,
    variables,
    locals,
    adjoints,
    results,
    where,
  };
}

/** Values that depend on one of `from` and that `to` depends on. */
function activeValues(body: readonly Instr[], from: readonly Value[], to: Value): Set<number> {
  const reached = new Set(from.map((v) => v.id));
  for (const instr of body) {
    // A comparison, sign: derivative zero, so nothing downstream depends on the parameters through it.
    if (primitiveOf(instr).vjp === "none") continue;
    if (instr.args.some((a) => reached.has(a.id))) reached.add(instr.result.id);
  }
  const needed = new Set([to.id]);
  for (const instr of [...body].reverse()) {
    if (needed.has(instr.result.id)) instr.args.forEach((a) => needed.add(a.id));
  }
  return new Set([...reached].filter((id) => needed.has(id)));
}

/** The user's names are kept in the result; the compiler's (u₁, …) are substituted back. */
const isUserName = (name: string, fnName: string) => !/^u[₀-₉]+$/.test(name) && name !== fnName;

function kindOfShape(shape: Shape): Kind {
  return shape.length === 0 ? "scalar" : shape.length === 1 ? "column" : "matrix";
}

/** Operand formulas of an instruction as its notation sees them (vectors spread to matrices explicit). */
function formulasOf(instr: Instr, formulas: ReadonlyMap<number, Formula>): Formula[] {
  const result = instr.result.shape;
  return instr.args.map((a) => {
    const f = formulas.get(a.id)!;
    // An element-wise operation spreads a vector over a matrix's rows (as NumPy); the paper
    // writes that spread out: 1⃗ bᵀ.
    if (primitiveOf(instr).elementwise === true && a.shape.length === 1 && result.length === 2) {
      return m.spreadAlong(f, 0, result);
    }
    return f;
  });
}

function valueFormula(instr: Instr, args: readonly Formula[]): Formula {
  const spread = formulasOf(instr, new Map(instr.args.map((a, k) => [a.id, args[k]!])));
  return primitiveOf(instr).notation.value(spread, instr.attrs as never);
}

/** A vector-valued formula written as a column: a row xᵀ A becomes Aᵀ x. */
function asColumn(f: Formula, shape: Shape, tidy: Tidy): Formula {
  const simple = tidy(f);
  if (shape.length !== 1) return simple;
  return tidy.kind(simple) === "row" ? tidy(m.transposed(simple)) : simple;
}

/** Simplification, and the kind of a formula, in one derivation's names. */
type Tidy = ((f: Formula) => Formula) & { readonly kind: (f: Formula) => Kind };

function zerosOf(shape: Shape): Formula {
  return shape.length === 0 ? m.num(0) : m.symbol("0");
}

/** ∂v/∂xₖ from the primitive's notation, or v's differential where it writes no Jacobian. */
function localDerivative(
  instr: Instr,
  k: number,
  args: readonly Formula[],
  tidy: Tidy,
): Pick<LocalDerivative, "jacobian" | "differential"> {
  const notation = primitiveOf(instr).notation;
  const result = notation.value(args, instr.attrs as never);
  const jacobian = notation.derivatives?.(args, result, instr.attrs as never)[k];
  if (jacobian !== undefined) {
    const [operand, result] = [instr.args[k]!.shape.length, instr.result.shape.length];
    let plain = jacobian;
    if (operand === 0 && result === 0) {
      // Of scalars, diag(d) is d and I is 1.
      if (jacobian.kind === "call" && jacobian.fn === "diag") plain = jacobian.args[0]!;
      plain = m.mapSymbols(plain, (s) => (s.name === "I" ? m.num(1) : s));
    } else if (operand === 0 && primitiveOf(instr).elementwise === true) {
      // Of a scalar operand, diag(d) is d: a column when the result is a vector (∂(x + b)/∂b = 1⃗).
      const ones = m.onesOf(instr.result.shape);
      const diagonal = jacobian.kind === "call" && jacobian.fn === "diag" ? jacobian.args[0]! : jacobian;
      plain = m.op(
        m.mapSymbols(diagonal, (s) => (s.name === "I" ? ones : s)),
        "⊙",
        ones,
      );
    } else if (
      jacobian.kind === "call" &&
      jacobian.fn === "diag" &&
      tidy.kind(jacobian.args[0]!) === "scalar"
    ) {
      // A vector times a scalar z: z I.
      plain = m.op(jacobian.args[0]!, " ", m.identity);
    }
    return { jacobian: tidy(plain) };
  }
  // A product of matrices is linear in each operand: its differential is the product with dX.
  // Linear in the operand (a product, a transpose, a diagonal): its differential is the operation on dX.
  const differential = args.map((a, j) => (j === k ? m.symbol(`d${m.formulaText(a)}`) : a));
  return { differential: notation.value(differential, instr.attrs as never) };
}

/**
 * Operand k's share of the adjoint: (∂v/∂xₖ)ᵀ v̄, summed back over what an element-wise
 * operation spread (a scalar added to a vector gets 1⃗ᵀ v̄).
 */
export function adjointShare(
  instr: Instr,
  k: number,
  args: readonly Formula[],
  adjoint: Formula,
  tidy: Tidy,
): Formula {
  const primitive = primitiveOf(instr);
  const { notation } = primitive;
  const shapes = instr.args.map((a) => a.shape);
  const result = notation.value(args, instr.attrs as never);
  const given = notation.adjoints?.(args, adjoint, result, instr.attrs as never, shapes)[k];
  const operand = instr.args[k]!.shape;
  let share: Formula;
  if (given !== undefined) share = given;
  else {
    const jacobian = notation.derivatives?.(args, result, instr.attrs as never)[k];
    if (jacobian === undefined) throw new Error(`internal: '${instr.op}' has no notation for its derivative`);
    share = shareFromJacobian(jacobian, adjoint, instr.result.shape, operand);
  }
  if (primitive.elementwise === true) share = sumSpread(share, instr.result.shape, operand);
  return asColumn(share, operand, tidy);
}

function shareFromJacobian(jacobian: Formula, adjoint: Formula, result: Shape, operand: Shape): Formula {
  if (jacobian.kind === "call" && jacobian.fn === "diag") return m.op(jacobian.args[0]!, "⊙", adjoint);
  if (jacobian.kind === "symbol" && jacobian.name === "I") return adjoint;
  if (jacobian.kind === "negate" && jacobian.of.kind === "symbol" && jacobian.of.name === "I")
    return m.neg(adjoint);
  if (result.length === 0) {
    // A scalar function: of a vector, J is a row rᵀ and the share ȳ r; of a matrix, J is
    // written as its gradient G (shaped like the matrix) and the share is ȳ G.
    const gradient = operand.length === 1 ? m.transposed(jacobian) : jacobian;
    return m.withOnes(m.op(adjoint, " ", gradient), operand);
  }
  return m.op(m.transposed(jacobian), " ", adjoint);
}

/** A share of an element-wise operation's adjoint, summed over the entries an operand was spread to. */
function sumSpread(share: Formula, result: Shape, operand: Shape): Formula {
  if (operand.length === result.length) return share;
  if (operand.length === 0) return m.sumAll(share, result);
  // A vector spread over the rows of a matrix gets the sums of its columns.
  return m.op(m.transposed(share), " ", m.onesOf([result[0]!]));
}

function subscriptOf(n: number): string {
  return [...String(n)].map((c) => "₀₁₂₃₄₅₆₇₈₉"[Number(c)]).join("");
}

export interface ExplainOptions {
  /** Used in diagnostics. Default `input.grad`. */
  readonly filename?: string;
  /** The function to explain; every function when absent. */
  readonly fn?: string;
  /** The parameter to differentiate with respect to; the function's `wrt` parameters when absent. */
  readonly wrt?: string;
  /** `md` (Markdown with LaTeX, the default), `text` (Unicode) or `json`. */
  readonly format?: ExplainFormat;
}

export interface ExplainResult {
  /** The derivation, printed; undefined when there are errors. */
  readonly text: string | undefined;
  readonly derivations: readonly Derivation[];
  readonly diagnostics: readonly Diagnostic[];
}

/** The derivations of a source's functions, printed in `format`. Never rejects for bad source. */
export async function explain(source: string, options: ExplainOptions = {}): Promise<ExplainResult> {
  const filename = options.filename ?? "input.grad";
  const format = options.format ?? "md";
  if (!["md", "text", "json"].includes(format)) {
    const sink = new DiagnosticSink(filename);
    sink.error(codes.badOption, `unknown format '${String(format)}'; formats are md, text, json`, wholeFile);
    return { text: undefined, derivations: [], diagnostics: sink.diagnostics };
  }
  try {
    const { derivations, diagnostics } = deriveExplanations(source, filename, options);
    if (diagnostics.some((d) => d.severity === "error"))
      return { text: undefined, derivations: [], diagnostics };
    return { text: printDerivations(derivations, format), derivations, diagnostics };
  } catch (error) {
    return { text: undefined, derivations: [], diagnostics: [internalError(filename, error)] };
  }
}
