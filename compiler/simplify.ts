// Simplification of formulas into the matrix notation a person would write: `diag(u) v` is
// u ⊙ v, `1⃗ᵀ diag(u)` is uᵀ, ×1 and +0 disappear, scalar factors are collected in front
// (`(2/N) Xᵀ v`), negations are pulled out, common factors are collected (`A x + Aᵀ x` is
// `(A + Aᵀ) x`) and a vector written as a row (`xᵀ A`) is turned back into a column (`Aᵀ x`).
// Every rule is an identity of the algebra, so a simplified formula has the value it had.

import * as m from "./notation.js";
import type { Formula } from "./notation.js";

/** What a formula denotes: vectors are columns, as in the paper; `xᵀ` is a row. */
export type Kind = "scalar" | "column" | "row" | "matrix";

/** The kinds of a derivation's named values (parameters and intermediates). */
export type KindOfName = (name: string) => Kind | undefined;

/** Formulas of this many nodes or more are simplified in one pass. */
const largeFormula = 2000;

const reductions = new Set(["sum", "prod", "max", "min", "logsumexp", "log det", "det", "norm2", "trace"]);

/** The kind of `f`, given the kinds of the names it reads. */
export function kindOf(f: Formula, names: KindOfName): Kind {
  const widest = (kinds: Kind[]): Kind =>
    kinds.includes("matrix")
      ? "matrix"
      : kinds.includes("column")
        ? "column"
        : kinds.includes("row")
          ? "row"
          : "scalar";
  switch (f.kind) {
    case "number":
    case "element":
    case "norm":
      return "scalar";
    case "symbol":
      if (f.shape !== undefined)
        return f.shape.length === 0 ? "scalar" : f.shape.length === 1 ? "column" : "matrix";
      if (f.name === "I") return "matrix";
      if (f.name === "1⃗" || /^e[₀-₉,]+$/.test(f.name)) return "column";
      return names(f.name) ?? "scalar";
    case "call": {
      const axis = f.args.some((a) => a.kind === "symbol" && a.name.startsWith("axis="));
      if (f.fn === "diag") return "matrix";
      if (f.fn === "diagonal") return "column";
      if (reductions.has(f.fn) && (f.args.length === 1 || axis)) return axis ? "column" : "scalar";
      return widest(f.args.map((a) => kindOf(a, names)));
    }
    case "binary": {
      const [l, r] = [kindOf(f.left, names), kindOf(f.right, names)];
      if (f.op === "·") return "scalar";
      if (f.op === "/") return l;
      if (f.op !== " ") return widest([l, r]);
      if (l === "scalar") return r;
      if (r === "scalar") return l;
      if (l === "row") return r === "column" ? "scalar" : "row";
      if (l === "column") return "matrix";
      return r === "column" ? "column" : "matrix";
    }
    case "negate":
    case "sqrt":
      return kindOf(f.of, names);
    case "power":
      return kindOf(f.base, names);
    case "indicator":
      return kindOf(f.test, names);
    case "postfix": {
      const k = kindOf(f.of, names);
      if (f.op !== "ᵀ") return "matrix";
      return k === "column" ? "row" : k === "row" ? "column" : k;
    }
    case "list":
      return "column";
  }
}

/** Whether two formulas are the same tree (compared node by node, stopping at the first difference). */
export function sameFormula(a: Formula, b: Formula): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  const same = (x: readonly Formula[], y: readonly Formula[]) =>
    x.length === y.length && x.every((f, k) => sameFormula(f, y[k]!));
  switch (a.kind) {
    case "symbol": {
      const s = b as typeof a;
      return a.name === s.name && (a.shape ?? []).join() === (s.shape ?? []).join();
    }
    case "number":
      return a.value === (b as typeof a).value;
    case "call":
      return a.fn === (b as typeof a).fn && same(a.args, (b as typeof a).args);
    case "binary": {
      const c = b as typeof a;
      return a.op === c.op && sameFormula(a.left, c.left) && sameFormula(a.right, c.right);
    }
    case "negate":
    case "sqrt":
    case "norm":
      return sameFormula(a.of, (b as typeof a).of);
    case "postfix":
      return a.op === (b as typeof a).op && sameFormula(a.of, (b as typeof a).of);
    case "power":
      return sameFormula(a.base, (b as typeof a).base) && sameFormula(a.exponent, (b as typeof a).exponent);
    case "indicator":
      return sameFormula(a.test, (b as typeof a).test);
    case "list":
      return same(a.items, (b as typeof a).items);
    case "element":
      return a.index.join() === (b as typeof a).index.join() && sameFormula(a.of, (b as typeof a).of);
  }
}

