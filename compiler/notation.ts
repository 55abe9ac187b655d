// Math notation: how each primitive and its local derivative are written in the paper's
// matrix calculus (numerator layout; element-wise operations as diagonal Jacobians). Each
// primitive's entry builds its formulas from its operands' (primitives.ts, `notation`);
// `gradc explain` prints, simplifies and evaluates them. Formulas are data, not text, so one
// formula can print as Unicode for a terminal or as LaTeX.

export type Formula =
  /** A variable or a named constant: `x`, `I`, `1⃗`. */
  | { readonly kind: "symbol"; readonly name: string }
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
 * `+`, `−`; element-wise `⊙`, `⊘`; `·` the dot product; `` (a space) a matrix product; and the
 * comparisons inside an indicator.
 */
export type FormulaOperator = "+" | "−" | "⊙" | "⊘" | "·" | " " | ">" | "≥" | "<" | "≤" | "=" | "≠";

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
/** The unit vector along position `index`: eᵢ. */
export const unit = (index: readonly number[]): Formula => symbol(`e${subscript(index.join(","))}`);

// ---------------------------------------------------------------------------
// Printing, in Unicode

const precedence = (f: Formula): number => {
  switch (f.kind) {
    case "binary":
      return f.op === "+" || f.op === "−" ? 2 : ">≥<≤=≠".includes(f.op) ? 1 : 3;
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
      return f.name;
    case "number":
      return f.value < 0 ? `−${String(-f.value)}` : String(f.value);
    case "call":
      return `${f.fn}(${f.args.map(formulaText).join(", ")})`;
    case "binary": {
      const p = precedence(f);
      // Left-associative: the right operand of − or ⊘ keeps its parentheses.
      const separator = f.op === " " ? " " : ` ${f.op} `;
      return `${at(f.left, p)}${separator}${at(f.right, p + 1)}`;
    }
    case "negate":
      return `−${at(f.of, 5)}`;
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

const superscript = (text: string) => translate(text, "−0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹");
const subscript = (text: string) => translate(text, "0123456789", "₀₁₂₃₄₅₆₇₈₉");

/** `text` with each character of `from` replaced by the one at its place in `to`. */
function translate(text: string, from: string, to: string): string {
  const [source, target] = [[...from], [...to]];
  return [...text].map((c) => (source.includes(c) ? target[source.indexOf(c)]! : c)).join("");
}
