// Math notation: how each primitive and its local derivative are written in the paper's
// matrix calculus (numerator layout; element-wise operations as diagonal Jacobians). Each
// primitive's entry builds its formulas from its operands' (primitives.ts, `notation`);
// `gradc explain` prints, simplifies and evaluates them. Formulas are data, not text, so one
// formula can print as Unicode for a terminal or as LaTeX.

export type Formula =
  /**
   * A variable or a named constant: `x`, `I`, `1⃗`. A constant may carry its shape, which the
   * printers leave implicit (as the paper does) and an evaluator needs.
   */
  | { readonly kind: "symbol"; readonly name: string; readonly shape?: readonly (number | string)[] }
  | { readonly kind: "number"; readonly value: number }
  /** A named function: `tanh(x)`, `diag(v)`, `sum(x)`. */
  | { readonly kind: "call"; readonly fn: string; readonly args: readonly Formula[] }
  | { readonly kind: "binary"; readonly op: FormulaOperator; readonly left: Formula; readonly right: Formula }
  | { readonly kind: "negate"; readonly of: Formula }
  /** xᵀ, X⁻¹, X⁻ᵀ. */
  | { readonly kind: "postfix"; readonly op: "ᵀ" | "⁻¹" | "⁻ᵀ"; readonly of: Formula }
  | { readonly kind: "power"; readonly base: Formula; readonly exponent: Formula }
  /** 1[a > b]: 1 where the condition holds, 0 elsewhere. */
  | { readonly kind: "indicator"; readonly test: Formula }
  | { readonly kind: "sqrt"; readonly of: Formula }
  | { readonly kind: "norm"; readonly of: Formula }
  /** [a, b, c]. */
  | { readonly kind: "list"; readonly items: readonly Formula[] }
  /** x[i], A[i, j]. */
  | { readonly kind: "element"; readonly of: Formula; readonly index: readonly number[] };

/**
 * `+`, `−`; element-wise `⊙`, `⊘`; `/` a division by a scalar; `·` the dot product; `` (a
 * space) a matrix product, or a scalar's product with anything; and the comparisons inside an
 * indicator.
 */
export type FormulaOperator = "+" | "−" | "⊙" | "⊘" | "/" | "·" | " " | ">" | "≥" | "<" | "≤" | "=" | "≠";

// ---------------------------------------------------------------------------
// Building formulas

export const symbol = (name: string): Formula => ({ kind: "symbol", name });
export const num = (value: number): Formula => ({ kind: "number", value });
export const fn = (name: string, ...args: Formula[]): Formula => ({ kind: "call", fn: name, args });
export const op = (left: Formula, operator: FormulaOperator, right: Formula): Formula => ({
  kind: "binary",
  op: operator,
  left,
  right,
});
export const neg = (of: Formula): Formula => ({ kind: "negate", of });
export const transposed = (of: Formula): Formula => ({ kind: "postfix", op: "ᵀ", of });
export const inverse = (of: Formula): Formula => ({ kind: "postfix", op: "⁻¹", of });
export const inverseTransposed = (of: Formula): Formula => ({ kind: "postfix", op: "⁻ᵀ", of });
export const power = (base: Formula, exponent: Formula): Formula => ({ kind: "power", base, exponent });
export const indicator = (test: Formula): Formula => ({ kind: "indicator", test });
export const sqrt = (of: Formula): Formula => ({ kind: "sqrt", of });
export const norm = (of: Formula): Formula => ({ kind: "norm", of });
export const list = (items: readonly Formula[]): Formula => ({ kind: "list", items });
export const element = (of: Formula, index: readonly number[]): Formula => ({ kind: "element", of, index });
/** diag(v): the Jacobian of an element-wise operation. */
export const diag = (v: Formula): Formula => fn("diag", v);

/** The identity matrix, the vector of ones. */
export const identity = symbol("I");
export const ones = symbol("1⃗");
/** A named constant with its shape: `onesOf([n])` is 1⃗ ∈ ℝⁿ. */
export const onesOf = (shape: readonly (number | string)[]): Formula => ({
  kind: "symbol",
  name: "1⃗",
  shape,
});
export const identityOf = (n: number | string): Formula => ({ kind: "symbol", name: "I", shape: [n, n] });

type Sizes = readonly (number | string)[];