/** `f` simplified, to a fixed point of the rules below. */
export function simplify(f: Formula, names: KindOfName): Formula {
  const simplifier = new Simplifier(names);
  let current = f;
  // A formula of thousands of terms (a flat chain) gets one pass: no one reads it whole, and
  // each pass compares subformulas.
  const rounds = m.formulaSize(f, largeFormula) < largeFormula ? 50 : 1;
  for (let round = 0; round < rounds; round++) {
    const next = simplifier.visit(current);
    if (sameFormula(next, current)) return next;
    current = next;
  }
  return current;
}

type Binary = Extract<Formula, { kind: "binary" }>;
const isNumber = (f: Formula): f is Extract<Formula, { kind: "number" }> => f.kind === "number";
const isZero = (f: Formula): boolean => f.kind === "number" && f.value === 0;
const isOne = (f: Formula): boolean => f.kind === "number" && f.value === 1;
const isOnes = (f: Formula) => f.kind === "symbol" && f.name === "1⃗";
/** 1⃗ or the matrix of ones 1⃗ 1⃗ᵀ: the identity of ⊙. */
const isOnesLike = (f: Formula) =>
  isOnes(f) ||
  (isProduct(f) && isOnes(f.left) && f.right.kind === "postfix" && f.right.op === "ᵀ" && isOnes(f.right.of));
/** The size of a sized 1⃗, for 1⃗ᵀ 1⃗ = n. */
const onesSize = (f: Formula) =>
  f.kind === "symbol" && f.name === "1⃗" && f.shape?.length === 1 ? f.shape[0] : undefined;
const isIdentity = (f: Formula) => f.kind === "symbol" && f.name === "I";
const isNegate = (f: Formula): f is Extract<Formula, { kind: "negate" }> => f.kind === "negate";
const isProduct = (f: Formula): f is Binary & { readonly op: " " } => f.kind === "binary" && f.op === " ";
const flips: Record<string, m.FormulaOperator> = {
  "<": ">",
  ">": "<",
  "≤": "≥",
  "≥": "≤",
  "=": "=",
  "≠": "≠",
};

class Simplifier {
  private readonly names: KindOfName;
  constructor(names: KindOfName) {
    this.names = names;
  }

  private kind(f: Formula): Kind {
    return kindOf(f, this.names);
  }

  private scalar(f: Formula): boolean {
    return this.kind(f) === "scalar";
  }

  visit(f: Formula): Formula {
    switch (f.kind) {
      case "binary":
        return this.binary(f.op, this.visit(f.left), this.visit(f.right));
      case "negate":
        return this.negate(this.visit(f.of));
      case "postfix":
        return this.postfix(f.op, this.visit(f.of));
      case "power": {
        const [base, exponent] = [this.visit(f.base), this.visit(f.exponent)];
        if (isOne(exponent)) return base;
        if (isZero(exponent)) return m.num(1);
        if (isNumber(base) && isNumber(exponent)) return m.num(base.value ** exponent.value);
        return m.power(base, exponent);
      }
      case "call": {
        const args = f.args.map((a) => this.visit(a));
        if (f.fn === "diag" && args.length === 1 && isOnes(args[0]!)) {
          const shape = args[0]!.kind === "symbol" ? args[0]!.shape : undefined;
          return shape === undefined ? m.identity : m.identityOf(shape[0]!);
        }
        // A sum is linear: scalar factors and signs come out, sum(−(2/N) v) is −(2/N) sum(v).
        if (f.fn === "sum" && args.length === 1) {
          const [v] = args as [Formula];
          if (isNegate(v)) return this.negate(this.visit(m.fn("sum", v.of)));
          if (isProduct(v) && this.scalar(v.left) && !this.scalar(v.right)) {
            return this.product(v.left, this.visit(m.fn("sum", v.right)));
          }
        }
        return m.fn(f.fn, ...args);
      }
      case "indicator": {
        const test = this.visit(f.test);
        // A comparison reads with the variable first: 1[0 < z] is 1[z > 0].
        if (test.kind === "binary" && isNumber(test.left) && !isNumber(test.right)) {
          return m.indicator(m.op(test.right, flips[test.op] ?? test.op, test.left));
        }
        return m.indicator(test);
      }
      case "sqrt":
        return m.sqrt(this.visit(f.of));
      case "norm":
        return m.norm(this.visit(f.of));
      case "list":
        return m.list(f.items.map((i) => this.visit(i)));
      case "element": {
        const of = this.visit(f.of);
        // [a, b][1] is b; [[1, 2], [3, 4]][1, 0] is 3.
        if (of.kind === "list") {
          const item = of.items[f.index[0]!];
          if (item !== undefined && f.index.length === 1) return item;
          if (item?.kind === "list" && f.index.length === 2 && item.items[f.index[1]!] !== undefined) {
            return item.items[f.index[1]!]!;
          }
        }
        return m.element(of, f.index);
      }
      default:
        return f;
    }
  }

