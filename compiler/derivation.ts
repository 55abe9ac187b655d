// A function's derivation the way Parr & Howard teach it — (1) intermediate variables, one
// operation each; (2) each one's local derivative; (3) the chain rule in reverse, each
// variable's adjoint summed over its uses; (4) the result, substituted back and simplified —
// from the same IR the compiler differentiates and each primitive's notation (primitives.ts,
// `notation`), so the steps shown are the steps the generated code takes. `gradc explain`
// prints it (explain.ts); the generated backward pass carries each statement's step 3 as a
// comment (`backwardFormulas`).

import { displayName, inlinedPlace, type InlinedOrigin, type Instr, type Origin, type Value } from "./ir.js";
import type { LoweredFunction } from "./lower.js";
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

/** Steps 1 and the names of a function's derivation: what the chain rule walks. */
interface ChainRule {
  readonly output: Value;
  /** Values that depend on a `wrt` parameter and that the result depends on. */
  readonly active: ReadonlySet<number>;
  /** Each active value's name (parameters, the user's names, u₁, …). */
  readonly names: ReadonlyMap<number, string>;
  /** Each value's formula: its name when active, else its definition (constants inlined). */
  readonly formulas: ReadonlyMap<number, Formula>;
  readonly variables: readonly Variable[];
  /** The active instructions, in order. */
  readonly instrs: readonly Instr[];
  readonly tidy: Tidy;
}

/**
 * Step 1: names and definitions of the intermediate variables of `lowered` (the parameters
 * and the names `keeps` accepts kept, the result named `fnName`, the rest u₁, u₂, …).
 */
function chainRuleOf(
  lowered: LoweredFunction,
  fnName: string,
  dims: readonly string[],
  wrt: readonly string[],
  keeps: (origin: "source" | "callee" | "expression") => boolean,
  /** Simplify each definition (for display); comments simplify only what they print. */
  tidyDefinitions = true,
): ChainRule {
  const { ir, values } = lowered;
  const output = ir.outputs[0]!.value;
  const active = activeValues(
    ir.body,
    ir.params.filter((_, k) => wrt.includes(ir.paramNames[k]!)),
    output,
  );
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
  for (const d of dims) taken.add(d);
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
    const raw = valueFormula(instr, args);
    const definition = tidyDefinitions ? asColumn(raw, instr.result.shape, tidy) : raw;
    if (!active.has(instr.result.id)) {
      formulas.set(instr.result.id, definition);
      continue;
    }
    const hint = values.hintOf(instr.result);
    const wanted =
      instr.result === output && hint.origin !== "source"
        ? fnName
        : keeps(hint.origin) && !taken.has(displayName(hint))
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
  return { output, active, names, formulas, variables, instrs, tidy };
}