/** Ones shaped like a value of `shape`: 1⃗ for a vector, 1⃗ 1⃗ᵀ for a matrix, 1 for a scalar. */
export function onesLike(shape: Sizes): Formula {
  if (shape.length === 0) return num(1);
  if (shape.length === 1) return onesOf(shape);
  return op(onesOf([shape[0]!]), " ", transposed(onesOf([shape[1]!])));
}

/** The sum of all entries of `f` of `shape`, as products with ones: 1⃗ᵀ v, 1⃗ᵀ A 1⃗. */
export function sumAll(f: Formula, shape: Sizes): Formula {
  if (shape.length === 0) return f;
  const row = op(transposed(onesOf([shape[0]!])), " ", f);
  return shape.length === 1 ? row : op(row, " ", onesOf([shape[1]!]));
}

/** A vector spread over the rows (axis 0) or the columns (axis 1) of a matrix of `shape`. */
export function spreadAlong(v: Formula, axis: 0 | 1, shape: Sizes): Formula {
  return axis === 0
    ? op(onesOf([shape[0]!]), " ", transposed(v))
    : op(v, " ", transposed(onesOf([shape[1]!])));
}

/** The unit vector (or matrix) eᵢ of `shape` with a 1 at `index`. */
export const unitOf = (index: readonly number[], shape: Sizes): Formula => ({
  kind: "symbol",
  name: `e${subscript(index.join(","))}`,
  shape,
});

/** The unit vector along position `index`: eᵢ. */
export const unit = (index: readonly number[]): Formula => symbol(`e${subscript(index.join(","))}`);

/** How many nodes `f` has, counting up to `limit` (then `limit`): a formula too large to read is not printed. */
export function formulaSize(f: Formula, limit = Infinity): number {
  let count = 0;
  const stack = [f];
  while (stack.length > 0 && count < limit) {
    const g = stack.pop()!;
    count++;
    switch (g.kind) {
      case "call":
        stack.push(...g.args);
        break;
      case "binary":
        stack.push(g.left, g.right);
        break;
      case "negate":
      case "postfix":
      case "sqrt":
      case "norm":
      case "element":
        stack.push(g.of);
        break;
      case "power":
        stack.push(g.base, g.exponent);
        break;
      case "indicator":
        stack.push(g.test);
        break;
      case "list":
        stack.push(...g.items);
        break;
      default:
        break;
    }
  }
  return Math.min(count, limit);
}

/** `f` with each 1⃗ of unknown size replaced by ones shaped like `shape`. */
export function withOnes(f: Formula, shape: Sizes): Formula {
  return mapSymbols(f, (s) => (s.name === "1⃗" && s.shape === undefined ? onesLike(shape) : s));
}

/** `f` with each symbol replaced by `replace(symbol)`. */
export function mapSymbols(
  f: Formula,
  replace: (s: Extract<Formula, { kind: "symbol" }>) => Formula,
): Formula {
  const visit = (g: Formula): Formula => {
    switch (g.kind) {
      case "symbol":
        return replace(g);
      case "call":
        return fn(g.fn, ...g.args.map(visit));
      case "binary":
        return op(visit(g.left), g.op, visit(g.right));
      case "negate":
        return neg(visit(g.of));
      case "postfix":
        return { kind: "postfix", op: g.op, of: visit(g.of) };
      case "power":
        return power(visit(g.base), visit(g.exponent));
      case "indicator":
        return indicator(visit(g.test));
      case "sqrt":
        return sqrt(visit(g.of));
      case "norm":
        return norm(visit(g.of));
      case "list":
        return list(g.items.map(visit));
      case "element":
        return element(visit(g.of), g.index);
      default:
        return g;
    }
  };
  return visit(f);
}

// ---------------------------------------------------------------------------
// Printing, in Unicode

const precedence = (f: Formula): number => {
  switch (f.kind) {
    case "binary":
      return f.op === "+" || f.op === "−" ? 2 : ">≥<≤=≠".includes(f.op) ? 1 : f.op === " " ? 3.5 : 3;
    case "negate":
      return 4;
    case "power":
    case "postfix":
      return 5;
    default:
      return 6;
  }
};