  private negate(of: Formula): Formula {
    if (isNumber(of)) return m.num(of.value === 0 ? 0 : -of.value);
    if (isNegate(of)) return of.of;
    // −(c X) with a number c is (−c) X: the sign joins the coefficient.
    if (isProduct(of) && isNumber(of.left)) return m.op(m.num(-of.left.value), " ", of.right);
    return m.neg(of);
  }

  private postfix(op: "ᵀ" | "⁻¹" | "⁻ᵀ", of: Formula): Formula {
    if (op !== "ᵀ") {
      if (isIdentity(of)) return of;
      return { kind: "postfix", op, of };
    }
    const kind = this.kind(of);
    if (kind === "scalar") return of;
    if (of.kind === "postfix") {
      if (of.op === "ᵀ") return of.of;
      return { kind: "postfix", op: of.op === "⁻¹" ? "⁻ᵀ" : "⁻¹", of: of.of };
    }
    if (isNegate(of)) return this.negate(this.postfix("ᵀ", of.of));
    if (isIdentity(of) || (of.kind === "call" && of.fn === "diag")) return of;
    if (isProduct(of)) {
      if (this.scalar(of.left)) return this.binary(" ", of.left, this.postfix("ᵀ", of.right));
      return this.binary(" ", this.postfix("ᵀ", of.right), this.postfix("ᵀ", of.left));
    }
    // Element-wise operations and sums of matrices transpose term by term.
    if (of.kind === "binary" && (of.op === "+" || of.op === "−") && kind === "matrix") {
      const [l, r] = [this.postfix("ᵀ", of.left), this.postfix("ᵀ", of.right)];
      if (l.kind !== "postfix" || r.kind !== "postfix") return m.op(l, of.op, r);
    }
    return m.transposed(of);
  }

  private binary(op: m.FormulaOperator, l: Formula, r: Formula): Formula {
    if (isNumber(l) && isNumber(r)) {
      const folded = fold(op, l.value, r.value);
      if (folded !== undefined && Number.isFinite(folded)) return m.num(folded);
    }
    switch (op) {
      case "+":
        return this.sum(l, r);
      case "−":
        if (isZero(r)) return l;
        if (isZero(l)) return this.negate(r);
        if (isNegate(r)) return this.sum(l, r.of);
        if (sameFormula(l, r)) return m.num(0);
        {
          const [a, b] = [numericPart(l), numericPart(r)];
          if (sameFormula(a.rest, b.rest)) return this.product(m.num(a.factor - b.factor), a.rest);
        }
        return m.op(l, "−", r);
      case "⊙":
        return this.hadamard(l, r);
      case "⊘":
        if (isOne(r)) return l;
        if (isZero(l)) return m.num(0);
        if (isNegate(l)) return this.negate(this.binary("⊘", l.of, r));
        if (this.scalar(r)) {
          if (this.scalar(l)) return this.binary("/", l, r);
          return this.binary(" ", this.binary("/", m.num(1), r), l);
        }
        return m.op(l, "⊘", r);
      case "/":
        if (isOne(r)) return l;
        if (isZero(l)) return m.num(0);
        if (isNegate(l)) return this.negate(this.binary("/", l.of, r));
        if (this.scalar(l) && this.scalar(r)) {
          return coefficient([l, m.op(m.num(1), "/", r)], (f) => this.scalar(f));
        }
        return m.op(l, "/", r);
      case "·":
        if (isZero(l) || isZero(r)) return m.num(0);
        if (isNegate(l)) return this.negate(this.binary("·", l.of, r));
        if (isNegate(r)) return this.negate(this.binary("·", l, r.of));
        return m.op(l, "·", r);
      case " ":
        return this.product(l, r);
      default:
        return m.op(l, op, r);
    }
  }