/** One function's derivation with respect to the parameters `wrt`, from its IR with every call inlined. */
export function deriveExplanation(
  lowered: LoweredFunction,
  fnName: string,
  dims: readonly string[],
  wrt: readonly string[],
): Derivation {
  const { ir } = lowered;
  const rule = chainRuleOf(lowered, fnName, dims, wrt, (origin) => origin === "source");
  const { output, active, names, formulas, variables, instrs, tidy } = rule;

  const locals: LocalDerivative[] = [];
  for (const instr of instrs) {
    const of = names.get(instr.result.id)!;
    instr.args.forEach((arg, k) => {
      if (!active.has(arg.id)) return;
      const local = localDerivative(
        instr,
        k,
        formulasOf(instr, formulas),
        formulas.get(instr.result.id)!,
        tidy,
      );
      locals.push({ of, wrt: names.get(arg.id)!, ...local });
    });
  }

  // The chain rule, from the result back: each use of a value adds its share to the value's
  // adjoint; a value used twice sums two shares (the total-derivative rule).
  const seed = output.shape.length === 0 ? m.num(1) : adjointOf(names.get(output.id) ?? fnName);
  const shares = new Map<number, { use: string; share: Formula }[]>();
  for (const instr of [...instrs].reverse()) {
    const use = names.get(instr.result.id)!;
    const adjoint = adjointOf(use);
    instr.args.forEach((arg, k) => {
      if (!active.has(arg.id)) return;
      const share = shareIn(rule, instr, k, adjoint);
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
    ...variables.filter((v) => isUserName(v.name, fnName)).map((v) => v.name),
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
    function: fnName,
    params: ir.params.map((p, k) => ({ name: ir.paramNames[k]!, shape: p.shape })),
    result: outputName ?? fnName,
    resultShape: output.shape,
    seed,
    variables,
    locals,
    adjoints,
    results,
    where,
  };
}

/** Statements of more operations than this get no chain-rule comment; nor do steps of more nodes than `maxCommentSize`. */
const maxStatementOperations = 40;
const maxCommentSize = 80;
const maxCommentLength = 100;

/** A source statement, as comments and `backwardFormulas` identify it: the line, and the inlined line. */
export function statementKey(
  origin: Pick<Origin, "line" | "text"> | undefined,
  inlined: InlinedOrigin | undefined,
): string {
  if (origin === undefined) return "";
  const inner = inlined === undefined ? "" : `|${inlinedPlace(inlined)}: ${inlined.text}`;
  return `${origin.line}: ${origin.text}${inner}`;
}

/**
 * Step 3 statement by statement, for the generated backward pass's comments: for each source
 * statement (`statementKey`), the share of each value it reads, in the statement's own terms —
 * for `z = X @ w + b`, `dw = Xᵀ dz` and `db = sum(dz)`; `+=` where the value is read by other
 * statements too (its adjoint sums their shares). Statements whose operations have no notation
 * for their derivative (a call kept as a call) have none.
 */
export function backwardFormulas(
  lowered: LoweredFunction,
  fnName: string,
  dims: readonly string[],
  wrt: readonly string[],
): (statement: string, seedIsOne: boolean) => readonly string[] {
  const rule = chainRuleOf(lowered, fnName, dims, wrt, (origin) => origin !== "expression", false);
  const { output, active, names, instrs, tidy } = rule;
  const definitions = new Map(rule.variables.map((v) => [v.name, v.definition]));
  const uses = new Map<number, number>();
  const readers = new Map<number, Set<string>>();
  for (const instr of instrs) {
    for (const arg of instr.args) {
      if (!active.has(arg.id)) continue;
      uses.set(arg.id, (uses.get(arg.id) ?? 0) + 1);
      readers.set(
        arg.id,
        (readers.get(arg.id) ?? new Set()).add(statementKey(instr.origin, instr.origin?.inlined)),
      );
    }
  }
  const groups = new Map<string, Instr[]>();
  for (const instr of instrs) {
    const key = statementKey(instr.origin, instr.origin?.inlined);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [instr]);
    else group.push(instr);
  }
  // Each statement's lines, computed when the emitter asks (once per seed where the seed
  // appears: in the result's statement).
  const lines = new Map<string, readonly string[]>();
  return (key, seedIsOne) => {
    const group = groups.get(key);
    // A statement of many operations (a long sum) has no one-line step worth reading.
    if (group === undefined || group.length > maxStatementOperations) return [];
    const cacheKey = group.some((i) => i.result === output) ? `${seedIsOne}|${key}` : key;
    let found = lines.get(cacheKey);
    if (found === undefined) {
      try {
        found = statementShares(group, key, seedIsOne);
      } catch {
        // An operation without a notation for its derivative: no formula for this statement.
        found = [];
      }
      lines.set(cacheKey, found);
    }
    return found;
  };

  function statementShares(group: readonly Instr[], key: string, seedIsOne: boolean): string[] {
    const inside = new Set(group.map((i) => i.result.id));
    const readElsewhere = (v: Value) => {
      const statements = readers.get(v.id);
      return v === output || (statements !== undefined && (statements.size > 1 || !statements.has(key)));
    };
    const adjoints = new Map<number, Formula>();
    for (const instr of group) {
      // The result's adjoint is what the backward pass is given: its seed (1 for a gradient).
      const seed = seedIsOne ? m.num(1) : m.symbol("seed");
      const adjoint = instr.result === output ? seed : adjointOf(names.get(instr.result.id)!);
      if (readElsewhere(instr.result)) adjoints.set(instr.result.id, adjoint);
    }
    const shares = new Map<number, { value: Value; share: Formula[] }>();
    for (const instr of [...group].reverse()) {
      const adjoint = adjoints.get(instr.result.id);
      if (adjoint === undefined) continue;
      instr.args.forEach((arg, k) => {
        if (!active.has(arg.id)) return;
        const share = shareIn(rule, instr, k, adjoint);
        if (inside.has(arg.id) && !readElsewhere(arg)) {
          const known = adjoints.get(arg.id);
          adjoints.set(arg.id, known === undefined ? share : m.op(known, "+", share));
        } else {
          const entry = shares.get(arg.id) ?? { value: arg, share: [] };
          entry.share.push(share);
          shares.set(arg.id, entry);
        }
      });
    }
    // The statement's own intermediates written out: its lines read in the user's names.
    const internal = new Set(
      group.filter((i) => !readElsewhere(i.result)).map((i) => names.get(i.result.id)!),
    );
    const substitute = (f: Formula): Formula =>
      m.mapSymbols(f, (s) => (internal.has(s.name) ? substitute(definitions.get(s.name)!) : s));
    return [...shares.values()].flatMap(({ value, share }) => {
      const sum = share.reduce((a, b) => m.op(a, "+", b));
      const formula = tidy(asColumn(substitute(sum), value.shape, tidy));
      if (m.formulaSize(formula, maxCommentSize) >= maxCommentSize) return [];
      const line = `${m.formulaText(adjointOf(names.get(value.id)!))} ${"="} ${m.formulaText(formula)}`;
      if ([...line].length > maxCommentLength) return [];
      const assign = (uses.get(value.id) ?? 0) > share.length ? "+=" : "=";
      return [`${m.formulaText(adjointOf(names.get(value.id)!))} ${assign} ${m.formulaText(formula)}`];
    });
  }
}

/** Operand k's share of `adjoint`, in the names of `rule`. */
function shareIn(rule: ChainRule, instr: Instr, k: number, adjoint: Formula): Formula {
  const { formulas, tidy } = rule;
  return adjointShare(instr, k, formulasOf(instr, formulas), formulas.get(instr.result.id)!, adjoint, tidy);
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
  return shape.length === 0 ? m.num(0) : { kind: "symbol", name: "0", shape };
}

/** ∂v/∂xₖ from the primitive's notation, or v's differential where it writes no Jacobian. */
function localDerivative(
  instr: Instr,
  k: number,
  args: readonly Formula[],
  /** The result's name (y of tanh(x)'s 1 − y²). */
  result: Formula,
  tidy: Tidy,
): Pick<LocalDerivative, "jacobian" | "differential"> {
  const notation = primitiveOf(instr).notation;
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
  result: Formula,
  adjoint: Formula,
  tidy: Tidy,
): Formula {
  const primitive = primitiveOf(instr);
  const { notation } = primitive;
  const shapes = instr.args.map((a) => a.shape);
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