/** A formula as Unicode text, parenthesized where precedence needs it: `diag(1 − tanh²(x))`. */
export function formulaText(f: Formula): string {
  const at = (child: Formula, min: number) => {
    const text = formulaText(child);
    return precedence(child) < min ? `(${text})` : text;
  };
  switch (f.kind) {
    case "symbol":
      // An adjoint z̄ reads as the generated code names it: dz.
      return f.name.endsWith("\u0304") ? `d${f.name.slice(0, -1)}` : f.name;
    case "number":
      return f.value < 0 ? `−${String(-f.value)}` : String(f.value);
    case "call":
      return `${f.fn}(${f.args.map(formulaText).join(", ")})`;
    case "binary": {
      const p = precedence(f);
      if (mixesHadamard(f))
        return `${paren(formulaText(f.left), f.left, f)} ${f.op} ${paren(formulaText(f.right), f.right, f)}`;
      // Left-associative: the right operand of − or ⊘ keeps its parentheses.
      const separator = f.op === " " || f.op === "/" ? f.op : ` ${f.op} `;
      // Products associate: A (B C) reads A B C.
      return `${at(f.left, p)}${separator}${at(f.right, f.op === " " ? p : p + 1)}`;
    }
    case "negate":
      // A product negated reads without parentheses: −(2/N) Xᵀ v.
      return `−${at(f.of, 3)}`;
    case "postfix":
      return `${at(f.of, 6)}${f.op}`;
    case "power": {
      const exponent = formulaText(f.exponent);
      // Small exponents as superscripts (x², tanh²(x)); others as ^(…).
      if (/^−?\d+$/.test(exponent)) {
        const sup = superscript(exponent);
        if (f.base.kind === "call") return `${f.base.fn}${sup}(${f.base.args.map(formulaText).join(", ")})`;
        return `${at(f.base, 6)}${sup}`;
      }
      return `${at(f.base, 6)}^${at(f.exponent, 6)}`;
    }
    case "indicator":
      return `1[${formulaText(f.test)}]`;
    case "sqrt":
      return `√${at(f.of, 6)}`;
    case "norm":
      return `‖${formulaText(f.of)}‖`;
    case "list":
      return `[${f.items.map(formulaText).join(", ")}]`;
    case "element":
      return `${at(f.of, 6)}[${f.index.join(", ")}]`;
  }
}

/** ⊙ next to ⊘ reads ambiguously: (1 ⊘ x) ⊙ y keeps its parentheses. */
function mixesHadamard(f: Formula): boolean {
  const hadamard = (g: Formula) => g.kind === "binary" && (g.op === "⊙" || g.op === "⊘");
  return (
    hadamard(f) &&
    f.kind === "binary" &&
    [f.left, f.right].some((g) => hadamard(g) && g.kind === "binary" && g.op !== f.op)
  );
}

/** A child of `parent` in parentheses when its precedence is lower, or when ⊙ meets ⊘, or on the right of ⊘. */
function paren(text: string, child: Formula, parent: Formula, open = "(", close = ")"): string {
  const p = precedence(parent);
  const lower = precedence(child) < p;
  const mixed =
    child.kind === "binary" &&
    (child.op === "⊙" || child.op === "⊘") &&
    parent.kind === "binary" &&
    (child.op !== parent.op || (parent.op === "⊘" && child === parent.right));
  return lower || mixed ? `${open}${text}${close}` : text;
}

const superscript = (text: string) => translate(text, "−0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹");
const subscript = (text: string) => translate(text, "0123456789", "₀₁₂₃₄₅₆₇₈₉");

/** `text` with each character of `from` replaced by the one at its place in `to`. */
function translate(text: string, from: string, to: string): string {
  const [source, target] = [[...from], [...to]];
  return [...text].map((c) => (source.includes(c) ? target[source.indexOf(c)]! : c)).join("");
}

// ---------------------------------------------------------------------------
// Printing, in LaTeX (KaTeX-compatible, for Markdown)

const latexOperators: Partial<Record<FormulaOperator, string>> = {
  "⊙": " \\odot ",
  "⊘": " \\oslash ",
  "·": " \\cdot ",
  " ": "\\,",
  "−": " - ",
  "+": " + ",
  "≥": " \\ge ",
  "≤": " \\le ",
  "≠": " \\ne ",
  ">": " > ",
  "<": " < ",
  "=": " = ",
};

/** Functions LaTeX has an operator for; the rest print upright with \operatorname. */
const latexFunctions = new Set([
  "exp",
  "log",
  "ln",
  "sin",
  "cos",
  "tan",
  "sinh",
  "cosh",
  "tanh",
  "det",
  "max",
  "min",
]);