  private sum(l: Formula, r: Formula): Formula {
    if (isZero(l)) return r;
    if (isZero(r)) return l;
    if (isNegate(r)) return this.binary("−", l, r.of);
    if (isNegate(l)) return this.binary("−", r, l.of);
    if (sameFormula(l, r)) return this.product(m.num(2), l);
    // Sums associate: a + (b + c) reads a + b + c.
    if (r.kind === "binary" && (r.op === "+" || r.op === "−"))
      return this.binary(r.op, this.sum(l, r.left), r.right);
    // Like terms: 2 x² + x² is 3 x².
    const [a, b] = [numericPart(l), numericPart(r)];
    if (sameFormula(a.rest, b.rest)) return this.product(m.num(a.factor + b.factor), a.rest);
    // Common factors: A x + B x is (A + B) x; A x + A y is A (x + y) (for non-scalar A, x).
    if (isProduct(l) && isProduct(r)) {
      if (sameFormula(l.right, r.right) && !this.scalar(l.right)) {
        return this.product(this.sum(l.left, r.left), l.right);
      }
      if (sameFormula(l.left, r.left)) {
        return this.product(l.left, this.sum(l.right, r.right));
      }
    }
    return m.op(l, "+", r);
  }

  private hadamard(l: Formula, r: Formula): Formula {
    if (isZero(l) || isZero(r)) return m.num(0);
    if (isOne(l)) return r;
    if (isOne(r)) return l;
    if (isOnesLike(l) && !this.scalar(r)) return r;
    if (isOnesLike(r) && !this.scalar(l)) return l;
    if (this.scalar(l)) return this.product(l, r);
    if (this.scalar(r)) return this.product(r, l);
    if (isNegate(l)) return this.negate(this.hadamard(l.of, r));
    if (isNegate(r)) return this.negate(this.hadamard(l, r.of));
    if (isProduct(l) && this.scalar(l.left)) return this.product(l.left, this.hadamard(l.right, r));
    if (isProduct(r) && this.scalar(r.left)) return this.product(r.left, this.hadamard(l, r.right));
    // A mask reads last: (y − a) ⊙ 1[z > 0].
    if (l.kind === "indicator" && r.kind !== "indicator") return m.op(r, "⊙", l);
    return m.op(l, "⊙", r);
  }

  private product(l: Formula, r: Formula): Formula {
    if (isZero(l) || isZero(r)) return m.num(0);
    if (isOne(l)) return r;
    if (isOne(r)) return l;
    if (isNumber(l) && l.value === -1) return this.negate(r);
    if (isIdentity(l) && !this.scalar(r)) return r;
    if (isIdentity(r) && !this.scalar(l)) return l;
    if (isNegate(l)) return this.negate(this.product(l.of, r));
    if (isNegate(r)) return this.negate(this.product(l, r.of));
    const [ls, rs] = [this.scalar(l), this.scalar(r)];
    // A scalar factor goes first, and scalar factors merge: 2 ((1/N) v) is (2/N) v.
    if (rs && !ls) return this.product(r, l);
    const scalar = (f: Formula) => this.scalar(f);
    if (ls && rs) return coefficient([l, r], scalar);
    if (ls) {
      if (isProduct(r) && this.scalar(r.left)) return this.product(coefficient([l, r.left], scalar), r.right);
      if (isOnes(r) && r.kind === "symbol" && r.shape === undefined) return m.op(l, " ", r);
      return m.op(l, " ", r);
    }
    if (isProduct(l) && this.scalar(l.left)) return this.product(l.left, this.product(l.right, r));
    if (isProduct(r) && this.scalar(r.left)) return this.product(r.left, this.product(l, r.right));
    // 1⃗ᵀ 1⃗ is the length; A 1⃗ᵀ 1⃗ is n A.
    const size = (row: Formula, col: Formula) =>
      row.kind === "postfix" &&
      row.op === "ᵀ" &&
      onesSize(row.of) !== undefined &&
      onesSize(row.of) === onesSize(col)
        ? onesSize(col)
        : undefined;
    const n = size(l, r);
    if (n !== undefined) return typeof n === "number" ? m.num(n) : m.symbol(n);
    if (isProduct(l) && size(l.right, r) !== undefined) return this.product(this.product(l.right, r), l.left);
    // 1⃗ᵀ v is sum(v), 1⃗ᵀ A 1⃗ is sum(A).
    const onesRow = (f: Formula) => f.kind === "postfix" && f.op === "ᵀ" && isOnes(f.of);
    if (onesRow(l) && this.kind(r) === "column") return m.fn("sum", r);
    if (isProduct(l) && onesRow(l.left) && this.kind(l.right) === "matrix" && isOnes(r))
      return m.fn("sum", l.right);
    // Aᵀ 1⃗ is the sums of A's columns, A 1⃗ of its rows (a bias's gradient).
    if (isOnes(r) && this.kind(l) === "matrix" && !isOnesLike(l)) {
      if (l.kind === "postfix" && l.op === "ᵀ") return m.fn("sum", l.of, m.symbol("axis=0"));
      if (!(isProduct(l) && onesRow(l.left))) return m.fn("sum", l, m.symbol("axis=1"));
    }
    // diag(u) v is u ⊙ v; 1⃗ᵀ diag(u) is uᵀ.
    if (l.kind === "call" && l.fn === "diag" && this.kind(r) === "column")
      return this.hadamard(l.args[0]!, r);
    if (l.kind === "postfix" && l.op === "ᵀ" && isOnes(l.of) && r.kind === "call" && r.fn === "diag") {
      return this.postfix("ᵀ", r.args[0]!);
    }
    // A row times a matrix, read as a vector, is Aᵀ x: kept as a row here; the caller
    // asking for a column transposes it.
    return m.op(l, " ", r);
  }
}

