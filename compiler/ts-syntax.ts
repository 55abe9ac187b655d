// TypeScript expressions as emission composes them, parenthesized the way prettier prints
// them: where precedence needs it, and where prettier adds clarifying parentheses
// (`(a * b) / c`, `x ** (y ** z)`, a conditional inside a conditional's test or consequent).
// Formulas built here are already in prettier's form, so formatting leaves them alone.

export type BinaryOperator = "+" | "-" | "*" | "/" | "**" | "===" | "!==" | "<" | "<=" | ">" | ">=" | "||";

/** An expression's text and what it is at its top, which decides where it needs parentheses. */
export interface Expr {
  readonly text: string;
  readonly form: "primary" | "negation" | "conditional" | BinaryOperator;
  /**
   * TypeScript gives it a literal type (`3`, `-1`, `c ? -1 : 3`), so a `const` holding it needs
   * `: number` for comparisons with other numbers to typecheck.
   */
  readonly literal?: true;
}

const numeric = /^\d/;

const precedence: Readonly<Record<BinaryOperator, number>> = {
  "||": 1,
  "===": 2,
  "!==": 2,
  "<": 3,
  "<=": 3,
  ">": 3,
  ">=": 3,
  "+": 4,
  "-": 4,
  "*": 5,
  "/": 5,
  "**": 6,
};

/** A name, call, member access or non-negative literal: never parenthesized. */
export const primary = (text: string): Expr =>
  numeric.test(text) ? { text, form: "primary", literal: true } : { text, form: "primary" };

/** Whole-value code from elsewhere (a name, a call, a literal that may be negative). */
export function fromCode(text: string): Expr {
  if (!text.startsWith("-")) return primary(text);
  return numeric.test(text.slice(1)) ? { text, form: "negation", literal: true } : { text, form: "negation" };
}

export function call(callee: string, args: readonly Expr[]): Expr {
  return primary(`${callee}(${args.map((a) => a.text).join(", ")})`);
}

export function negate(operand: Expr): Expr {
  // `-(-x)`, not `--x`; `-(x ** 2)`, since `-x ** 2` is a syntax error.
  const bare = operand.form === "primary";
  const text = `-${bare ? operand.text : `(${operand.text})`}`;
  return bare && operand.literal === true
    ? { text, form: "negation", literal: true }
    : { text, form: "negation" };
}

export function binary(left: Expr, operator: BinaryOperator, right: Expr): Expr {
  // TypeScript rejects === between two literal types that cannot be equal (`1.5 === (c ? 3 : 0.1)`).
  if ((operator === "===" || operator === "!==") && left.literal === true && right.literal === true) {
    return binary(call("Number", [left]), operator, right);
  }
  const l = needsParens(left, operator, "left") ? `(${left.text})` : left.text;
  const r = needsParens(right, operator, "right") ? `(${right.text})` : right.text;
  return { text: `${l} ${operator} ${r}`, form: operator };
}

export function conditional(test: Expr, consequent: Expr, alternate: Expr): Expr {
  // A conditional in the alternate continues a chain (`a ? b : c ? d : e`); elsewhere prettier
  // parenthesizes it.
  const wrap = (e: Expr) => (e.form === "conditional" ? `(${e.text})` : e.text);
  const text = `${wrap(test)} ? ${wrap(consequent)} : ${alternate.text}`;
  return consequent.literal === true && alternate.literal === true
    ? { text, form: "conditional", literal: true }
    : { text, form: "conditional" };
}

/** Prettier's rule for an operand of a binary operator (its `needsParens` and `shouldFlatten`). */
function needsParens(child: Expr, parent: BinaryOperator, side: "left" | "right"): boolean {
  if (child.form === "primary") return false;
  if (child.form === "negation") return parent === "**" && side === "left";
  if (child.form === "conditional") return true;
  // A chain of one logical operator is flat on either side.
  if (child.form === "||" && parent === "||") return false;
  const [p, c] = [precedence[parent], precedence[child.form]];
  if (p !== c) return p > c;
  if (side === "right") return true;
  return !flattens(parent, child.form);
}

/** Whether `a op1 b op2 c` is printed without parentheses around `a op1 b`. */
function flattens(parent: BinaryOperator, child: BinaryOperator): boolean {
  if (parent === "**") return false;
  const equality = (op: BinaryOperator) => op === "===" || op === "!==";
  if (equality(parent) && equality(child)) return false;
  const multiplicative = (op: BinaryOperator) => op === "*" || op === "/";
  if (child !== parent && multiplicative(child) && multiplicative(parent)) return false;
  // `(a < b) > c`, which would otherwise read like a type argument.
  return !(parent === ">" && child === "<");
}