/** A formula as LaTeX math: `\operatorname{diag}(1 - \tanh^{2}(x))`. */
export function formulaLatex(f: Formula): string {
  const at = (child: Formula, min: number) => {
    const text = formulaLatex(child);
    // A fraction's bar groups it already.
    const grouped = child.kind === "binary" && child.op === "/";
    return precedence(child) < min && !grouped ? `\\left(${text}\\right)` : text;
  };
  switch (f.kind) {
    case "symbol":
      return symbolLatex(f.name);
    case "number":
      return f.value < 0 ? `-${String(-f.value)}` : String(f.value);
    case "call":
      return `${functionLatex(f.fn)}\\left(${f.args.map(formulaLatex).join(", ")}\\right)`;
    case "binary": {
      const p = precedence(f);
      if (mixesHadamard(f)) {
        const side = (g: Formula) => paren(formulaLatex(g), g, f, "\\left(", "\\right)");
        return `${side(f.left)}${latexOperators[f.op]}${side(f.right)}`;
      }
      if (f.op === "/") return `\\frac{${formulaLatex(f.left)}}{${formulaLatex(f.right)}}`;
      return `${at(f.left, p)}${latexOperators[f.op] ?? ` ${f.op} `}${at(f.right, f.op === " " ? p : p + 1)}`;
    }
    case "negate":
      return `-${at(f.of, 3)}`;
    case "postfix":
      return `${at(f.of, 6)}^{${f.op === "ᵀ" ? "\\top" : f.op === "⁻¹" ? "-1" : "-\\top"}}`;
    case "power": {
      const exponent = formulaLatex(f.exponent);
      if (f.base.kind === "call" && /^-?\d+$/.test(exponent)) {
        return `${functionLatex(f.base.fn)}^{${exponent}}\\left(${f.base.args.map(formulaLatex).join(", ")}\\right)`;
      }
      return `${at(f.base, 6)}^{${exponent}}`;
    }
    case "indicator":
      return `\\mathbf{1}\\left[${formulaLatex(f.test)}\\right]`;
    case "sqrt":
      return `\\sqrt{${formulaLatex(f.of)}}`;
    case "norm":
      return `\\left\\lVert ${formulaLatex(f.of)} \\right\\rVert`;
    case "list": {
      // A vector as a column; a matrix literal's rows, one per line.
      const rows = f.items.map((item) =>
        item.kind === "list" ? item.items.map(formulaLatex).join(" & ") : formulaLatex(item),
      );
      return `\\begin{bmatrix} ${rows.join(" \\\\ ")} \\end{bmatrix}`;
    }
    case "element":
      return `${at(f.of, 6)}_{${f.index.join(",")}}`;
  }
}

function functionLatex(name: string): string {
  if (name === "σ") return "\\sigma";
  if (name === "log det") return "\\log\\det";
  if (latexFunctions.has(name)) return `\\${name}`;
  return `\\operatorname{${name.replace(/_/g, "\\_")}}`;
}

const subscriptDigits = "₀₁₂₃₄₅₆₇₈₉";

/** A name in LaTeX: `u₁` → `u_{1}`, `loss` → `\mathrm{loss}`, `1⃗` → `\mathbf{1}`, `x̄` → `\bar{x}`. */
export function symbolLatex(name: string): string {
  if (name === "1⃗") return "\\vec{1}";
  if (name.startsWith("axis=")) return `\\mathrm{${name}}`;
  const unit = /^e([₀-₉,]+)$/.exec(name);
  if (unit !== null)
    return `e_{${[...unit[1]!].map((c) => (c === "," ? c : subscriptDigits.indexOf(c))).join("")}}`;
  const bar = name.endsWith("\u0304") || /\u0304[₀-₉]*$/.test(name);
  const plain = name.replace("\u0304", "");
  const digits = [...plain].filter((c) => subscriptDigits.includes(c));
  const base = [...plain].filter((c) => !subscriptDigits.includes(c)).join("");
  const sub = digits.map((c) => subscriptDigits.indexOf(c)).join("");
  // A name ending in digits (W1) or with an underscore gets its tail as a subscript.
  const split = /^(.*?)_?(\d+)$/.exec(base);
  const [stem, tail] = split !== null && split[1] !== "" ? [split[1]!, split[2]!] : [base, ""];
  const index = [tail, sub].filter((x) => x !== "").join(",");
  const escaped = stem.replace(/_/g, "\\_");
  let core = [...stem].length === 1 ? escaped : `\\mathrm{${escaped}}`;
  if (bar) core = [...stem].length === 1 ? `\\bar{${core}}` : `\\overline{${core}}`;
  return index === "" ? core : `${core}_{${index}}`;
}