function fold(op: m.FormulaOperator, a: number, b: number): number | undefined {
  switch (op) {
    case "+":
      return a + b;
    case "−":
      return a - b;
    case "⊙":
    case " ":
    case "·":
      return a * b;
    case "⊘":
    case "/":
      return Number.isInteger(a / b) ? a / b : undefined;
    default:
      return undefined;
  }
}

/**
 * The product of scalar factors as one coefficient: numbers multiplied, divisions gathered
 * under one fraction bar, a factor that is also a divisor cancelled: 2 u (1/u) is 2.
 */
function coefficient(factors: readonly Formula[], scalar: (f: Formula) => boolean): Formula {
  let value = 1;
  /** Each scalar factor with its exponent: x x is x², x / x² is 1/x. */
  const powers: { base: Formula; exponent: number }[] = [];
  /** Scalars that are products of vectors or matrices (1⃗ᵀ v): kept whole, after the coefficient. */
  const rest: Formula[] = [];
  const raise = (base: Formula, exponent: number) => {
    const known = powers.find((p) => sameFormula(p.base, base));
    if (known !== undefined) known.exponent += exponent;
    else powers.push({ base, exponent });
  };
  const walk = (g: Formula, sign: number) => {
    if (isNumber(g)) value = sign > 0 ? value * g.value : value / g.value;
    else if (isProduct(g) && scalar(g.left) && scalar(g.right)) (walk(g.left, sign), walk(g.right, sign));
    else if (g.kind === "binary" && g.op === "/") (walk(g.left, sign), walk(g.right, -sign));
    else if (isNegate(g)) ((value = -value), walk(g.of, sign));
    else if (g.kind === "power" && isNumber(g.exponent) && Number.isInteger(g.exponent.value)) {
      raise(g.base, sign * g.exponent.value);
    } else if (isProduct(g) && sign > 0) rest.push(g);
    else raise(g, sign);
  };
  factors.forEach((f) => walk(f, 1));
  const times = (fs: readonly Formula[]) => fs.reduce((a, b) => m.op(a, " ", b));
  const term = (p: { base: Formula; exponent: number }) => {
    const e = Math.abs(p.exponent);
    return e === 1 ? p.base : m.power(p.base, m.num(e));
  };
  // Names and their powers stay in the fraction; other factors (cos(x²), sum(v)) follow it.
  const named = (p: { base: Formula }) => p.base.kind === "symbol";
  rest.unshift(...powers.filter((p) => p.exponent > 0 && !named(p)).map(term));
  const over = powers.filter((p) => p.exponent > 0 && named(p)).map(term);
  const under = powers.filter((p) => p.exponent < 0).map(term);
  const magnitude = Math.abs(value);
  const numerator = magnitude === 1 && over.length > 0 ? over : [m.num(magnitude), ...over];
  let result = times(numerator);
  if (under.length > 0) result = m.op(result, "/", times(under));
  if (rest.length > 0) result = isOne(result) ? times(rest) : m.op(result, " ", times(rest));
  return value < 0 ? m.neg(result) : result;
}

/** A term as a number times the rest: 3 x² is (3, x²), x is (1, x), −x is (−1, x). */
function numericPart(f: Formula): { factor: number; rest: Formula } {
  if (isNegate(f)) {
    const inner = numericPart(f.of);
    return { factor: -inner.factor, rest: inner.rest };
  }
  if (isProduct(f) && isNumber(f.left)) return { factor: f.left.value, rest: f.right };
  return { factor: 1, rest: f };
}
